"""Selection of a backfill's papers as Ray tasks, one per batch of papers, on every worker.

The driver (the machine that runs `papertide backfill --engine ray`) holds the store's run
lock, resets topics whose definition changed, embeds the topics once (cached in the store),
then sends batches of paper ids as tasks, at most ``workers`` of them in flight. Ray retries
a task whose worker died; a batch that fails for good stops the backfill with its ids, and
running it again judges only what is still missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from papertide.cluster import decide_batch
from papertide.errors import ConfigError, PapertideError
from papertide.records import Topic
from papertide.select.embed import make_embedder
from papertide.select.stage import Selection, reset_changed_topics
from papertide.store import Store

if TYPE_CHECKING:
    from papertide.config import Config
    from papertide.pipeline import Tracker

RETRIES = 3  # attempts after the first when a worker dies or its node is lost


@dataclass(frozen=True, slots=True)
class RayEngine:
    """Where and how wide: ``address`` of a running cluster (None: start a local Ray
    instance with ``workers`` CPUs), at most ``workers`` batches at once (None: one per CPU
    of the cluster), ``batch`` papers per task."""

    address: str | None = None
    workers: int | None = None
    batch: int = 256

    def select(
        self,
        store: Store,
        config: Config,
        topics: Sequence[Topic],
        track: Tracker,
        warn: Callable[[str], None],
    ) -> tuple[int, int]:
        """Decide every pending (paper, topic) pair on the cluster; (decisions, selected)."""
        if not reset_changed_topics(store, topics, config.select):
            return 0, 0
        settings = config.select
        # The topics' vectors, embedded here once and cached in the store for the workers.
        Selection(store, make_embedder(settings.embedder, settings.embedder_model)).prepare(
            topics, warn=warn
        )
        slugs = [t.slug for t in topics]
        ids = [paper.arxiv_id for paper, _ in store.pending_selection(slugs)]
        batches = [ids[i : i + self.batch] for i in range(0, len(ids), self.batch)]
        ray = self._connect(store)
        width = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        task = ray.remote(num_cpus=1, max_retries=RETRIES)(decide_batch)
        config_ref, topics_ref = ray.put(config), ray.put(list(topics))
        decided = selected = 0
        for made, chosen in track(
            _bounded(ray, task, config_ref, topics_ref, batches, width),
            "Selecting",
            len(batches),
        ):
            decided, selected = decided + made, selected + chosen
        return decided, selected

    def _connect(self, store: Store) -> Any:
        try:
            import ray
        except ImportError:
            raise ConfigError("--engine ray needs Ray: pip install 'papertide[cluster]'") from None
        if self.address and store.db.file is not None:
            raise ConfigError(
                f"Ray workers on other machines cannot open the SQLite file {store.location}:"
                " set [store] url to a PostgreSQL store, or leave out --address to start a"
                " local Ray instance"
            )
        if not ray.is_initialized():
            ray.init(
                address=self.address,
                num_cpus=None if self.address else self.workers,
                include_dashboard=False,
                logging_level=logging.WARNING,
                configure_logging=True,
            )
        return ray


def _bounded(
    ray: Any,
    task: Any,
    config_ref: Any,
    topics_ref: Any,
    batches: Sequence[Sequence[str]],
    width: int,
) -> Iterator[tuple[int, int]]:
    """Each batch's (decisions, selected) as it finishes, with ``width`` tasks in flight."""
    queue = list(reversed(batches))
    running: dict[Any, Sequence[str]] = {}
    while queue or running:
        while queue and len(running) < width:
            ids = queue.pop()
            running[task.remote(config_ref, topics_ref, ids)] = ids
        done, _ = ray.wait(list(running), num_returns=1)
        ids = running.pop(done[0])
        try:
            yield ray.get(done[0])
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if isinstance(exc.cause, PapertideError) else None
            if cause is not None:
                raise cause from None
            raise PapertideError(
                f"the batch {ids[0]} .. {ids[-1]} failed on its worker ({exc.cause!r}); "
                "run the backfill again to judge what is still missing"
            ) from None
        except ray.exceptions.RayError as exc:
            raise PapertideError(
                f"the batch {ids[0]} .. {ids[-1]} was lost {RETRIES + 1} times "
                f"({type(exc).__name__}); check the cluster and run the backfill again"
            ) from None
