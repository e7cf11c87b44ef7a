"""The optional LLM judge: asked only about papers whose score is close to the threshold.

A judge uses the run's LLM backend (``[llm] backend``, the one the writer uses); with
``backend = "none"`` there is no judge and selection is decided by keywords and embeddings
alone. A judge's verdict moves the score just past the threshold in its direction and is
quoted in the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Protocol

from papertide.config import SelectConfig
from papertide.llm import ChatBackend, json_object_text
from papertide.records import Match, Paper, Topic


@dataclass(frozen=True, slots=True)
class Verdict:
    relevant: bool
    why: str  # one short sentence


class Judge(Protocol):
    model: str

    def judge(self, paper: Paper, topic: Topic) -> Verdict: ...


JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"relevant": {"type": "boolean"}, "why": {"type": "string"}},
    "required": ["relevant", "why"],
}


class LLMJudge:
    """Asks the write-up backend (any `ChatBackend`) one yes/no question per paper."""

    def __init__(self, backend: ChatBackend) -> None:
        self.backend = backend
        self.model = backend.name

    def judge(self, paper: Paper, topic: Topic) -> Verdict:
        about = topic.description or topic.name
        messages = [
            {
                "role": "system",
                "content": "You decide whether an arXiv paper belongs to a research topic. "
                'Answer with JSON: {"relevant": true or false, "why": "one short sentence"}.',
            },
            {
                "role": "user",
                "content": f"Topic: {topic.name}. {about}\n\nTitle: {paper.title}\n\n"
                f"Abstract: {paper.abstract}\n\nIs the paper's main contribution on this topic?",
            },
        ]
        text = self.backend.complete(messages, JUDGE_SCHEMA, strict=True).text
        try:
            answer = json.loads(json_object_text(text))
            return Verdict(bool(answer["relevant"]), " ".join(str(answer["why"]).split())[:200])
        except (ValueError, KeyError, TypeError):
            return Verdict(False, "no usable answer from the judge")


def make_judge(select: SelectConfig, backend: ChatBackend | None) -> Judge | None:
    """The configured judge, or None when judging is off or no LLM backend is configured."""
    return LLMJudge(backend) if select.judge and backend else None


def apply_judge(judge: Judge, topic: Topic, paper: Paper, match: Match, band: float) -> Match:
    """Ask the judge about a paper in the uncertain band around the threshold."""
    if match.score == 0.0 or abs(match.score - topic.threshold) > band:
        return match
    verdict = judge.judge(paper, topic)
    step = band / 2
    score = topic.threshold + step if verdict.relevant else topic.threshold - step
    score = min(1.0, max(0.0, score))
    said = "relevant" if verdict.relevant else "not relevant"
    reason = f"{match.reason}; LLM judge ({judge.model}): {said} — {verdict.why}"
    return replace(match, selected=verdict.relevant, score=round(score, 3), reason=reason)
