"""One run: fetch → store → select → write → figures → publish, each stage safe to repeat.

Every stage works from what the store lacks rather than from what this run fetched, so a
run killed halfway is completed by the next one, and nothing is fetched, decided or paid
for twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from papertide.config import Config
from papertide.fetch import FileSource, open_source, read_papers
from papertide.fetch.client import PoliteClient
from papertide.fetch.stage import HarvestReport, backfill, daily_harvest, make_client
from papertide.figures import run_stage
from papertide.health import HealthReport, Outcome
from papertide.health import deliver as deliver_alerts
from papertide.health import review as review_health
from papertide.llm import make_backend, prepare
from papertide.publish import BuildResult
from papertide.publish.rollup import Rollup
from papertide.publish.stage import publish, publish_rollups
from papertide.records import Paper, Topic
from papertide.runlog import RunLog, log_path
from papertide.select.judge import make_judge
from papertide.select.stage import select_pending
from papertide.store import LLMUsageRecord, Store, UpsertCounts, open_store
from papertide.write import Writer
from papertide.write.stage import WriteStats, write_pending
from papertide.write.writer import LLMWriter

if TYPE_CHECKING:
    from papertide.figures.stage import FigureCounts

T = TypeVar("T")


class Tracker(Protocol):
    """Reports progress over an iterable: yields the same items, in order."""

    def __call__(self, items: Iterable[T], label: str, total: int | None) -> Iterable[T]: ...


def no_progress(items: Iterable[T], label: str, total: int | None) -> Iterable[T]:
    return items


class Engine(Protocol):
    """Runs the select stage somewhere else than in this process (`cluster.ray_engine`)."""

    def select(
        self,
        store: Store,
        config: Config,
        topics: Sequence[Topic],
        track: Tracker,
        warn: Callable[[str], None],
    ) -> tuple[int, int]: ...


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_id: int
    fetched: int
    counts: UpsertCounts
    decided: int
    selected: int
    written: int
    site: BuildResult
    seconds: float
    harvest: HarvestReport | None = None  # the live arXiv harvest, when the run made one
    writing: WriteStats | None = None  # the write stage, when an LLM backend is configured
    llm: LLMUsageRecord | None = None  # its calls, tokens and cost
    figures: FigureCounts | None = None  # the figures stage, when [figures] is enabled
    health: HealthReport | None = None  # the incidents the run opened or closed, the alerts

    def line(self) -> str:
        c = self.counts
        told = f"{self.harvest.line()}\n" if self.harvest else ""
        if self.harvest and self.harvest.unreachable and self.site.written + self.site.unchanged:
            told = f"{self.harvest.line()}; the site was built from the store\n"
        return (
            told
            + (
                f"run {self.run_id}: {self.fetched} fetched ({c.new} new, {c.revised} revised, "
                f"{c.unchanged} already stored); {self.selected} of {self.decided} new decisions "
                f"selected; site: {self.site.written} files written, "
                f"{self.site.unchanged} unchanged "
                f"→ {self.site.out_dir / 'index.html'} ({self.seconds:.1f} s)"
            )
            + "".join(f"\n{note}" for note in (*self.llm_lines(), *self._notes()))
        )

    def _notes(self) -> list[str]:
        health = self.health.line() if self.health else None
        return (
            ([self.figures.line()] if self.figures else [])
            + list(self.site.notes)
            + ([health] if health else [])
        )

    def llm_lines(self) -> list[str]:
        if self.writing is None or self.llm is None:
            return []
        error = self.writing.error
        return [self.llm.line()] + ([f"write-ups stopped: {error}"] if error else [])


# Files up to this size are parsed completely before the store is touched; larger ones (a
# multi-GB metadata snapshot) are stored as they are read, each in one transaction.
STREAM_BYTES = 32 * 1024 * 1024


def load_sources(
    paths: Sequence[Path], track: Tracker = no_progress
) -> tuple[list[Paper], list[FileSource]]:
    """Parse every small input file completely before anything is stored, so a bad file
    changes nothing; large files are checked and returned, to be streamed into the store."""
    papers: list[Paper] = []
    large: list[FileSource] = []
    for path in track(paths, "Reading", len(paths)):
        source = open_source(path)
        if source.size > STREAM_BYTES:
            large.append(source)
        else:
            papers.extend(read_papers(source))
    return papers, large


def store_large(store: Store, sources: Sequence[FileSource], track: Tracker) -> UpsertCounts:
    """Stream each large file into the store in one transaction: all of it or none of it."""
    total = UpsertCounts()
    for source in sources:
        with store.transaction():
            total += store.upsert_papers(
                track(source.papers(), f"Storing {source.path.name}", None)
            )
    return total


def _quiet(message: str) -> None:
    return None


def run(
    config: Config,
    sources: Sequence[Path] = (),
    command: str = "run",
    track: Tracker = no_progress,
    build: bool = True,
    harvest: bool = False,
    warn: Callable[[str], None] = _quiet,
    client: PoliteClient | None = None,
    now: datetime | None = None,
    since: date | None = None,
    until: date | None = None,
    force_write: bool = False,
    write: bool | None = None,
    engine: Engine | None = None,
) -> RunSummary:
    """Import the given files (if any) or, with ``harvest``, fetch what arXiv announced since
    the last harvest (or, with ``since``, backfill a date range); then select (in this
    process, or on ``engine``), write and publish; record the run.

    LLM write-ups are made by a run that publishes (``build``) unless ``write`` is False, and
    by one that does not only when ``write`` is True (a backfill): importing and rebuilding
    never pay for an LLM call."""
    write = build if write is None else write
    started = time.monotonic()
    # Before the store is touched: a bad (small) file changes nothing.
    papers, large = load_sources(sources, track)
    report: HarvestReport | None = None
    topics = config.topic_records()
    prepare(config.llm, track, warn)  # the default local model, assembled on first use
    backend = make_backend(config.llm, config.base_dir)  # one per run: the judge's and writer's
    writer = LLMWriter(backend) if backend else None
    with open_store(config) as store:
        store.lock()
        run_id = store.start_run(command, ", ".join(str(p) for p in sources))
        log = RunLog(run_id, command)
        warn = _logging(warn, log)
        try:
            with log.stage("store"):
                counts = store.upsert_papers(track(papers, "Storing", len(papers)))
            fetched = len(papers)
            if large:
                with log.stage("store"):
                    more = store_large(store, large, track)
                counts += more
                fetched += more.new + more.revised + more.unchanged
            if harvest or since:
                client = client or make_client(config.arxiv)
                with log.stage("fetch"):
                    report = (
                        backfill(store, config, client, since, until, now)
                        if since
                        else daily_harvest(store, config, client, now)
                    )
                log.warnings.extend(report.warnings)
                if report.unreachable:
                    log.warn(report.unreachable)
                counts += report.counts
                fetched += report.received
            with log.stage("select"):
                decided, selected = (
                    engine.select(store, config, topics, track, warn)
                    if engine
                    else select_pending(
                        store,
                        topics,
                        config.select,
                        make_judge(config.select, backend),
                        track,
                        warn,
                    )
                )
            with log.stage("write"):
                writing = (
                    write_pending(store, topics, writer, config.language, track, force_write, warn)
                    if writer and write
                    else None
                )
            written = writing.written if writing else 0
            usage = _record_usage(store, run_id, writer, writing, config)
            with log.stage("figures"):
                figures = run_stage(store, config, topics, track, client, warn) if build else None
            with log.stage("publish"):
                site = (
                    publish(store, config, topics, writer.model if writer else None, track)
                    if build
                    else BuildResult(0, 0, config.output_dir)
                )
            health = _check_health(
                store,
                config,
                topics,
                Outcome(
                    harvested=report is not None, unreachable=report.unreachable if report else None
                ),
            )
            if health.line():
                log.warn(str(health.line()))
        except BaseException as exc:
            error = str(exc) or type(exc).__name__
            store.finish_run(run_id, "failed", error=error)
            if isinstance(exc, Exception):  # not for Ctrl-C: the owner is there to see it
                _alert_failure(
                    store,
                    config,
                    topics,
                    f"`papertide {command}` (run {run_id}) failed: {error}",
                    log,
                )
            log.write(log_path(config.store_path), "failed", error)
            raise
        log.counts = {
            "fetched": fetched,
            "new": counts.new,
            "revised": counts.revised,
            "unchanged": counts.unchanged,
            "decided": decided,
            "selected": selected,
            "written": written,
            "writeups_failed": writing.failed if writing else 0,
            "figures": figures.with_figures if figures else 0,
            "pages_written": site.written,
        }
        log.llm = asdict(usage) if usage else None
        unreachable = report.unreachable if report else None
        outcome = "unreachable" if unreachable else "ok"
        log.write(log_path(config.store_path), outcome, unreachable)
        store.finish_run(
            run_id,
            outcome,
            error=unreachable,
            fetched=fetched,
            new=counts.new,
            revised=counts.revised,
            unchanged=counts.unchanged,
            selected=selected,
            pages_written=site.written,
        )
    return RunSummary(
        run_id,
        fetched,
        counts,
        decided,
        selected,
        written,
        site,
        time.monotonic() - started,
        report,
        writing,
        usage,
        figures,
        health,
    )


def _check_health(
    store: Store, config: Config, topics: Sequence[Topic], outcome: Outcome
) -> HealthReport:
    """Open and close the run-health incidents this run shows; alert the new ones."""
    report = review_health(store, topics, config.alerts.empty_days, outcome)
    return deliver_alerts(store, config, report, topics)


def _alert_failure(
    store: Store, config: Config, topics: Sequence[Topic], error: str, log: RunLog
) -> None:
    """Alert a failed run, as far as the store and the channels allow: whatever goes wrong
    here is logged, never raised over the error that failed the run."""
    try:
        line = _check_health(store, config, topics, Outcome(error=error)).line()
    except Exception as exc:
        line = f"alerts: could not be sent ({type(exc).__name__}: {exc})"
    if line:
        log.warn(line)


def rollup(
    config: Config, days: int, slugs: Sequence[str] = ()
) -> tuple[list[Rollup], BuildResult]:
    """Write each topic's roll-up of the last ``days`` days (up to the newest announcement day
    in the store) into the site: ``<slug>/last-<days>-days/``, with its feeds."""
    topics = [t for t in config.topic_records() if not slugs or t.slug in slugs]
    backend = make_backend(config.llm, config.base_dir)
    with open_store(config) as store:
        return publish_rollups(store, config, topics, backend.name if backend else None, days)


def _record_usage(
    store: Store, run_id: int, writer: Writer | None, writing: WriteStats | None, config: Config
) -> LLMUsageRecord | None:
    if writer is None or writing is None:
        return None
    u, llm = writer.usage, config.llm
    priced = llm.price_input_per_1k or llm.price_output_per_1k
    cost = u.cost(llm.price_input_per_1k, llm.price_output_per_1k) if priced else None
    record = LLMUsageRecord(
        writer.model,
        u.calls,
        u.prompt_tokens,
        u.completion_tokens,
        cost,
        writing.written,
        writing.failed,
        writing.pending,
    )
    store.record_llm_usage(run_id, record)
    return record


def _logging(warn: Callable[[str], None], log: RunLog) -> Callable[[str], None]:
    """``warn``, also noting each warning in the run log."""

    def both(message: str) -> None:
        log.warn(message)
        warn(message)

    return both
