"""Selection over a given set of papers, outside the daily run: what `papertide select`,
`papertide eval relevance` and `papertide calibrate` do.

Papers are judged but not stored; the store only serves as the cache of embeddings and
topic vectors, and as the place where example papers are looked up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from papertide.config import Config
from papertide.records import Feedback, Match, Paper, Topic
from papertide.select import page_day, select
from papertide.select.embed import make_embedder
from papertide.select.evaluate import (
    Calibration,
    Labels,
    Scores,
    calibrate,
    labelled_days,
    measure,
)
from papertide.select.stage import Tracker, make_selection, untracked
from papertide.store import open_store


def score_papers(
    config: Config,
    papers: Sequence[Paper],
    topics: Sequence[Topic] | None = None,
    warn: Callable[[str], None] = lambda message: None,
    track: Tracker = untracked,
    ratings: Mapping[str, Sequence[Feedback]] | None = None,
    known: Sequence[Paper] = (),
) -> list[Match]:
    """Every (paper, topic) decision for these papers, with the configured selection; the
    reader's ``ratings`` per topic slug, or (None) those in the store; rated papers and
    examples are also looked up in ``known``. ``track`` counts the papers embedded, then
    those scored."""
    topics = list(topics if topics is not None else config.topic_records())
    settings = config.select
    with open_store(config) as store:
        selection = make_selection(
            store,
            settings,
            config.llm,
            make_embedder(settings.embedder, settings.embedder_model),
            config.base_dir,
        )
        prepared = selection.prepare(topics, papers, warn, ratings, track, known)
        slugs = [t.slug for t in topics]
        scored = track(papers, "Scoring", len(papers))
        return list(selection.decide(prepared, ((p, slugs) for p in scored)))


def keyword_matches(topics: Sequence[Topic], papers: Sequence[Paper]) -> list[Match]:
    """The keyword-only baseline: each topic's query within its categories."""
    return list(select(topics, papers))


@dataclass(frozen=True, slots=True)
class TopicResult:
    slug: str
    scores: Scores
    baseline: Scores | None
    unrated: Scores | None = None  # with --feedback: the same days scored without ratings
    rated: tuple[int, int] = (0, 0)  # with --feedback: ratings given (relevant, not relevant)


@dataclass(frozen=True, slots=True)
class Evaluation:
    days: tuple[date, ...]  # the days scored
    papers: int  # papers of those days
    topics: tuple[TopicResult, ...]
    missing: tuple[str, ...]  # label files without a configured topic
    rating_days: tuple[date, ...] = ()  # with --feedback: the days the simulated reader rated

    def macro(self, which: str = "scores") -> Scores | None:
        rows: list[Scores | None] = [getattr(t, which) for t in self.topics]
        found = [r for r in rows if r is not None]
        if not found:
            return None
        n = len(found)
        return Scores(
            sum(r.precision for r in found) / n,
            sum(r.recall for r in found) / n,
            sum(r.f1 for r in found) / n,
            sum(r.selected for r in found),
            sum(r.core for r in found),
        )


def on_labelled_days(labels: dict[str, Labels], papers: Sequence[Paper]) -> list[Paper]:
    days = labelled_days(labels, papers)
    return [p for p in papers if page_day(p) in days]


# The simulated reader of `eval relevance --feedback N` rates this many papers a day per topic:
# the top of the topic's page, by score (a day page shows as many, with the papers close to the
# topic that it did not select: publish.stage.PAGE_SHOWS_AT_LEAST).
RATINGS_PER_DAY = 10


