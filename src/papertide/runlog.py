"""The run log: one JSON line per run, beside the store, for owners and their scripts.

Each run appends one object to ``<store folder>/logs/runs.jsonl``: when it started, how long
it took, its outcome (``ok`` / ``failed``, with the error), the seconds each stage took, the
counts of each stage, the LLM usage and cost, and the warnings it printed. The same runs are
kept in the store's ``runs`` table, which `papertide status` shows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOG_FOLDER = "logs"
LOG_FILE = "runs.jsonl"


def log_path(store_path: Path) -> Path:
    """Where the runs of the store at ``store_path`` are logged."""
    return store_path.parent / LOG_FOLDER / LOG_FILE


@dataclass
class RunLog:
    """What one run did, filled in as it goes and written once when it ends."""

    run_id: int
    command: str
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    stages: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    counts: dict[str, int] = field(default_factory=dict)
    llm: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    _clock: float = field(default_factory=time.monotonic)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time one stage (its seconds are added up if it runs twice)."""
        begun = time.monotonic()
        try:
            yield
        finally:
            self.stages[name] = round(self.stages.get(name, 0.0) + time.monotonic() - begun, 3)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def record(self, status: str, error: str | None = None) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "command": self.command,
            "started": self.started.isoformat(timespec="seconds"),
            "seconds": round(time.monotonic() - self._clock, 3),
            "status": status,
            "error": error,
            "stages": self.stages,
            "counts": self.counts,
            "llm": self.llm,
            "warnings": self.warnings,
        }

    def write(self, path: Path, status: str, error: str | None = None) -> None:
        """Append this run's line; a log that cannot be written never fails the run."""
        line = json.dumps(self.record(status, error), ensure_ascii=False)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        except OSError:
            pass
