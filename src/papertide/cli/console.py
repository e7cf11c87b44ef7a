"""What every command shares: the two consoles, error reporting, progress bars, the config.

Progress goes to stderr, results to stdout. A papertide error (or an OSError such as a full
disk) becomes one line on stderr and exit code 1.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

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


def tracker(progress: Progress) -> Tracker:
    def track(items: Iterable[T], label: str, total: int | None) -> Iterator[T]:
        task = progress.add_task(label, total=total)
        for item in items:
            yield item
            progress.advance(task)
        progress.update(task, visible=False)

    return track


def progress_bars() -> Progress:
    return Progress(
        TextColumn("{task.description:<11}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )


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
