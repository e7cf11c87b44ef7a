"""The command line: a thin layer over the pipeline.

Progress goes to stderr, results to stdout. Exit codes: 0 success, 1 a papertide error
(bad config or input, locked store, ...), 2 a usage error, 3 arXiv unreachable, 4 nothing
announced since the last run.
"""

from __future__ import annotations

import functools
import http.server
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from papertide import __version__
from papertide.config import DEFAULT_CONFIG, Config, config_path, load_config, starter_config
from papertide.errors import PapertideError
from papertide.pipeline import RunSummary, Tracker, run
from papertide.runlog import log_path
from papertide.store import Store

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

stderr = Console(stderr=True, soft_wrap=True, highlight=False, markup=False)
stdout = Console(highlight=False, soft_wrap=True, markup=False)

EXIT_UNREACHABLE = 3  # arXiv could not be reached: nothing new fetched, site built from the store
EXIT_NOTHING_NEW = 4  # arXiv announced nothing since the last run: the site is up to date


def _track(progress: Progress) -> Tracker:
    def track(items: Iterable[T], label: str, total: int | None) -> Iterator[T]:
        task = progress.add_task(label, total=total)
        for item in items:
            yield item
            progress.advance(task)
        progress.update(task, visible=False)

    return track


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<11}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )


def _reports_errors(func: F) -> F:
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


def _config(ctx: click.Context) -> Config:
    return load_config(config_path(ctx.obj))


def _pipeline(
    config: Config, sources: tuple[Path, ...], command: str, build: bool, **harvest: Any
) -> RunSummary:
    with _progress() as progress:
        return run(
            config,
            sources,
            command=command,
            track=_track(progress),
            build=build,
            warn=_note,
            **harvest,
        )


def _note(message: str) -> None:
    stderr.print(Text("note: ", style="bold yellow") + Text(message))


def _report_harvest(summary: RunSummary) -> None:
    """Warnings to stderr; exit code 3 when arXiv stayed unreachable, 4 when it announced
    nothing since the last run."""
    report = summary.harvest
    if report is None:
        return
    for warning in report.warnings:
        stderr.print(Text("warning: ", style="bold yellow") + Text(warning))
    if report.unreachable:
        sys.exit(EXIT_UNREACHABLE)
    if report.next_due is not None and not (report.counts.new or report.counts.revised):
        sys.exit(EXIT_NOTHING_NEW)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="papertide")
@click.option(
    "--config",
    "-c",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PAPERTIDE_CONFIG",
    help=f"Config file (default: ./{DEFAULT_CONFIG}, or $PAPERTIDE_CONFIG).",
)
@click.pass_context
def main(ctx: click.Context, config_file: Path | None) -> None:
    """papertide turns arXiv announcements into per-topic daily digests.

    \b
    Typical use:
      papertide init                 # write a commented papertide.toml
      papertide run --from feed.xml  # import, select, publish to ./site
      papertide serve                # preview the site on http://127.0.0.1:8000

    \b
    Exit codes: 0 success; 1 a papertide error (bad config or input file,
    store in use, ...), explained in one line on stderr; 2 a usage error;
    3 arXiv unreachable: nothing new fetched, the site built from the store;
    4 arXiv announced nothing since the last run (a weekend or holiday).
    """
    ctx.obj = config_file


@main.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.option(
    "--schedule",
    type=click.Choice(["github", "cron"]),
    help="Set up daily runs: write a GitHub Actions workflow (github) or print a crontab "
    "line and a systemd timer (cron), for the existing config.",
)
@click.pass_context
@_reports_errors
def init(ctx: click.Context, force: bool, schedule: str | None) -> None:
    """Write a commented starter config with six example topics.

    With --schedule, set up daily runs for the config instead (see "Run it every day").

    \b
    Examples:
      papertide init && papertide run --from rss.xml
      papertide init --schedule github   # writes .github/workflows/papertide.yml
      papertide init --schedule cron     # prints a crontab line and a systemd timer
    """
    if schedule:
        _init_schedule(_config(ctx), schedule, force)
        return
    path = config_path(ctx.obj)
    if path.exists() and not force:
        stderr.print(f"{path} already exists; keeping it (use --force to overwrite)")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(starter_config(), encoding="utf-8")
    stdout.print(f"wrote {path}: edit its [[topics]], then run `papertide run`")


def _init_schedule(config: Config, schedule: str, force: bool) -> None:
    from papertide.schedule import WORKFLOW_PATH, cron_setup, github_workflow

    if schedule == "cron":
        stdout.print(cron_setup(config), end="")
        return
    target = config.base_dir / WORKFLOW_PATH
    if target.exists() and not force:
        stderr.print(f"{target} already exists; keeping it (use --force to overwrite)")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(github_workflow(config), encoding="utf-8")
    stdout.print(
        f"wrote {target}: commit it, add the LLM key as a repository secret and set"
        " Settings -> Pages -> Source to GitHub Actions"
    )


@main.command("run")
@click.option(
    "--from",
    "sources",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Import papers from this file instead of arXiv (repeatable).",
)
@click.option(
    "--force-write",
    is_flag=True,
    help="Write up the selected papers again even when a write-up is cached (costs calls).",
)
@click.pass_context
@_reports_errors
def run_cmd(ctx: click.Context, sources: tuple[Path, ...], force_write: bool) -> None:
    """Fetch, select, write up and publish: the daily job.

    Without --from, fetches what arXiv announced since the last harvest of each category
    in [arxiv] categories (one request for all of them; none when arXiv's calendar says
    nothing new is out). Papers already stored are not stored twice; a newer version
    updates its paper and is marked revised. Only papers without a decision are selected,
    so a re-run is cheap. If arXiv is unreachable, the site is built from the store and
    the exit code is 3; if arXiv announced nothing since the last run, the exit code is 4.
    Each run appends one JSON line to logs/runs.jsonl beside the store.

    \b
    Examples:
      papertide run
      papertide run --from rss.xml
      papertide run --from day1.jsonl --from day2.jsonl
    """
    config = _config(ctx)
    summary = _pipeline(
        config, sources, "run", build=True, harvest=not sources, force_write=force_write
    )
    stdout.print(summary.line())
    _report_harvest(summary)


