"""A topic as a model over paper embeddings: closeness, and a classifier fitted on the papers
around it and on the reader's ratings.

**Closeness** is how far a paper's similarity to the description (and, for a share, to the
nearest example) rises above its mean similarity to a few generic research areas — some
abstracts are close to every description — in units of the embedder's ``margin``, in [0, 1].
With a pool to compare against, the papers are ranked by the description mixed with the
topic's short phrases (its name and query terms, ``PHRASE_SHARE``), and each paper's rank in
the pool is given the description's own margin at that rank: the phrases reorder the papers,
the description alone sets how many are close.
The seed score is ``(1 - KEYWORD_WEIGHT) * closeness``, plus ``KEYWORD_WEIGHT`` when the keyword
query matches.

A per-topic **classifier** (logistic regression over the embeddings) is fitted on a *pool* —
the papers being decided and the store's recent ones: the papers the seed score selects are
its positives, the rest its negatives, and the topic's examples and the papers the reader
rated join them (each rating worth ``RATING_WEIGHT`` pool papers; a pool positive nearer to a
paper marked not relevant than to every paper marked relevant stops counting as positive).
A paper nearly the same work as one the reader marked not relevant (similarity from
``1 - margin``), clearly nearer to it than to every paper marked relevant (by
``TURNED_DOWN_LEAD`` of the margin), and whose ``RATED_NEIGHBOURS`` nearest rated papers were
mostly marked not relevant, is not selected by its seed score alone: ratings of a page's papers
are mostly "not relevant", so the vote alone would turn down much of the topic.
A pool paper is scored by the classifier fitted on the other folds of the pool, so that it
finds what the seed score missed instead of repeating it. The classifier selects a paper by
itself from a probability of ``CLASSIFIER_BAR`` (lower once the reader has rated papers:
ratings are what it learns from that the topic's words cannot say). The score is the larger
of the two.

Everything here is pure: vectors in, numbers and readable reasons out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from papertide.select.embed import Vectors

# The seed score: closeness decides most; a keyword match lifts a paper by a fixed amount, so a
# keyword match alone does not select a paper that reads like something else, and a paper
# close enough to the topic needs no keyword. Within closeness, the description counts most
# and the nearest example the rest.
KEYWORD_WEIGHT = 0.3
EXAMPLE_SHARE = 0.3
# The share of the topic's name and query terms in the vector that ranks papers: short phrases
# are what e5 was trained to take as queries, and they name the topic's core where a
# description's sentences wander.
PHRASE_SHARE = 0.4
# A pool smaller than this is not used for percentiles or to fit a classifier.
MIN_POOL = 100
MIN_POSITIVES = 3
# A rating counts this many times a pool paper.
RATING_WEIGHT = 5.0
# The classifier's regularisation (inverse strength) on standardised embeddings, and the
# folds a pool is cross-fitted in.
CLASSIFIER_C = 0.1
FOLDS = 4
# The classifier's probability from which it selects a paper by itself: before any rating,
# and once the topic has RATED_FULLY ratings (in between, in proportion).
CLASSIFIER_BAR = 0.95
RATED_BAR = 0.65
RATED_FULLY = 30
# A paper's nearest rated papers that vote whether the reader turned its like down, and how much
# nearer (in units of the margin) it must be to a paper marked not relevant than to every paper
# marked relevant for that vote to count (it must also be nearly the same work: from 1 - margin).
RATED_NEIGHBOURS = 5
TURNED_DOWN_LEAD = 0.3


@dataclass(frozen=True, slots=True)
class Seeds:
    """What a topic is made of, as vectors (rows L2-normalised)."""

    description: Vectors  # 0 or 1 rows, embedded as a query
    positives: Vectors  # example papers and example texts: embedded as passages
    positive_labels: tuple[str, ...]  # "2606.17675", "example text 2"
    negatives: Vectors  # counter-example papers
    negative_labels: tuple[str, ...]
    # 0 or 1 rows: the mean of the topic's name and of its query terms, embedded as queries
    # (not unit length)
    phrases: Vectors = field(default_factory=lambda: np.zeros((0, 0), np.float32))

    def rows(self) -> tuple[list[str], Vectors]:
        """Flattened for the store: labels 'description', 'phrases', or prefixed '+' or '-'."""
        labels = (
            ["description"] * len(self.description)
            + ["phrases"] * len(self.phrases)
            + [f"+{label}" for label in self.positive_labels]
            + [f"-{label}" for label in self.negative_labels]
        )
        parts = [self.description, self.phrases, self.positives, self.negatives]
        return labels, np.concatenate([p for p in parts if len(p)] or [self.description])

    @classmethod
    def from_rows(cls, labels: list[str], matrix: Vectors) -> Seeds:
        def pick(keep: list[int]) -> Vectors:
            return matrix[keep] if keep else np.zeros((0, matrix.shape[1]), np.float32)

        def rows(name: str) -> list[int]:
            return [i for i, label in enumerate(labels) if label == name]

        pos = [i for i, label in enumerate(labels) if label.startswith("+")]
        neg = [i for i, label in enumerate(labels) if label.startswith("-")]
        return cls(
            pick(rows("description")),
            pick(pos),
            tuple(labels[i][1:] for i in pos),
            pick(neg),
            tuple(labels[i][1:] for i in neg),
            pick(rows("phrases")),
        )


@dataclass(frozen=True, slots=True)
class Rated:
    """The reader's ratings of one topic, as vectors of the rated papers."""

    relevant: Vectors = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    relevant_ids: tuple[str, ...] = ()
    irrelevant: Vectors = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    irrelevant_ids: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.relevant_ids) + len(self.irrelevant_ids)


