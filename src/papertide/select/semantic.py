"""The decision rule: keyword evidence and similarity to the topic combined into one score.

A topic is represented by vectors (``TopicVectors``): its description embedded as a query,
and its example papers and example texts embedded as passages (positives), plus the papers
the user marked as not on the topic (negatives). A paper's vector is compared with all of
them; the closeness, the topic's keyword query and its exclusions decide a score in [0, 1],
and the paper is selected when the score reaches the topic's threshold.

Everything here is pure: vectors in, a ``Match`` out, with a reason a person can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from papertide.records import Match, Paper, Topic
from papertide.select.embed import Vectors
from papertide.select.query import Document, Query, parse_query

# Generic research areas, embedded as queries. A paper's mean similarity to them is its
# baseline: some abstracts are close to every description, and what tells a topic's papers
# apart is how far their similarity to the topic rises above that baseline (the margin).
ANCHORS = (
    "A research paper in machine learning.",
    "A research paper in computer vision.",
    "A research paper in natural language processing and large language models.",
    "A research paper in robotics.",
    "A research paper in artificial intelligence and reasoning agents.",
    "A research paper about data, systems and software.",
)

# The score: semantic closeness decides most; a keyword match lifts a paper by a fixed
# amount, so a keyword match alone does not select a paper that reads like something else,
# and a paper close enough to the topic needs no keyword.
KEYWORD_WEIGHT = 0.3
# Within closeness: the description counts most, the nearest example the rest.
EXAMPLE_SHARE = 0.3
# A paper closer to a counter-example than to any example loses this share of its score.
NEGATIVE_PENALTY = 0.5


@dataclass(frozen=True, slots=True)
class TopicVectors:
    """A topic as vectors: ``description`` (0 or 1 rows, embedded as a query), positives
    (example papers and texts) and negatives (counter-example papers), each row labelled
    with the arXiv id or "example text N" it came from."""

    description: Vectors
    positives: Vectors
    positive_labels: tuple[str, ...]
    negatives: Vectors
    negative_labels: tuple[str, ...]

    def rows(self) -> tuple[list[str], Vectors]:
        """Flattened for the store: labels prefixed 'description', '+' or '-'."""
        labels = (
            ["description"] * len(self.description)
            + [f"+{label}" for label in self.positive_labels]
            + [f"-{label}" for label in self.negative_labels]
        )
        parts = [self.description, self.positives, self.negatives]
        return labels, np.concatenate([p for p in parts if len(p)] or [self.description])

    @classmethod
    def from_rows(cls, labels: list[str], matrix: Vectors) -> TopicVectors:
        def pick(keep: list[int]) -> Vectors:
            return matrix[keep] if keep else np.zeros((0, matrix.shape[1]), np.float32)

        desc = [i for i, label in enumerate(labels) if label == "description"]
        pos = [i for i, label in enumerate(labels) if label.startswith("+")]
        neg = [i for i, label in enumerate(labels) if label.startswith("-")]
        return cls(
            pick(desc),
            pick(pos),
            tuple(labels[i][1:] for i in pos),
            pick(neg),
            tuple(labels[i][1:] for i in neg),
        )


@dataclass(frozen=True, slots=True)
class Closeness:
    """How close a paper is to a topic: cosine similarities, and the paper's baseline (its
    mean similarity to the generic ``ANCHORS``)."""

    baseline: float
    description: float | None
    example: float | None
    example_label: str | None
    negative: float | None
    negative_label: str | None


def closeness(vectors: TopicVectors, anchors: Vectors, vector: Vectors) -> Closeness:
    def nearest(matrix: Vectors, labels: tuple[str, ...]) -> tuple[float | None, str | None]:
        if not len(matrix):
            return None, None
        sims = matrix @ vector
        best = int(np.argmax(sims))
        return float(sims[best]), labels[best]

    baseline = float(np.mean(anchors @ vector)) if len(anchors) else 0.0
    desc = float(vectors.description[0] @ vector) if len(vectors.description) else None
    example, example_label = nearest(vectors.positives, vectors.positive_labels)
    negative, negative_label = nearest(vectors.negatives, vectors.negative_labels)
    return Closeness(baseline, desc, example, example_label, negative, negative_label)


def combine(keyword: bool, near: Closeness, margin: float) -> float:
    """The score in [0, 1] of a paper with this keyword evidence and closeness; ``margin``
    is the embedder's margin over the baseline at which a paper is squarely on a topic."""

    def unit(similarity: float) -> float:
        return min(1.0, max(0.0, (similarity - near.baseline) / margin))

    parts: list[tuple[float, float]] = []
    if near.description is not None:
        parts.append((1.0 - EXAMPLE_SHARE, unit(near.description)))
    if near.example is not None:
        parts.append((EXAMPLE_SHARE, unit(near.example)))
    total = sum(w for w, _ in parts) or 1.0
    semantic = sum(w * value for w, value in parts) / total
    score = (1.0 - KEYWORD_WEIGHT) * semantic + (KEYWORD_WEIGHT if keyword else 0.0)
    if near.negative is not None and near.example is not None and near.negative > near.example:
        score *= 1.0 - NEGATIVE_PENALTY
    return float(min(1.0, max(0.0, score)))


