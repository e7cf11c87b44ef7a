"""Regenerate the README's CLI reference from `papertide --help` (run by `make docs`).

With --check, exit 1 instead when the README is out of date (the test suite does this).
"""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

from papertide.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- cli-reference:start -->", "<!-- cli-reference:end -->"


def reference() -> str:
    blocks = []
    for command in (
        "",
        "init",
        "run",
        "backfill",
        "import",
        "build",
        "serve",
        "status",
        "figures",
        "write",
        "model",
        "select",
        "eval relevance",
        "calibrate",
        "feedback import",
        "feedback list",
        "library import",
        "library zotero",
        "doctor",
        "backup",
        "store copy",
        "prune",
    ):
        args = [*command.split(), "--help"]
        text = (
            CliRunner()
            .invoke(main, args, prog_name="papertide", terminal_width=100)
            .stdout.rstrip()
        )
        title = f"papertide {command}".strip()
        blocks.append(f"### `{title}`\n\n```text\n{text}\n```\n")
    return "\n".join(blocks)


def updated(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{reference()}{END}{tail}"


if __name__ == "__main__":
    current = README.read_text(encoding="utf-8")
    if "--check" in sys.argv:
        sys.exit(0 if updated(current) == current else 1)
    README.write_text(updated(current), encoding="utf-8")
