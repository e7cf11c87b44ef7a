"""The pipeline's write stage: every selected paper version without a write-up, cache
look-up, concurrent calls, failures recorded.

Only the calling threads talk to the backend; every store write happens in the caller's
thread. A paper whose answer stays unusable is recorded as failed (and retried by a later
run); a backend that cannot be reached stops the stage, leaving the rest pending.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from papertide.errors import LLMError, WriteupFailedError
from papertide.records import Paper, Topic, Writeup
from papertide.store import Store
from papertide.write import Writer, estimate
from papertide.write.prompt import PROMPT_VERSION


@dataclass(frozen=True, slots=True)
class WriteStats:
    written: int = 0
    failed: int = 0
    pending: int = 0  # left for a later run because the backend became unusable
    error: str | None = None  # why the stage stopped early


# After a change of model or prompt version, the selected papers of the newest REWRITE_DAYS
# page days are written up again; older pages keep the write-up they have (`--force-write`
# rewrites them too), so an upgrade costs a week's calls, not the whole history's.
REWRITE_DAYS = 7


def missing(
    store: Store,
    papers: Iterable[tuple[Paper, Topic | None]],
    writer: Writer,
    language: str,
    prompt_version: str,
    force: bool = False,
    keep_earlier: Callable[[Paper], bool] = lambda paper: False,
) -> list[tuple[Paper, Topic | None]]:
    """The paper versions without a cached write-up, each once (the first topic names it);
    a paper for which ``keep_earlier`` is true is left out when another model or prompt
    version wrote it up."""
    todo: dict[tuple[str, int], tuple[Paper, Topic | None]] = {}
    for paper, topic in papers:
        key = (paper.arxiv_id, paper.version)
        if key in todo:
            continue
        if force or not (
            store.get_writeup(paper.arxiv_id, paper.version, writer.model, prompt_version, language)
            or (keep_earlier(paper) and store.latest_writeup(*key, language))
        ):
            todo[key] = (paper, topic)
    return list(todo.values())


def write_all(
    store: Store,
    todo: Sequence[tuple[Paper, Topic | None]],
    writer: Writer,
    language: str,
    prompt_version: str,
    on_done: Callable[[Paper], object] = lambda paper: None,
) -> WriteStats:
    """Write up every paper of ``todo`` with at most ``writer.concurrency`` calls at once."""
    written = failed = 0
    error: str | None = None
    queue = list(todo)
    queue.reverse()
    running: dict[Future[Writeup], Paper] = {}
    with ThreadPoolExecutor(max_workers=max(1, writer.concurrency)) as pool:
        while queue or running:
            while queue and error is None and len(running) < writer.concurrency:
                paper, topic = queue.pop()
                running[pool.submit(writer.write, paper, topic, language)] = paper
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                paper = running.pop(future)
                try:
                    store.save_writeup(future.result())
                    written += 1
                except WriteupFailedError as exc:
                    store.save_writeup_failure(
                        paper.arxiv_id,
                        paper.version,
                        writer.model,
                        prompt_version,
                        language,
                        str(exc),
                    )
                    failed += 1
                except LLMError as exc:
                    error = error or str(exc)
                    queue.append((paper, None))
                on_done(paper)
    pending = len(queue) if error else 0
    return WriteStats(written, failed, pending, error)


def write_pending(
    store: Store,
    topics: Sequence[Topic],
    writer: Writer,
    language: str,
    track: Callable[[range, str, int | None], Iterable[int]],
    force: bool = False,
    note: Callable[[str], None] = lambda message: None,
) -> WriteStats:
    """A write-up for each selected paper version that has none yet (a paper selected by two
    topics is written once; one written by another model or prompt version only on the newest
    ``REWRITE_DAYS`` days), saying first how long that will take; failures are recorded, an
    unreachable backend leaves the rest pending for the next run."""
    by_slug = {t.slug: t for t in topics}
    selected = store.selected(list(by_slug))
    day_of = {(s.paper.arxiv_id, s.paper.version): s.match.day for s in selected}
    recent = set(sorted(set(day_of.values()), reverse=True)[:REWRITE_DAYS])
    todo = missing(
        store,
        ((s.paper, by_slug[s.match.topic]) for s in selected),
        writer,
        language,
        PROMPT_VERSION,
        force,
        lambda paper: day_of[(paper.arxiv_id, paper.version)] not in recent,
    )
    if todo:
        note(estimate(len(todo), writer))
    progress = iter(track(range(len(todo)), "Writing", len(todo)))
    next(progress, None)
    return write_all(store, todo, writer, language, PROMPT_VERSION, lambda _: next(progress, None))
