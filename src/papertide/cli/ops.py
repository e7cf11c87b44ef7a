"""Commands for looking after an installation: serve, status, doctor, backup, prune."""

from __future__ import annotations

import contextlib
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from papertide.cli.console import config_file, load, reports_errors, stderr, stdout
from papertide.doctor import run_checks
from papertide.errors import LockedError, PapertideError
from papertide.figures.cache import prune_cache
from papertide.runlog import log_path
from papertide.serve import make_server
from papertide.store import open_store


@click.command()
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (0.0.0.0: every interface, so others on the network can rate).",
)
@click.pass_context
@reports_errors
def serve(ctx: click.Context, port: int, host: str) -> None:
    """Preview the website on localhost and record its ratings (Ctrl-C stops).

    A click on a paper's "relevant" or "not relevant" button is recorded in the store
    (only from the site's own pages: requests from other origins are refused); the
    next run or build judges that topic again.

    \b
    Example:
      papertide serve --port 8080
    """
    config = load(ctx)
    root = config.output_dir
    if not (root / "index.html").is_file():
        raise PapertideError(f"{root}: no site built yet; run `papertide build` first")
    slugs = [t.slug for t in config.topic_records()]
    try:
        server = make_server(root, lambda: open_store(config), slugs, host, port)
    except OSError as exc:
        raise PapertideError(f"cannot listen on {host}:{port} ({exc}); try --port") from None
    stdout.print(f"serving {root} at http://{host}:{port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@click.command()
@click.option("--limit", default=10, show_default=True, help="How many runs to show.")
@click.pass_context
@reports_errors
def status(ctx: click.Context, limit: int) -> None:
    """Show the last runs, this month's totals and what the store holds.

    \b
    Example:
      papertide status --limit 5
    """
    config = load(ctx)
    if config.store_missing():
        stdout.print(f"{config.store_path}: no store yet; run `papertide run` first")
        return
    with open_store(config) as store:
        location = store.location
        with contextlib.suppress(LockedError):  # no run is alive: any "running" one is not
            store.lock()
            store.mark_interrupted()
            store.unlock()
        runs = store.recent_runs(limit)
        selected = store.count_selected()
        total = store.count_papers()
        usage = [(r.id, store.llm_usage(r.id)) for r in runs]
        writeups, failed_writeups = store.count_writeups()
        month = store.month_totals(datetime.now(UTC).strftime("%Y-%m"))
        incidents = store.open_incidents()
        waiting = store.unsent_messages()
    table = Table(title="Last runs")
    for column in (
        "run",
        "command",
        "started (UTC)",
        "status",
        "fetched",
        "new",
        "revised",
        "selected",
        "pages",
    ):
        table.add_column(column, justify="right" if column in ("run", "fetched") else "left")
    for r in runs:
        table.add_row(
            str(r.id),
            r.command,
            r.started_at.replace("T", " ")[:19],
            r.status if not r.error else f"{r.status}: {r.error}",
            str(r.fetched),
            str(r.new),
            str(r.revised),
            str(r.selected),
            str(r.pages_written),
        )
    stdout.print(table)
    for run_id, u in usage:
        if u is not None:
            stdout.print(f"run {run_id} {u.line()}")
    cost = f", cost {month.llm_cost:.4f}" if month.llm_cost is not None else ""
    stdout.print(
        f"{month.month}: {month.runs} runs ({month.failed} failed or interrupted,"
        f" {month.unreachable} with arXiv unreachable), {month.fetched} fetched,"
        f" {month.new} new, {month.selected} selected, {month.pages_written} pages written,"
        f" {month.writeups} write-ups; {month.llm_calls} LLM calls, {month.llm_tokens}"
        f" tokens{cost}"
    )
    stdout.print(f"run log: {log_path(config.store_path)}")
    stdout.print(f"{total} papers stored in {location}")
    stdout.print(f"{writeups} write-ups stored; {failed_writeups} papers whose write-up failed")
    for topic in config.topic_records():
        stdout.print(f"  {topic.name} ({topic.slug}): {selected.get(topic.slug, 0)} selected")
    for incident in incidents:
        what = f"{incident.kind} ({incident.subject})" if incident.subject else incident.kind
        stdout.print(f"open incident since {incident.opened_at[:19]}: {what}: {incident.detail}")
    if waiting:
        last = waiting[-1]
        stdout.print(
            f"outbox: {len(waiting)} message(s) waiting for the next run; last error"
            f" ({last.channel}): {last.last_error or 'not tried yet'}"
        )


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
    checks = run_checks(config_file(ctx), timeout=timeout)
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
@reports_errors
def backup(ctx: click.Context, path: Path) -> None:
    """Copy the store to PATH, consistently even while a run is writing to it.

    PATH is a SQLite file, also for a PostgreSQL store (a full copy that `papertide store
    copy` can move back).

    \b
    Example:
      papertide backup backups/papertide-$(date +%F).db
    """
    config = load(ctx)
    if config.store_missing():
        raise PapertideError(f"{config.store_path}: no store yet; nothing to back up")
    if not config.store.url and path.resolve() == config.store_path.resolve():
        raise PapertideError(f"{path} is the store itself; give another path")
    with open_store(config) as store:
        try:
            store.backup(path)
        except OSError as exc:
            raise PapertideError(f"cannot write {path} ({exc.strerror or exc})") from None
        location = store.location
    stdout.print(f"backed up {location} to {path} ({path.stat().st_size / 1e6:.1f} MB)")


@click.command()
@click.option(
    "--before",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Drop cached files last changed before this day (YYYY-MM-DD).",
)
@click.pass_context
@reports_errors
def prune(ctx: click.Context, before: datetime) -> None:
    """Drop cached PDFs and figure crops older than a day; published pages are kept.

    The site keeps its own copy of every published figure, so pages stay as they are.

    \b
    Example:
      papertide prune --before 2026-01-01
    """
    config = load(ctx)
    cache = config.base_dir / config.figures.pdf_dir
    stdout.print(prune_cache(cache, before.date()).line(cache))
