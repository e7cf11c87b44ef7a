"""Selection against the store's caches: paper embeddings computed once per paper version,
topic vectors rebuilt only when the parts of a topic that are embedded change.

``Selection`` holds the embedder (or None: keyword-only selection) and the optional LLM judge;
``decide`` judges papers for topics and returns the decisions plus notes for the user (an
example id that is not in the store, for instance).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np

from papertide.config import SelectConfig
from papertide.records import Match, Paper, Topic, split_arxiv_id
from papertide.select.embed import (
    Embedder,
    Vectors,
    embedder_name,
    make_embedder,
    paper_text,
)
from papertide.select.judge import Judge, apply_judge
from papertide.select.query import Document
from papertide.select.semantic import ANCHORS, SemanticSelector, TopicVectors
from papertide.store import Store

BATCH = 32  # papers embedded per call: progress stays smooth, memory stays flat

Warn = Callable[[str], None]


def _no_warning(message: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Prepared:
    selectors: dict[str, SemanticSelector]
    notes: tuple[str, ...]


class Selection:
    """Scores papers for topics, caching every vector in ``store``."""

    def __init__(
        self, store: Store, embedder: Embedder | None, judge: Judge | None = None, band: float = 0.1
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.judge = judge
        self.band = band

    def anchors(self) -> Vectors:
        """The generic research areas as vectors, cached in the store like a topic's."""
        if self.embedder is None:
            return np.zeros((0, 1), np.float32)
        key = hashlib.sha256("\n".join(ANCHORS).encode()).hexdigest()[:16]
        cached = self.store.get_topic_vectors("", self.embedder.name, key)
        if cached is not None:
            return cached[1]
        vectors = self.embedder.embed_queries(list(ANCHORS))
        self.store.save_topic_vectors("", self.embedder.name, key, list(ANCHORS), vectors)
        return vectors

    # --- vectors ------------------------------------------------------------

    def paper_vectors(
        self, papers: Sequence[Paper], progress: Callable[[int], None] | None = None
    ) -> dict[tuple[str, int], Vectors]:
        """Each paper version's vector: from the store, or embedded now and stored."""
        if self.embedder is None:
            return {}
        model = self.embedder.name
        keys = [(p.arxiv_id, p.version) for p in papers]
        found = self.store.get_embeddings(keys, model)
        missing = list(
            {
                (p.arxiv_id, p.version): p for p in papers if (p.arxiv_id, p.version) not in found
            }.values()
        )
        for start in range(0, len(missing), BATCH):
            chunk = missing[start : start + BATCH]
            vectors = self.embedder.embed_passages([paper_text(p) for p in chunk])
            rows = [(p.arxiv_id, p.version, v) for p, v in zip(chunk, vectors, strict=True)]
            self.store.save_embeddings(model, rows)  # saved batch by batch: a kill loses little
            found.update({(a, v): vec for a, v, vec in rows})
            if progress:
                progress(len(chunk))
        return found

    def topic_vectors(
        self, topic: Topic, known: dict[str, Paper], warn: Warn
    ) -> TopicVectors | None:
        """The topic's vectors, rebuilt only when its embedded parts changed."""
        if self.embedder is None:
            return None
        examples = self._resolve(topic, topic.examples, known, warn, "examples")
        negatives = self._resolve(topic, topic.negative_examples, known, warn, "negative_examples")
        key = topic_vector_fingerprint(topic, self.embedder.name, examples, negatives)
        cached = self.store.get_topic_vectors(topic.slug, self.embedder.name, key)
        if cached is not None:
            return TopicVectors.from_rows(*cached)
        description = (
            self.embedder.embed_queries([topic.description])
            if topic.description
            else np.zeros((0, 0), np.float32)
        )
        paper_vecs = self.paper_vectors([*examples, *negatives])
        texts = (
            self.embedder.embed_passages(list(topic.example_texts)) if topic.example_texts else None
        )
        pos_rows = [paper_vecs[(p.arxiv_id, p.version)] for p in examples]
        pos_labels = [p.arxiv_id for p in examples]
        if texts is not None:
            pos_rows.extend(texts)
            pos_labels.extend(f"example text {i + 1}" for i in range(len(texts)))
        neg_rows = [paper_vecs[(p.arxiv_id, p.version)] for p in negatives]
        dim = _dim(description, pos_rows, neg_rows)
        vectors = TopicVectors(
            description.reshape(-1, dim) if len(description) else np.zeros((0, dim), np.float32),
            _stack(pos_rows, dim),
            tuple(pos_labels),
            _stack(neg_rows, dim),
            tuple(p.arxiv_id for p in negatives),
        )
        labels, matrix = vectors.rows()
        if len(labels):
            self.store.save_topic_vectors(topic.slug, self.embedder.name, key, labels, matrix)
        return vectors

    def _resolve(
        self, topic: Topic, ids: Iterable[str], known: dict[str, Paper], warn: Warn, key: str
    ) -> list[Paper]:
        found = []
        for text in ids:
            arxiv_id, _ = split_arxiv_id(text)
            paper = known.get(arxiv_id) or self.store.get_paper(arxiv_id)
            if paper is None:
                warn(
                    f"topic {topic.slug}: {key} {arxiv_id} is not in the store, so it is not "
                    "used; import a file that holds it (papertide import FILE) or remove it"
                )
                continue
            found.append(paper)
        return found

    # --- decisions ----------------------------------------------------------

    def prepare(
        self, topics: Sequence[Topic], papers: Sequence[Paper] = (), warn: Warn = _no_warning
    ) -> Prepared:
        notes: list[str] = []

        def note(message: str) -> None:
            notes.append(message)
            warn(message)

        known = {p.arxiv_id: p for p in papers}
        anchors = self.anchors()
        margin = self.embedder.margin if self.embedder else 1.0
        selectors = {
            t.slug: SemanticSelector(t, self.topic_vectors(t, known, note), anchors, margin)
            for t in topics
        }
        return Prepared(selectors, tuple(notes))

    def decide(
        self, prepared: Prepared, pending: Iterable[tuple[Paper, Sequence[str]]]
    ) -> Iterator[Match]:
        """One decision per (paper, topic slug); papers are embedded in batches as the
        iterable is consumed, so progress over it is real."""
        from papertide.select import page_day

        items = iter(pending)
        while chunk := list(islice(items, BATCH * 4)):
            documents = [Document.from_paper(paper) for paper, _ in chunk]
            vectors = self.paper_vectors(
                [
                    paper
                    for (paper, slugs), document in zip(chunk, documents, strict=True)
                    if any(prepared.selectors[s].needs_vector(paper, document) for s in slugs)
                ]
            )
            for (paper, slugs), document in zip(chunk, documents, strict=True):
                vector = vectors.get((paper.arxiv_id, paper.version))
                day = page_day(paper)
                for slug in slugs:
                    selector = prepared.selectors[slug]
                    match = selector.decide(paper, document, vector, day)
                    if self.judge is not None:
                        match = apply_judge(self.judge, selector.topic, paper, match, self.band)
                    yield match


