"""Relevance evaluation and threshold calibration against hand-judged labels.

A labels folder holds ``<slug>.jsonl`` files of rows ``{"id", "label"}``: 2 = core,
1 = partial, 0 = not relevant. The labelled days are the announcement days of the labelled
papers; every paper of those days that no row names counts as 0. Precision counts labels
≥ 1 as correct; recall is measured over the label-2 papers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from papertide.errors import InputError
from papertide.records import Paper
from papertide.select import page_day


@dataclass(frozen=True, slots=True)
class Labels:
    """One topic's judgements: arXiv id → 0, 1 or 2 (unlisted papers of ``days`` are 0)."""

    slug: str
    labels: dict[str, int]

    def of(self, arxiv_id: str) -> int:
        return self.labels.get(arxiv_id, 0)


def read_labels(folder: Path) -> dict[str, Labels]:
    """Every ``<slug>.jsonl`` in the folder; a bad row names its file and line."""
    if not folder.is_dir():
        raise InputError(f"{folder}: no such labels folder")
    found: dict[str, Labels] = {}
    for path in sorted(folder.glob("*.jsonl")):
        labels: dict[str, int] = {}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                label = int(row["label"])
                arxiv_id = str(row["id"])
            except (ValueError, KeyError, TypeError):
                raise InputError(
                    f"{path}:{number}: expected a JSON object with 'id' and 'label' (0, 1 or 2)"
                ) from None
            if label not in (0, 1, 2):
                raise InputError(f"{path}:{number}: label {label} is not 0, 1 or 2")
            labels[arxiv_id] = label
        found[path.stem] = Labels(path.stem, labels)
    if not found:
        raise InputError(f"{folder}: no <topic-slug>.jsonl label files in it")
    return found


def labelled_days(labels: Mapping[str, Labels], papers: Iterable[Paper]) -> set[date]:
    """The announcement days of the labelled papers."""
    named = {i for topic in labels.values() for i in topic.labels}
    return {page_day(p) for p in papers if p.arxiv_id in named}


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    f1: float
    selected: int
    core: int  # label-2 papers among the evaluated ones


def measure(selected: Iterable[str], labels: Labels, evaluated: Iterable[str]) -> Scores:
    chosen = set(selected)
    core = {i for i in evaluated if labels.of(i) == 2}
    correct = sum(1 for i in chosen if labels.of(i) >= 1)
    found = len(chosen & core)
    precision = correct / len(chosen) if chosen else 0.0
    recall = found / len(core) if core else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, len(chosen), len(core))


def best_threshold(scored: Sequence[tuple[str, float]], labels: Labels) -> tuple[float, float]:
    """The threshold that maximises F1 on these scores, and that F1 (of equal F1s, the lowest:
    papers labelled partial are welcome). The threshold is put
    halfway between the lowest selected score and the next score below it, which
    generalises better than the edge itself."""
    ranked = sorted(((round(s, 3), labels.of(i)) for i, s in scored if s > 0), reverse=True)
    core = sum(1 for i, _ in scored if labels.of(i) == 2)
    best_f1, best_at = 0.0, -1
    chosen = correct = found = 0
    for index, (score, label) in enumerate(ranked):
        chosen += 1
        correct += label >= 1
        found += label == 2
        if index + 1 < len(ranked) and ranked[index + 1][0] == score:
            continue  # a threshold cannot split equal scores
        precision, recall = correct / chosen, (found / core if core else 0.0)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if f1 >= best_f1 - 1e-9 and f1 > 0:  # ties: the more inclusive threshold
            best_f1, best_at = f1, index
    if best_at < 0:
        return 0.5, 0.0
    low = ranked[best_at][0]
    below = ranked[best_at + 1][0] if best_at + 1 < len(ranked) else 0.0
    return round((low + below) / 2, 3), best_f1


@dataclass(frozen=True, slots=True)
class Calibration:
    slug: str
    threshold: float  # chosen on all labelled days
    f1: float  # F1 on all labelled days at that threshold (optimistic)
    cv_f1: float  # leave-one-day-out: each day judged at a threshold chosen on the others
    default_f1: float  # F1 at the topic's configured threshold


def calibrate(
    scored: Sequence[tuple[str, date, float]], labels: Labels, configured: float
) -> Calibration:
    """Choose a threshold from labelled scores, and say honestly how well it generalises."""
    pairs = [(i, s) for i, _, s in scored]
    ids = [i for i, _ in pairs]
    threshold, f1 = best_threshold(pairs, labels)
    chosen: list[str] = []
    for day in sorted({d for _, d, _ in scored}):
        train = [(i, s) for i, d, s in scored if d != day]
        t, _ = best_threshold(train, labels)
        chosen.extend(i for i, d, s in scored if d == day and s >= t)
    cv = measure(chosen, labels, ids).f1
    default = measure([i for i, s in pairs if s >= configured], labels, ids).f1
    return Calibration(labels.slug, threshold, f1, cv, default)
