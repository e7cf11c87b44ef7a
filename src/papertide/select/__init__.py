"""Topic selection: decide, with a score and a readable reason, which papers belong to a topic.

A topic's keyword query (arXiv syntax, evaluated locally), its categories and exclusions, and
the similarity of a paper's embedding to the topic's description and examples give a score
(``semantic``); the store caches every vector (``stage``); an optional LLM judge settles the
uncertain band (``judge``). ``KeywordSelector`` is the keyword-only baseline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from datetime import date

from papertide.records import Feedback, Match, Paper, Topic
from papertide.select.query import Document, Query, parse_query

# Bump when the selection logic changes, so stored decisions are made again.
SELECTOR_VERSION = "semantic-2"


def fingerprint(topic: Topic, model: str = "", ratings: Sequence[Feedback] = ()) -> str:
    """Changes whenever anything that decides the topic's matches changes: its definition,
    the selection logic, the embedding model, the reader's ratings for it."""
    rated = sorted((r.paper_id, r.relevant) for r in ratings)
    payload = json.dumps(
        {"selector": SELECTOR_VERSION, "model": model, **asdict(topic), "ratings": rated},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def page_day(paper: Paper) -> date:
    """The announcement day whose page lists this paper version.

    Sources that do not state the listing day (the query API, OAI-PMH) give the submission
    date of the version, the closest thing they know.
    """
    if paper.announced:
        return paper.announced
    moment = paper.updated or paper.published
    if moment:
        return moment.date()
    return date.today()


class KeywordSelector:
    """Selects papers that match the topic's keyword query, within its categories: the
    keyword-only baseline that ``papertide eval relevance --baseline keyword`` measures."""

    def __init__(self, topic: Topic) -> None:
        self.topic = topic
        self.query: Query | None = parse_query(topic.query) if topic.query else None

    def decide(self, paper: Paper, document: Document) -> Match:
        day = page_day(paper)

        def match(selected: bool, score: float, reason: str) -> Match:
            return Match(
                paper.arxiv_id, paper.version, self.topic.slug, day, selected, score, reason
            )

        category = None
        if self.topic.categories:
            category = paper.listed_in(self.topic.categories)
            if category is None:
                listed = ", ".join(self.topic.categories)
                return match(False, 0.0, f"not listed in {listed}")
        if self.query is None:
            return match(True, 0.5, f"listed in {category}")
        evidence = self.query.evaluate(document)
        if evidence is None:
            return match(False, 0.0, "no keyword match")
        in_title = any(e.startswith("title") for e in evidence)
        score = min(1.0, 0.5 + (0.25 if in_title else 0.0) + 0.05 * (len(evidence) - 1))
        reasons = list(evidence) + ([f"listed in {category}"] if category else [])
        return match(True, round(score, 3), "; ".join(reasons))


def select(topics: Iterable[Topic], papers: Iterable[Paper]) -> Iterator[Match]:
    """Every (paper, topic) decision; each paper is tokenised once for all topics."""
    selectors = [KeywordSelector(t) for t in topics]
    for paper in papers:
        document = Document.from_paper(paper)
        for selector in selectors:
            yield selector.decide(paper, document)