@dataclass(frozen=True, slots=True)
class Assessment:
    """How one paper stands to one topic."""

    closeness: float  # in [0, 1]
    seed: float  # the seed score, in [0, 1]
    score: float  # in [0, 1]
    percentile: float | None  # share of the pool whose seed score is lower, 0..100
    nearest: tuple[str, float] | None  # the nearest of the topic's examples, and its similarity
    counter: tuple[str, float] | None  # a counter-example nearer than every example
    liked: tuple[str, float] | None  # the nearest paper the reader marked relevant
    disliked: tuple[str, float] | None  # ... or not relevant
    turned_down: bool  # nearly the same work as papers the reader marked not relevant
    classifier: float | None  # the classifier's probability, when one was fitted
    classifier_bar: float  # from which the classifier selects by itself


class TopicModel:
    """One topic's closeness and classifier, fitted on a pool of paper vectors.

    ``margin`` is the embedder's margin over the generic baseline at which a paper is squarely
    on a topic. ``pool_keys`` name the pool's rows (arXiv id, version): a pool paper is judged
    by the classifier fitted without its own fold."""

    def __init__(
        self,
        seeds: Seeds,
        anchors: Vectors,
        pool: Vectors,
        pool_keyword: NDArray[np.bool_],
        rated: Rated | None = None,
        margin: float = 0.10,
        pool_keys: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.seeds = seeds
        self.anchors = anchors
        self.rated = rated or Rated()
        self.margin = margin
        share = min(1.0, self.rated.count / RATED_FULLY)
        self.classifier_bar = CLASSIFIER_BAR + (RATED_BAR - CLASSIFIER_BAR) * share
        self.classifier: _Classifier | None = None
        self._held_out: dict[tuple[str, int], float] = {}
        self._pool_seeds = np.zeros(0, np.float32)
        self.pool_positives = 0
        # The vector that ranks papers, and the pool's margins over the generic baseline by it
        # and by the description alone, both sorted: a paper's rank among the first gives its
        # margin from the second.
        self._ranking: tuple[Vectors, NDArray[np.float32], NDArray[np.float32]] | None = None
        if len(pool) < MIN_POOL:
            return
        if len(seeds.description) and len(seeds.phrases):
            ranking = (1.0 - PHRASE_SHARE) * seeds.description[0] + PHRASE_SHARE * seeds.phrases[0]
            base = self._baseline(pool)
            by_description = np.sort(pool @ seeds.description[0] - base)
            self._ranking = (ranking, np.sort(pool @ ranking - base), by_description)
        seed = self._seed(self._closeness(pool), pool_keyword)
        self._pool_seeds = np.sort(seed)
        keep, positive = _against_ratings(pool, seed >= 0.5, self.rated)
        self.pool_positives = int(positive[keep].sum())
        self.classifier = _Classifier.fit(pool[keep], positive[keep], seeds, self.rated)
        if self.classifier is not None and len(pool_keys) == len(pool):
            kept = [key for key, k in zip(pool_keys, keep, strict=True) if k]
            self._held_out = _cross_fitted(pool[keep], positive[keep], kept, seeds, self.rated)

    def _baseline(self, vectors: Vectors) -> NDArray[np.float32]:
        if not len(self.anchors):
            return np.zeros(len(vectors), np.float32)
        return np.asarray((vectors @ self.anchors.T).mean(axis=1), np.float32)

    def _closeness(self, vectors: Vectors) -> NDArray[np.float32]:
        base = self._baseline(vectors)
        parts: list[tuple[float, NDArray[np.float32]]] = []
        if self._ranking is not None:
            ranking, ranked, by_description = self._ranking
            margin = np.interp(vectors @ ranking - base, ranked, by_description)
            parts.append((1.0 - EXAMPLE_SHARE, np.asarray(margin, np.float32)))
        elif len(self.seeds.description):
            parts.append((1.0 - EXAMPLE_SHARE, vectors @ self.seeds.description[0] - base))
        if len(self.seeds.positives):
            parts.append((EXAMPLE_SHARE, (vectors @ self.seeds.positives.T).max(axis=1) - base))
        if not parts:
            return np.zeros(len(vectors), np.float32)
        total = sum(weight for weight, _ in parts)
        closeness = sum(w * np.clip(m / self.margin, 0.0, 1.0) for w, m in parts) / total
        return np.asarray(closeness, np.float32)

    @staticmethod
    def _seed(closeness: NDArray[np.float32], keyword: NDArray[np.bool_]) -> NDArray[np.float32]:
        seed = (1.0 - KEYWORD_WEIGHT) * closeness + KEYWORD_WEIGHT * keyword
        return np.asarray(seed, np.float32)

    def assess(
        self, vector: Vectors, keyword: bool, key: tuple[str, int] | None = None
    ) -> Assessment:
        row = vector.reshape(1, -1)
        closeness = float(self._closeness(row)[0])
        seed = float(self._seed(np.array([closeness], np.float32), np.array([keyword]))[0])
        liked = _nearest(self.rated.relevant, self.rated.relevant_ids, vector)
        disliked = _nearest(self.rated.irrelevant, self.rated.irrelevant_ids, vector)
        nearest = _nearest(self.seeds.positives, self.seeds.positive_labels, vector)
        counter = _nearest(self.seeds.negatives, self.seeds.negative_labels, vector)
        if counter and nearest and counter[1] <= nearest[1]:
            counter = None
        score = seed
        turned_down = bool(
            liked
            and disliked
            and _turned_down(self.rated, vector, liked[1], disliked[1], self.margin)
        )
        if counter or turned_down:
            # Nearer to a counter-example than to every example, or nearly the same work as
            # papers the reader turned down and clearly nearer to them than to any kept (once
            # they kept one: a first "not relevant" alone must not turn the whole topic down):
            # its closeness alone no longer selects it (the classifier still may).
            score = min(score, 0.45)
        probability = None
        if self.classifier is not None:
            held_out = self._held_out.get(key) if key else None
            probability = held_out if held_out is not None else self.classifier.probability(row)
            # On the score's scale the classifier's bar sits at 0.5.
            odds = math.log(max(probability, 1e-9) / max(1 - probability, 1e-9))
            bar = math.log(self.classifier_bar / (1 - self.classifier_bar))
            score = max(score, 1 / (1 + math.exp(-max(-30.0, min(30.0, odds - bar)))))
        percentile = None
        if len(self._pool_seeds):
            below = float(np.searchsorted(self._pool_seeds, seed))
            percentile = 100.0 * below / len(self._pool_seeds)
        return Assessment(
            closeness,
            seed,
            score,
            percentile,
            nearest,
            counter,
            liked,
            disliked,
            turned_down,
            probability,
            self.classifier_bar,
        )


def _turned_down(
    rated: Rated, vector: Vectors, liked: float, disliked: float, margin: float
) -> bool:
    """Whether the reader turned the paper down: it is nearly the same work as the nearest paper
    marked not relevant (similarity ``disliked`` from ``1 - margin``), clearly nearer to it than
    to every paper marked relevant (``liked``, by ``TURNED_DOWN_LEAD`` of the margin), and most
    of its ``RATED_NEIGHBOURS`` nearest rated papers were marked not relevant (one "not
    relevant" among many "relevant" neighbours is outvoted)."""
    if disliked < 1.0 - margin or disliked - liked < TURNED_DOWN_LEAD * margin:
        return False
    sims = np.concatenate([rated.relevant @ vector, rated.irrelevant @ vector])
    nearest = np.argsort(-sims)[:RATED_NEIGHBOURS]
    return bool((nearest >= len(rated.relevant)).sum() * 2 > len(nearest))


def _against_ratings(
    pool: Vectors, pseudo: NDArray[np.bool_], rated: Rated
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Which pool rows to train on, and their pseudo-labels once the ratings are heard: the
    rated papers themselves are left to their ratings, and a pseudo-positive nearer to a
    paper the reader marked not relevant than to every paper marked relevant is dropped."""
    keep = np.ones(len(pool), bool)
    labels = pseudo.copy()
    if len(rated.irrelevant):
        to_bad = (pool @ rated.irrelevant.T).max(axis=1)
        to_good = (pool @ rated.relevant.T).max(axis=1) if len(rated.relevant) else -np.inf
        keep &= to_bad < 0.9999
        labels &= ~(to_bad > to_good)
    if len(rated.relevant):
        keep &= (pool @ rated.relevant.T).max(axis=1) < 0.9999
    return keep, labels


def _nearest(matrix: Vectors, labels: tuple[str, ...], vector: Vectors) -> tuple[str, float] | None:
    if not len(labels):
        return None
    sims = matrix @ vector
    best = int(np.argmax(sims))
    return labels[best], float(sims[best])


@dataclass(frozen=True, slots=True)
class _Classifier:
    """Logistic regression over standardised embeddings, classes balanced."""

    mean: Vectors
    scale: Vectors
    weights: Vectors
    bias: float

    @classmethod
    def fit(
        cls, pool: Vectors, pseudo: NDArray[np.bool_], seeds: Seeds, rated: Rated
    ) -> _Classifier | None:
        from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

        rows = [pool]
        targets = [pseudo.astype(np.int8)]
        weights = [np.ones(len(pool), np.float32)]
        extra = [(seeds.positives, 1, 1.0), (seeds.negatives, 0, 1.0)]
        extra += [(rated.relevant, 1, RATING_WEIGHT), (rated.irrelevant, 0, RATING_WEIGHT)]
        for matrix, target, weight in extra:
            if len(matrix):
                rows.append(matrix)
                targets.append(np.full(len(matrix), target, np.int8))
                weights.append(np.full(len(matrix), weight, np.float32))
        x = np.concatenate(rows)
        y = np.concatenate(targets)
        w = np.concatenate(weights)
        positive = float(w[y == 1].sum())
        if positive < MIN_POSITIVES or positive >= float(w.sum()):
            return None
        # Both classes weigh the same in all, however rare the topic.
        w = (np.where(y == 1, w / positive, w / (float(w.sum()) - positive)) * len(w) / 2).astype(
            np.float32
        )
        mean = pool.mean(axis=0)
        scale = pool.std(axis=0) + 1e-6
        model = LogisticRegression(C=CLASSIFIER_C, max_iter=1000)
        model.fit((x - mean) / scale, y, sample_weight=w)
        return cls(
            mean.astype(np.float32),
            scale.astype(np.float32),
            model.coef_[0].astype(np.float32),
            float(model.intercept_[0]),
        )

    def probability(self, row: Vectors) -> float:
        logit = float((((row - self.mean) / self.scale) @ self.weights + self.bias)[0])
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, logit))))


def _cross_fitted(
    pool: Vectors,
    pseudo: NDArray[np.bool_],
    keys: Sequence[tuple[str, int]],
    seeds: Seeds,
    rated: Rated,
) -> dict[tuple[str, int], float]:
    """Each pool paper's probability from a classifier fitted on the other folds."""
    folds = np.arange(len(pool)) % FOLDS
    found: dict[tuple[str, int], float] = {}
    for fold in range(FOLDS):
        inside = folds == fold
        model = _Classifier.fit(pool[~inside], pseudo[~inside], seeds, rated)
        if model is None:
            continue
        for index in np.flatnonzero(inside).tolist():
            found[keys[index]] = model.probability(pool[index : index + 1])
    return found