class SemanticSelector:
    """Decides one topic: categories and exclusions rule papers out, then keyword evidence
    and closeness to the topic's vectors give the score; the threshold decides."""

    def __init__(
        self, topic: Topic, vectors: TopicVectors | None, anchors: Vectors, margin: float
    ) -> None:
        self.topic = topic
        self.vectors = vectors
        self.anchors = anchors
        self.margin = margin
        self.query: Query | None = parse_query(topic.query) if topic.query else None
        self.exclusions = tuple(parse_query(term) for term in topic.exclude)

    def needs_vector(self, paper: Paper, document: Document) -> bool:
        """Whether deciding this paper uses its embedding: not when the topic's categories or
        exclusions already rule it out, so such papers are never embedded."""
        if self.vectors is None:
            return False
        if self.topic.categories and paper.listed_in(self.topic.categories) is None:
            return False
        return not any(e.evaluate(document) is not None for e in self.exclusions)

    def decide(self, paper: Paper, document: Document, vector: Vectors | None, day: date) -> Match:
        def match(selected: bool, score: float, reason: str) -> Match:
            return Match(
                paper.arxiv_id,
                paper.version,
                self.topic.slug,
                day,
                selected,
                round(score, 3),
                reason,
            )

        if self.topic.categories and paper.listed_in(self.topic.categories) is None:
            return match(False, 0.0, f"not listed in {', '.join(self.topic.categories)}")
        for exclusion in self.exclusions:
            hit = exclusion.evaluate(document)
            if hit is not None:
                return match(False, 0.0, f"excluded: {hit[0]}")
        evidence = self.query.evaluate(document) if self.query else None
        reasons = list(evidence[:2]) if evidence else []
        keyword = evidence is not None
        in_title = bool(evidence) and any(e.startswith("title") for e in evidence or ())
        if self.vectors is None or vector is None:
            # Keyword-only selection: the query decides.
            if self.query is None:
                return match(False, 0.0, "no keyword query and no embeddings")
            if not keyword:
                return match(False, 0.0, "no keyword match")
            score = 0.5 + (0.25 if in_title else 0.0) + 0.05 * (len(evidence or ()) - 1)
            return match(True, min(1.0, score), "; ".join(reasons))
        near = closeness(self.vectors, self.anchors, vector)
        score = combine(keyword, near, self.margin)
        if near.description is not None:
            reasons.append(f"{near.description:.2f} similar to the topic")
        if near.example is not None:
            reasons.append(f"nearest example: {near.example_label} ({near.example:.2f})")
        if near.negative is not None and near.example is not None and near.negative > near.example:
            reasons.append(f"closer to counter-example {near.negative_label} ({near.negative:.2f})")
        return match(score >= self.topic.threshold, score, "; ".join(reasons))