@main.command("fetch")
@click.option(
    "--since",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day (YYYY-MM-DD) of the backfill.",
)
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: up to today).")
@click.pass_context
@_reports_errors
def fetch_cmd(ctx: click.Context, since: datetime, until: datetime | None) -> None:
    """Backfill a date range from arXiv's OAI-PMH interface, then store and select.

    Harvests the [arxiv] categories page by page; a backfill that is interrupted resumes
    where it stopped when run again. Run `papertide build` to publish.

    \b
    Example:
      papertide fetch --since 2026-06-01 --until 2026-06-30 && papertide build
    """
    config = _config(ctx)
    summary = _pipeline(
        config,
        (),
        "fetch",
        build=False,
        since=since.date(),
        until=until.date() if until else None,
    )
    c = summary.counts
    assert summary.harvest is not None
    stdout.print(summary.harvest.line())
    stdout.print(
        f"fetched {summary.fetched} papers ({c.new} new, {c.revised} revised, "
        f"{c.unchanged} already stored); {summary.selected} selected"
    )
    _report_harvest(summary)


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
@_reports_errors
def import_cmd(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Store and select papers from files without publishing.

    Reads arXiv query-API Atom, arXiv RSS, OAI-PMH arXivRaw XML and JSONL.

    \b
    Example:
      papertide import export.xml papers.jsonl && papertide build
    """
    config = _config(ctx)
    summary = _pipeline(config, paths, "import", build=False)
    c = summary.counts
    stdout.print(
        f"imported {summary.fetched} papers ({c.new} new, {c.revised} revised, "
        f"{c.unchanged} already stored); {summary.selected} selected"
    )


@main.command()
@click.pass_context
@_reports_errors
def build(ctx: click.Context) -> None:
    """(Re)build the website from the store; never fetches and never calls an LLM.

    \b
    Example:
      papertide build && papertide serve
    """
    summary = _pipeline(_config(ctx), (), "build", build=True, write=False)
    stdout.print(summary.line())


@main.command()
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.pass_context
@_reports_errors
def serve(ctx: click.Context, port: int, host: str) -> None:
    """Preview the website on localhost (Ctrl-C stops).

    \b
    Example:
      papertide serve --port 8080
    """
    root = _config(ctx).output_dir
    if not (root / "index.html").is_file():
        raise PapertideError(f"{root}: no site built yet; run `papertide build` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise PapertideError(f"cannot listen on {host}:{port} ({exc}); try --port") from None
    stdout.print(f"serving {root} at http://{host}:{port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command()
@click.option("--limit", default=10, show_default=True, help="How many runs to show.")
@click.pass_context
@_reports_errors
def status(ctx: click.Context, limit: int) -> None:
    """Show the last runs, this month's totals and what the store holds.

    \b
    Example:
      papertide status --limit 5
    """
    config = _config(ctx)
    if not config.store_path.exists():
        stdout.print(f"{config.store_path}: no store yet; run `papertide run` first")
        return
    with Store(config.store_path) as store:
        runs = store.recent_runs(limit)
        selected = store.count_selected()
        total = store.count_papers()
        usage = [(r.id, store.llm_usage(r.id)) for r in runs]
        writeups, failed_writeups = store.count_writeups()
        month = store.month_totals(datetime.now(UTC).strftime("%Y-%m"))
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
            cost = f", cost {u.cost:.4f}" if u.cost is not None else ""
            stdout.print(
                f"run {run_id} write-ups ({u.model}): {u.written} written, {u.failed} failed,"
                f" {u.pending} pending; {u.calls} LLM calls, {u.prompt_tokens} +"
                f" {u.completion_tokens} tokens{cost}"
            )
    cost = f", cost {month.llm_cost:.4f}" if month.llm_cost is not None else ""
    stdout.print(
        f"{month.month}: {month.runs} runs ({month.failed} failed), {month.fetched} fetched,"
        f" {month.new} new, {month.selected} selected, {month.pages_written} pages written,"
        f" {month.writeups} write-ups; {month.llm_calls} LLM calls, {month.llm_tokens}"
        f" tokens{cost}"
    )
    stdout.print(f"run log: {log_path(config.store_path)}")
    stdout.print(f"{total} papers stored in {config.store_path}")
    stdout.print(f"{writeups} write-ups stored; {failed_writeups} papers whose write-up failed")
    for topic in config.topic_records():
        stdout.print(f"  {topic.name} ({topic.slug}): {selected.get(topic.slug, 0)} selected")


def _register_selection_commands() -> None:
    from papertide.cli_select import calibrate_cmd, eval_group, select_cmd

    for command in (select_cmd, eval_group, calibrate_cmd):
        main.add_command(command)


_register_selection_commands()


def _register_write_commands() -> None:
    from papertide.cli_write import model_group, write_cmd

    main.add_command(write_cmd)
    main.add_command(model_group)


_register_write_commands()


def _register_figures_command() -> None:
    from papertide.cli_figures import figures_cmd

    main.add_command(figures_cmd)


_register_figures_command()


def _register_ops_commands() -> None:
    from papertide.cli_ops import backup, doctor, prune

    for command in (doctor, backup, prune):
        main.add_command(command)


_register_ops_commands()
