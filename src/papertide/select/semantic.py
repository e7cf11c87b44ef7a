"""The decision for one paper and one topic: rules first, then the topic model's assessment,
with a reason a person can read.

A topic's categories and exclusions rule papers out; its keyword query is evidence that
lowers the closeness a paper needs (``select.profile``); without embeddings the query alone
decides. Everything here is pure: a paper, its vector and the fitted model in, a ``Match`` out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from papertide.records import Match, Paper, Topic
from papertide.select.embed import Vectors
from papertide.select.profile import Assessment, TopicModel
from papertide.select.query import Document, Query, parse_query

# Generic research areas, embedded as queries. A paper's mean similarity to them is its
# baseline: some abstracts are close to every description, and what tells a topic's papers
# apart is how far their similarity to the topic rises above that baseline.
ANCHORS = (
    "A research paper in machine learning.",
    "A research paper in computer vision.",
    "A research paper in natural language processing and large language models.",
    "A research paper in robotics.",
    "A research paper in artificial intelligence and reasoning agents.",
    "A research paper about data, systems and software.",
)


class SemanticSelector:
    """Decides one topic: categories and exclusions rule papers out, then keyword evidence
    and the topic model's closeness give the score; the threshold decides."""

    def __init__(
        self, topic: Topic, model: TopicModel | None, verdicts: Mapping[str, bool] | None = None
    ) -> None:
        self.topic = topic
        self.model = model
        # The reader's own ratings of this topic's papers (arXiv id -> relevant): a paper they
        # rated is decided by their rating, whatever its score would be.
        self.verdicts = dict(verdicts or {})
        self.query: Query | None = parse_query(topic.query) if topic.query else None
        self.exclusions = tuple(parse_query(term) for term in topic.exclude)

    def ruled_out(self, paper: Paper, document: Document) -> str | None:
        """Why the topic's categories or exclusions rule the paper out, if they do."""
        if self.topic.categories and paper.listed_in(self.topic.categories) is None:
            return f"not listed in {', '.join(self.topic.categories)}"
        for exclusion in self.exclusions:
            hit = exclusion.evaluate(document)
            if hit is not None:
                return f"excluded: {hit[0]}"
        return None

    def keyword(self, document: Document) -> tuple[str, ...] | None:
        """The keyword query's evidence ("title matches 'x'"), or None when it does not match."""
        return self.query.evaluate(document) if self.query else None

    def needs_vector(self, paper: Paper, document: Document) -> bool:
        """Whether deciding this paper uses its embedding: not when the reader rated it or the
        topic's categories or exclusions already rule it out, so such papers are never embedded."""
        return (
            self.model is not None
            and paper.arxiv_id not in self.verdicts
            and self.ruled_out(paper, document) is None
        )

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

        verdict = self.verdicts.get(paper.arxiv_id)
        if verdict is not None:
            said = "relevant" if verdict else "not relevant"
            return match(verdict, 1.0 if verdict else 0.0, f"you marked it {said}")
        rule = self.ruled_out(paper, document)
        if rule is not None:
            return match(False, 0.0, rule)
        evidence = self.keyword(document)
        reasons = list(evidence[:2]) if evidence else []
        if self.model is None or vector is None:
            # Keyword-only selection: the query decides.
            if self.query is None:
                return match(False, 0.0, "no keyword query and no embeddings")
            if evidence is None:
                return match(False, 0.0, "no keyword match")
            in_title = any(e.startswith("title") for e in evidence)
            score = 0.5 + (0.25 if in_title else 0.0) + 0.05 * (len(evidence) - 1)
            return match(True, min(1.0, score), "; ".join(reasons))
        seen = self.model.assess(vector, evidence is not None, (paper.arxiv_id, paper.version))
        selected = seen.score >= self.topic.threshold
        return match(selected, seen.score, "; ".join(reasons + explain(seen)))


def explain(seen: Assessment) -> list[str]:
    """The reader-facing parts of an assessment, most telling first."""
    parts = [f"{seen.closeness:.2f} close to the topic"]
    if seen.percentile is not None:
        parts[0] += f" (closer than {_share(seen.percentile)} of recent papers)"
    if seen.classifier is not None and seen.classifier >= 0.5:
        parts.append(
            f"topic classifier {seen.classifier:.2f} (selects from {seen.classifier_bar:.2f})"
        )
    if seen.liked and not seen.turned_down:
        parts.append(f"like {seen.liked[0]} that you marked relevant ({seen.liked[1]:.2f})")
    elif seen.disliked:
        parts.append(
            f"like {seen.disliked[0]} that you marked not relevant ({seen.disliked[1]:.2f})"
        )
    if seen.nearest:
        parts.append(f"nearest example: {seen.nearest[0]} ({seen.nearest[1]:.2f})")
    if seen.counter:
        parts.append(f"closer to counter-example {seen.counter[0]} ({seen.counter[1]:.2f})")
    return parts


def _share(percentile: float) -> str:
    if percentile >= 99.5:
        return f"{min(percentile, 99.9):.1f}%"
    return f"{percentile:.0f}%"


__all__ = ["ANCHORS", "SemanticSelector", "explain"]