def simulated_ratings(
    config: Config,
    labels: Mapping[str, Labels],
    papers: Sequence[Paper],
    topics: Sequence[Topic],
    count: int,
    warn: Callable[[str], None] = lambda message: None,
) -> tuple[dict[str, list[Feedback]], tuple[date, ...]]:
    """A reader who, day after day from the earliest, rates the ``RATINGS_PER_DAY``
    top-scored papers of each topic (scored with the ratings given so far) until ``count``
    ratings per topic. Relevant means labelled 1 or 2, the papers precision counts as right.
    At least the last day is left unrated, to be scored."""
    ratings: dict[str, list[Feedback]] = {t.slug: [] for t in topics}
    days = sorted({page_day(p) for p in papers})
    used: list[date] = []
    for day in days[:-1]:
        if all(len(r) >= count for r in ratings.values()):
            break
        used.append(day)
        today = [p for p in papers if page_day(p) == day]
        matches = score_papers(config, today, topics, warn, ratings=ratings, known=papers)
        for topic in topics:
            given = ratings[topic.slug]
            wanted = min(RATINGS_PER_DAY, count - len(given))
            ranked = sorted(
                (m for m in matches if m.topic == topic.slug), key=lambda m: (-m.score, m.arxiv_id)
            )
            given.extend(
                Feedback(m.arxiv_id, topic.slug, labels[topic.slug].of(m.arxiv_id) >= 1, "eval")
                for m in ranked[: max(0, wanted)]
            )
    return ratings, tuple(used)


def evaluate(
    config: Config,
    labels: dict[str, Labels],
    papers: Sequence[Paper],
    baseline: bool,
    warn: Callable[[str], None] = lambda message: None,
    track: Tracker = untracked,
    feedback: int = 0,
) -> Evaluation:
    """Precision, recall and F1 per labelled topic over the papers of the labelled days.

    With ``feedback`` > 0, a simulated reader first rates that many papers per topic on the
    earliest days (`simulated_ratings`); only the later days are scored, with those ratings
    and, for comparison, without them."""
    evaluated = on_labelled_days(labels, papers)
    topics = [t for t in config.topic_records() if t.slug in labels]
    ratings: dict[str, list[Feedback]] | None = None
    rating_days: tuple[date, ...] = ()
    unrated: dict[str, list[str]] = {}
    if feedback > 0:
        ratings, rating_days = simulated_ratings(config, labels, evaluated, topics, feedback, warn)
        evaluated = [p for p in evaluated if page_day(p) not in rating_days]
        unrated = _selected(score_papers(config, evaluated, topics, warn, ratings={}))
    ids = [p.arxiv_id for p in evaluated]
    rated = [p for p in papers if page_day(p) in rating_days]
    chosen = _selected(score_papers(config, evaluated, topics, warn, track, ratings, rated))
    keyword = _selected(keyword_matches(topics, evaluated)) if baseline else {}
    results = tuple(
        TopicResult(
            t.slug,
            measure(chosen.get(t.slug, ()), labels[t.slug], ids),
            measure(keyword.get(t.slug, ()), labels[t.slug], ids) if baseline else None,
            measure(unrated.get(t.slug, ()), labels[t.slug], ids) if feedback > 0 else None,
            _tally(ratings.get(t.slug, []) if ratings else []),
        )
        for t in topics
    )
    configured = {t.slug for t in topics}
    days = tuple(sorted({page_day(p) for p in evaluated}))
    missing = tuple(sorted(s for s in labels if s not in configured))
    return Evaluation(days, len(evaluated), results, missing, rating_days)


def _tally(ratings: Sequence[Feedback]) -> tuple[int, int]:
    relevant = sum(1 for r in ratings if r.relevant)
    return relevant, len(ratings) - relevant


def calibrate_topics(
    config: Config,
    labels: dict[str, Labels],
    papers: Sequence[Paper],
    warn: Callable[[str], None] = lambda message: None,
    track: Tracker = untracked,
) -> list[Calibration]:
    """A threshold per labelled topic, with its fitted and leave-one-day-out F1."""
    evaluated = on_labelled_days(labels, papers)
    topics = [t for t in config.topic_records() if t.slug in labels]
    day_of = {p.arxiv_id: page_day(p) for p in evaluated}
    matches = score_papers(config, evaluated, topics, warn, track)
    results = []
    for topic in topics:
        scored = [
            (m.arxiv_id, day_of[m.arxiv_id], m.score) for m in matches if m.topic == topic.slug
        ]
        results.append(calibrate(scored, labels[topic.slug], topic.threshold))
    return results


def _selected(matches: Sequence[Match]) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for m in matches:
        if m.selected:
            chosen.setdefault(m.topic, []).append(m.arxiv_id)
    return chosen