Pending = Iterable[tuple[Paper, list[str]]]


def select_pending(
    store: Store,
    topics: Sequence[Topic],
    settings: SelectConfig,
    judge: Judge | None,
    track: Callable[[Pending, str, int], Iterable[tuple[Paper, list[str]]]],
    warn: Warn = _no_warning,
    embedder_factory: Callable[[str, str], Embedder | None] = make_embedder,
) -> tuple[int, int]:
    """Decide every (paper, topic) pair the store has no decision for; re-decide a topic whose
    definition, ratings (or the embedding model) changed. Decisions are saved as they are made, so a
    killed run keeps them. Returns (decisions made, of which selected)."""
    slugs = [t.slug for t in topics]
    total = reset_changed_topics(store, topics, settings)
    if not total:
        return 0, 0  # nothing to judge: the model is not even loaded
    pending = store.pending_selection(slugs)
    selection = Selection(
        store,
        embedder_factory(settings.embedder, settings.embedder_model),
        judge,
        settings.judge_band,
    )
    prepared = selection.prepare(topics, warn=warn)
    decided = selected = 0
    batch: list[Match] = []
    for match in selection.decide(prepared, track(pending, "Selecting", total)):
        batch.append(match)
        if len(batch) >= 1000:
            store.save_matches(batch)
            decided, selected = decided + len(batch), selected + sum(m.selected for m in batch)
            batch = []
    store.save_matches(batch)
    return decided + len(batch), selected + sum(m.selected for m in batch)


def reset_changed_topics(store: Store, topics: Sequence[Topic], settings: SelectConfig) -> int:
    """Forget the decisions of each topic whose definition, ratings (or embedding model)
    changed; returns how many papers then lack a decision for some topic."""
    from papertide.select import fingerprint

    model = embedder_name(settings.embedder, settings.embedder_model)
    for topic in topics:
        fp = fingerprint(topic, model, store.feedback_for(topic.slug))
        if store.topic_fingerprint(topic.slug) != fp:
            store.reset_topic(topic.slug, fp)
    return store.count_pending_selection([t.slug for t in topics])


def topic_vector_fingerprint(
    topic: Topic, model: str, examples: Sequence[Paper], negatives: Sequence[Paper]
) -> str:
    """Changes when anything that is embedded for the topic changes — not its query,
    categories or threshold."""
    payload = json.dumps(
        {
            "model": model,
            "description": topic.description,
            "texts": list(topic.example_texts),
            "examples": [p.versioned_id for p in examples],
            "negatives": [p.versioned_id for p in negatives],
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _dim(description: Vectors, *groups: list[Vectors]) -> int:
    if len(description):
        return int(description.shape[-1])
    for group in groups:
        if group:
            return int(group[0].shape[-1])
    return 1


def _stack(rows: list[Vectors], dim: int) -> Vectors:
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), np.float32)
