"""Selection over a given set of papers, outside the daily run: what `papertide select`,
`papertide eval relevance` and `papertide calibrate` do.

Papers are judged but not stored; the store only serves as the cache of embeddings and
topic vectors, and as the place where example papers are looked up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from papertide.config import Config
from papertide.llm import make_backend
from papertide.records import Match, Paper, Topic
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
from papertide.select.judge import make_judge
from papertide.select.stage import Selection
from papertide.store import open_store


def score_papers(
    config: Config,
    papers: Sequence[Paper],
    topics: Sequence[Topic] | None = None,
    warn: Callable[[str], None] = lambda message: None,
    progress: Callable[[int], None] | None = None,
) -> list[Match]:
    """Every (paper, topic) decision for these papers, with the configured selection."""
    topics = list(topics if topics is not None else config.topic_records())
    settings = config.select
    with open_store(config) as store:
        selection = Selection(
            store,
            make_embedder(settings.embedder, settings.embedder_model),
            make_judge(
                settings, make_backend(config.llm, config.base_dir) if settings.judge else None
            ),
            settings.judge_band,
        )
        prepared = selection.prepare(topics, papers, warn)
        slugs = [t.slug for t in topics]
        matches: list[Match] = []
        for match in selection.decide(prepared, [(p, slugs) for p in papers]):
            matches.append(match)
            if progress and match.topic == slugs[-1]:
                progress(1)
        return matches


def keyword_matches(topics: Sequence[Topic], papers: Sequence[Paper]) -> list[Match]:
    """The keyword-only baseline: each topic's query within its categories."""
    return list(select(topics, papers))


@dataclass(frozen=True, slots=True)
class TopicResult:
    slug: str
    scores: Scores
    baseline: Scores | None


@dataclass(frozen=True, slots=True)
class Evaluation:
    days: tuple[date, ...]
    papers: int  # papers of the labelled days
    topics: tuple[TopicResult, ...]
    missing: tuple[str, ...]  # label files without a configured topic

    def macro(self, baseline: bool = False) -> Scores | None:
        rows = [t.baseline if baseline else t.scores for t in self.topics]
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


def evaluate(
    config: Config,
    labels: dict[str, Labels],
    papers: Sequence[Paper],
    baseline: bool,
    warn: Callable[[str], None] = lambda message: None,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """Precision, recall and F1 per labelled topic over the papers of the labelled days."""
    evaluated = on_labelled_days(labels, papers)
    topics = [t for t in config.topic_records() if t.slug in labels]
    ids = [p.arxiv_id for p in evaluated]
    chosen = _selected(score_papers(config, evaluated, topics, warn, progress))
    keyword = _selected(keyword_matches(topics, evaluated)) if baseline else {}
    results = tuple(
        TopicResult(
            t.slug,
            measure(chosen.get(t.slug, ()), labels[t.slug], ids),
            measure(keyword.get(t.slug, ()), labels[t.slug], ids) if baseline else None,
        )
        for t in topics
    )
    configured = {t.slug for t in topics}
    days = tuple(sorted({page_day(p) for p in evaluated}))
    missing = tuple(sorted(s for s in labels if s not in configured))
    return Evaluation(days, len(evaluated), results, missing)


def calibrate_topics(
    config: Config,
    labels: dict[str, Labels],
    papers: Sequence[Paper],
    warn: Callable[[str], None] = lambda message: None,
    progress: Callable[[int], None] | None = None,
) -> list[Calibration]:
    """A threshold per labelled topic, with its fitted and leave-one-day-out F1."""
    evaluated = on_labelled_days(labels, papers)
    topics = [t for t in config.topic_records() if t.slug in labels]
    day_of = {p.arxiv_id: page_day(p) for p in evaluated}
    matches = score_papers(config, evaluated, topics, warn, progress)
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
