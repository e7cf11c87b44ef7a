"""Evaluation: the LLM judge on the papers it would be asked about, with the real model.

Scores the labelled days with the config's selection (judge off), takes each topic's papers in
the uncertain band (score within ``[select] judge_band`` of the threshold), nearest the
threshold first, asks the configured LLM judge about them, and prints the seconds per
judgement and how often the judge and the score alone agree with the labels. Agreement counts
papers labelled 2 (should be selected) and 0 (should not); label-1 papers, which the F1 counts
neither way, are shown apart.

    python benchmarks/eval_judge.py --config benchmarks/topics_naive.toml \\
        --labels ../shared/data/labels/dev \\
        --input ../shared/data/arxiv/bulk/papers_2026-06-16_to_07-01.jsonl --per-topic 8
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from papertide.config import load_config
from papertide.fetch import read_papers
from papertide.llm import make_backend
from papertide.select.batch import on_labelled_days, score_papers
from papertide.select.evaluate import read_labels
from papertide.select.judge import LLMJudge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--labels", type=Path, required=True)
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--per-topic", type=int, default=8, help="judgements per topic")
    opts = parser.parse_args()
    config = load_config(opts.config)
    # The band is found by the score alone: the judge is off while scoring.
    unjudged = config.select.model_copy(update={"judge": False})
    config = config.model_copy(update={"select": unjudged})
    backend = make_backend(config.llm, opts.config.parent)
    if backend is None:
        raise SystemExit("no LLM backend is configured: set [llm] backend")
    judge = LLMJudge(backend)
    labels = read_labels(opts.labels)
    papers = on_labelled_days(labels, read_papers(opts.input))
    by_id = {p.arxiv_id: p for p in papers}
    topics = [t for t in config.topic_records() if t.slug in labels]
    matches = score_papers(config, papers, topics)
    band = config.select.judge_band
    seconds: list[float] = []
    tally = {"judge": [0, 0], "score": [0, 0]}
    partial = 0
    print(f"judge: {backend.name}; band ±{band} around each threshold")
    for topic in topics:
        near = sorted(
            (m for m in matches if m.topic == topic.slug and m.score > 0),
            key=lambda m: abs(m.score - topic.threshold),
        )
        near = [m for m in near if abs(m.score - topic.threshold) <= band][: opts.per_topic]
        for m in near:
            label = labels[topic.slug].of(m.arxiv_id)
            started = time.perf_counter()
            verdict = judge.judge(by_id[m.arxiv_id], topic)
            seconds.append(time.perf_counter() - started)
            said = "yes" if verdict.relevant else "no"
            print(
                f"{topic.slug:10s} {m.arxiv_id} label {label} score {m.score:.3f} "
                f"judge {said:3s} {seconds[-1]:5.1f} s  {verdict.why[:70]}"
            )
            if label == 1:
                partial += 1
                continue
            truth = label == 2
            for who, decided in (("judge", verdict.relevant), ("score", m.selected)):
                tally[who][0] += decided == truth
                tally[who][1] += 1
    if not seconds:
        print("no paper in the uncertain band")
        return
    seconds.sort()
    print(
        f"{len(seconds)} judgements: {sum(seconds) / len(seconds):.1f} s each on average "
        f"(median {seconds[len(seconds) // 2]:.1f} s, slowest {seconds[-1]:.1f} s); "
        "agreement on the papers labelled 0 or 2:"
    )
    for who, (right, total) in tally.items():
        share = right / total if total else 0.0
        print(f"{who:5s} agrees with the labels on {right}/{total} ({share:.0%}) of them")
    print(f"{partial} papers labelled 1 (partial) not counted")


if __name__ == "__main__":
    main()
