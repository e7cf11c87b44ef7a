"""The pipeline commands: `papertide run` (the daily job), `fetch` (a backfill), `import`,
`build`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from papertide.cli.console import (
    load,
    note,
    progress_bars,
    reports_errors,
    stdout,
    tracker,
    warning,
)
from papertide.config import Config
from papertide.pipeline import RunSummary, run

EXIT_UNREACHABLE = 3  # arXiv could not be reached: nothing new fetched, site built from the store
EXIT_NOTHING_NEW = 4  # arXiv announced nothing since the last run: the site is up to date


def _pipeline(
    config: Config, sources: tuple[Path, ...], command: str, build: bool, **harvest: Any
) -> RunSummary:
    with progress_bars() as progress:
        return run(
            config,
            sources,
            command=command,
            track=tracker(progress),
            build=build,
            warn=note,
            **harvest,
        )


def _report_harvest(summary: RunSummary) -> None:
    """Warnings to stderr; exit code 3 when arXiv stayed unreachable, 4 when it announced
    nothing since the last run."""
    report = summary.harvest
    if report is None:
        return
    for message in report.warnings:
        warning(message)
    if report.unreachable:
        sys.exit(EXIT_UNREACHABLE)
    if report.next_due is not None and not (report.counts.new or report.counts.revised):
        sys.exit(EXIT_NOTHING_NEW)


@click.command("run")
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
@reports_errors
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
    config = load(ctx)
    summary = _pipeline(
        config, sources, "run", build=True, harvest=not sources, force_write=force_write
    )
    stdout.print(summary.line())
    _report_harvest(summary)


_since = click.option(
    "--since",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day (YYYY-MM-DD) of the backfill.",
)
_until = click.option(
    "--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: up to today)."
)


@click.command("backfill")
@_since
@_until
@click.option(
    "--engine",
    type=click.Choice(["ray"]),
    help="Embed and select on a Ray cluster (pip install 'papertide[cluster]'); without it, "
    "in this process.",
)
@click.option(
    "--address",
    help="The Ray cluster to join (ray://head:10001, or auto for the one `ray start` runs "
    "here); without it, a Ray instance is started on this machine.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="At most this many batches at once (a local Ray instance gets as many CPUs); "
    "default: every CPU of the cluster.",
)
@click.option(
    "--batch",
    default=256,
    show_default=True,
    type=click.IntRange(min=1),
    help="Papers per Ray task: what a lost worker redoes.",
)
@click.option(
    "--write/--no-write",
    default=True,
    show_default=True,
    help="Write up the selected papers with the [llm] backend ([llm] concurrency calls at once).",
)
@click.pass_context
@reports_errors
def backfill_cmd(
    ctx: click.Context,
    since: datetime,
    until: datetime | None,
    engine: str | None,
    address: str | None,
    workers: int | None,
    batch: int,
    write: bool,
) -> None:
    """Backfill a date range: harvest, store, select and write up; publish with `build`.

    Harvests the [arxiv] categories from arXiv's OAI-PMH interface politely (one request
    at a time, at least [arxiv] delay seconds apart) page by page; an interrupted backfill
    resumes where it stopped when run again. Every stored paper without a decision is then
    embedded and judged: in this process, or with --engine ray as batches on every worker
    of a Ray cluster, each batch's results stored as it ends (a lost worker's batch is done
    again). The selected papers are written up by the [llm] backend, e.g. a vLLM server.
    Workers open the store themselves: on a cluster, use a PostgreSQL store ([store] url)
    and give each node the password variable.

    \b
    Examples:
      papertide backfill --since 2026-06-01 --until 2026-06-30 && papertide build
      papertide backfill --since 2024-01-01 --engine ray --address ray://head:10001
      papertide backfill --since 2026-06-01 --engine ray --workers 2 --no-write
    """
    config = load(ctx)
    chosen = None
    if engine == "ray":
        from papertide.cluster.ray_engine import RayEngine

        chosen = RayEngine(address, workers, batch)
    elif address or workers:
        raise click.UsageError("--address and --workers go with --engine ray")
    summary = _pipeline(
        config,
        (),
        "backfill",
        build=False,
        since=since.date(),
        until=until.date() if until else None,
        write=write,
        engine=chosen,
    )
    _report_backfill(summary, "ray" if chosen else "this process")


@click.command("fetch", hidden=True)
@_since
@_until
@click.pass_context
@reports_errors
def fetch_cmd(ctx: click.Context, since: datetime, until: datetime | None) -> None:
    """The former name of `papertide backfill --no-write`."""
    note("`papertide fetch` is now `papertide backfill --no-write`")
    config = load(ctx)
    summary = _pipeline(
        config, (), "fetch", build=False, since=since.date(), until=until.date() if until else None
    )
    _report_backfill(summary, "this process")


def _report_backfill(summary: RunSummary, where: str) -> None:
    c = summary.counts
    assert summary.harvest is not None
    stdout.print(summary.harvest.line())
    stdout.print(
        f"fetched {summary.fetched} papers ({c.new} new, {c.revised} revised, "
        f"{c.unchanged} already stored); {summary.decided} decisions in {where}, "
        f"{summary.selected} selected ({summary.seconds:.1f} s)"
    )
    for line in summary.llm_lines():
        stdout.print(line)
    _report_harvest(summary)


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
@reports_errors
def import_cmd(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Store and select papers from files without publishing.

    Reads arXiv query-API Atom, arXiv RSS, OAI-PMH arXivRaw XML and JSONL.

    \b
    Example:
      papertide import export.xml papers.jsonl && papertide build
    """
    config = load(ctx)
    summary = _pipeline(config, paths, "import", build=False)
    c = summary.counts
    stdout.print(
        f"imported {summary.fetched} papers ({c.new} new, {c.revised} revised, "
        f"{c.unchanged} already stored); {summary.selected} selected"
    )


@click.command()
@click.pass_context
@reports_errors
def build(ctx: click.Context) -> None:
    """(Re)build the website from the store; never fetches and never calls an LLM.

    \b
    Example:
      papertide build && papertide serve
    """
    summary = _pipeline(load(ctx), (), "build", build=True, write=False)
    stdout.print(summary.line())
