"""Backfills on a cluster: embedding and selection of the stored papers, batch by batch, on
every worker of a Ray cluster (`ray_engine.py`, ``pip install 'papertide[cluster]'``).

A batch is a list of paper ids. Its worker opens the store itself, judges the batch's papers
with the same `Selection` as an in-process run (topic vectors come from the store, where the
driver cached them), and saves the decisions in one transaction; vectors are saved as they
are computed. Every write is an upsert keyed by paper version (and topic), so a worker lost
mid-batch only means that batch is judged again, reusing the vectors it had saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from papertide.records import Topic

if TYPE_CHECKING:
    from papertide.config import Config
    from papertide.select.embed import Embedder
    from papertide.select.judge import Judge

# One embedding model (and LLM backend, for the judge) per worker process, loaded by its
# first batch.
_embedders: dict[tuple[str, str], Embedder | None] = {}
_judges: dict[str, Judge | None] = {}


def decide_batch(config: Config, topics: Sequence[Topic], ids: Sequence[str]) -> tuple[int, int]:
    """Decide every pending (paper, topic) pair of these papers and store the decisions;
    returns (decisions made, of which selected). Runs on a worker."""
    from papertide.llm import make_backend
    from papertide.select.embed import make_embedder
    from papertide.select.judge import make_judge
    from papertide.select.stage import Selection
    from papertide.store import open_store

    settings = config.select
    key = (settings.embedder, settings.embedder_model)
    if key not in _embedders:
        _embedders[key] = make_embedder(*key)
    if "judge" not in _judges:
        backend = make_backend(config.llm, config.base_dir) if settings.judge else None
        _judges["judge"] = make_judge(settings, backend)
    with open_store(config) as store:
        pending = store.pending_among(ids, [t.slug for t in topics])
        if not pending:
            return 0, 0  # a batch done before its worker was lost
        selection = Selection(store, _embedders[key], _judges["judge"], settings.judge_band)
        prepared = selection.prepare(topics)
        matches = list(selection.decide(prepared, pending))
        store.save_matches(matches)
    return len(matches), sum(m.selected for m in matches)
