"""What every command shares: the two consoles, error reporting, progress bars, the config.

Progress goes to stderr, results to stdout: bars on a terminal, and without one (cron, CI, a
log file) a line now and then. A papertide error (or an OSError such as a full disk) becomes one
line on stderr and exit code 1.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from papertide.config import Config, config_path, load_config
from papertide.errors import PapertideError
from papertide.pipeline import Tracker

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

stderr = Console(stderr=True, soft_wrap=True, highlight=False, markup=False)
stdout = Console(highlight=False, soft_wrap=True, markup=False)


class Bars(Protocol):
    """What the commands use of a progress display: rich's bars, or `_Lines`."""

    def __enter__(self) -> Bars: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def add_task(self, description: str, *, total: float | None = None) -> Any: ...

    def advance(self, task_id: Any, advance: float = 1) -> None: ...

    def update(self, task_id: Any, *, visible: bool | None = None) -> None: ...


def tracker(progress: Bars) -> Tracker:
    def track(items: Iterable[T], label: str, total: int | None) -> Iterator[T]:
        task = progress.add_task(label, total=total)
        for item in items:
            yield item
            progress.advance(task)
        progress.update(task, visible=False)

    return track


def progress_bars() -> Bars:
    if not stderr.is_terminal:
        return _Lines()
    return Progress(
        TextColumn("{task.description:<11}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
    )


# Without a terminal, a task says how far it is once it has run LINE_AFTER seconds, then every
# LINE_EVERY seconds, and when it ends (a task shorter than LINE_AFTER says nothing).
LINE_AFTER = 30.0
LINE_EVERY = 60.0
clock = time.monotonic


@dataclass
class _Task:
    label: str
    total: float | None
    started: float
    done: float = 0.0
    said: float | None = None  # when its last line was printed


class _Lines:
    """Progress as plain lines on stderr, for the log that cron or CI keeps."""

    def __init__(self) -> None:
        self._tasks: dict[int, _Task] = {}
        self._made = 0

    def __enter__(self) -> _Lines:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            for task in list(self._tasks):
                self.update(task, visible=False)

    def add_task(self, description: str, *, total: float | None = None) -> int:
        self._made += 1
        self._tasks[self._made] = _Task(description, total, clock())
        return self._made

    def advance(self, task_id: int, advance: float = 1) -> None:
        task = self._tasks.get(task_id)
        if task is None:
            return
        task.done += advance
        now = clock()
        due = task.started + LINE_AFTER if task.said is None else task.said + LINE_EVERY
        if now < due or (task.total and task.done >= task.total):  # its end will say
            return
        task.said = now
        left = ""
        if task.total:
            rest = (now - task.started) / task.done * (task.total - task.done)
            left = f", about {_duration(rest)} left"
        stderr.print(f"{task.label}: {_count(task)}, {_duration(now - task.started)}{left}")

    def update(self, task_id: int, *, visible: bool | None = None) -> None:
        """Hiding a task ends it; one that printed lines says how long it took."""
        task = self._tasks.pop(task_id, None) if visible is False else None
        if task is not None and task.said is not None:
            took = _duration(clock() - task.started)
            stderr.print(f"{task.label}: {_count(task)}, done in {took}")


def _count(task: _Task) -> str:
    return f"{task.done:.0f}/{task.total:.0f}" if task.total else f"{task.done:.0f}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def reports_errors(func: F) -> F:
    """Turn papertide errors into one line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PapertideError as exc:
            stderr.print(Text("error: ", style="bold red") + Text(str(exc)))
            sys.exit(1)
        except OSError as exc:  # a full disk, a folder that cannot be written, ...
            where = f"{exc.filename}: " if exc.filename else ""
            stderr.print(
                Text("error: ", style="bold red")
                + Text(f"{where}{exc.strerror or exc}; fix it and run again (nothing is lost)")
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def note(message: str) -> None:
    stderr.print(Text("note: ", style="bold yellow") + Text(message))


def warning(message: str) -> None:
    stderr.print(Text("warning: ", style="bold yellow") + Text(message))


# The config file is named before the command (`papertide -c FILE run`); the selection commands
# also take it after theirs (`papertide select -c FILE ...`), which wins.
config_option = click.option(
    "--config",
    "-c",
    "local_config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (overrides the one given before the command).",
)


def config_file(ctx: click.Context, local: Path | None = None) -> Path:
    """The config file the command line names, or the default."""
    return config_path(local or ctx.obj)


def load(ctx: click.Context, local: Path | None = None) -> Config:
    return load_config(config_file(ctx, local))
