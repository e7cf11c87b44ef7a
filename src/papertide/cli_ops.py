"""Commands for running papertide unattended: doctor, backup, prune."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from papertide.cli import _config, _reports_errors, stderr, stdout
from papertide.config import config_path
from papertide.doctor import run_checks
from papertide.errors import PapertideError
from papertide.maintain import prune_cache
from papertide.store import Store


@click.command()
@click.option(
    "--timeout", default=10.0, show_default=True, help="Seconds to wait for each endpoint."
)
@click.pass_context
def doctor(ctx: click.Context, timeout: float) -> None:
    """Check that a run can succeed: config, store, models, LLM, arXiv, disk, output folder.

    Prints one line per check, with the fix for each that fails; exits 1 if any fails.
    Never prints the LLM key (only whether its variable is set).

    \b
    Example:
      papertide doctor || echo "papertide needs attention"
    """
    checks = run_checks(config_path(ctx.obj), timeout=timeout)
    for check in checks:
        (stdout if check.ok else stderr).print(check.line())
    failed = sum(not c.ok for c in checks)
    if failed:
        stderr.print(f"{failed} of {len(checks)} checks failed")
        sys.exit(1)
    stdout.print(f"all {len(checks)} checks passed")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@_reports_errors
def backup(ctx: click.Context, path: Path) -> None:
    """Copy the store to PATH, consistently even while a run is writing to it.

    \b
    Example:
      papertide backup backups/papertide-$(date +%F).db
    """
    config = _config(ctx)
    if not config.store_path.exists():
        raise PapertideError(f"{config.store_path}: no store yet; nothing to back up")
    if path.resolve() == config.store_path.resolve():
        raise PapertideError(f"{path} is the store itself; give another path")
    with Store(config.store_path) as store:
        try:
            store.backup(path)
        except OSError as exc:
            raise PapertideError(f"cannot write {path} ({exc.strerror or exc})") from None
    stdout.print(f"backed up {config.store_path} to {path} ({path.stat().st_size / 1e6:.1f} MB)")


@click.command()
@click.option(
    "--before",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Drop cached files last changed before this day (YYYY-MM-DD).",
)
@click.pass_context
@_reports_errors
def prune(ctx: click.Context, before: datetime) -> None:
    """Drop cached PDFs and figure crops older than a day; published pages are kept.

    The site keeps its own copy of every published figure, so pages stay as they are.

    \b
    Example:
      papertide prune --before 2026-01-01
    """
    config = _config(ctx)
    cache = config.base_dir / config.figures.pdf_dir
    stdout.print(prune_cache(cache, before.date()).line(cache))
