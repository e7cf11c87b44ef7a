"""Benchmark: one announcement day of 1,500 papers selected for the six starter topics, as
`papertide run` selects them (``select_pending`` on a fresh SQLite store), then run again.

Prints the seconds spent in embedding (the default embedders, first run), topic preparation
(topic vectors, the pool, one cross-fitted classifier per topic) and the classifier and
scoring; the LLM calls made per topic definition (none: nothing is generated for a topic) and
per day (the judge's, one per paper in the uncertain band); and the rerun, which decides
nothing and calls no LLM.

The judge: the day is selected with a stand-in that records each question the judge would be
asked (and answers "relevant", so the selected count includes the band); with ``--judge N``
the real local model (``[llm] backend = "local"``, papertide[local]) then answers N of those
questions, timed, and the day's judge time is projected from its seconds per judgement.
Agreement with hand-judged labels: ``benchmarks/eval_judge.py``.

    nice -n 19 python benchmarks/bench_select.py [--data ../shared/data] [--papers 1500] \\
        [--judge 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from papertide.config import Config, LLMConfig, SelectConfig, starter_config
from papertide.fetch import read_papers
from papertide.records import Paper, Topic
from papertide.select.judge import LLMJudge, Verdict
from papertide.select.stage import Timings, select_pending
from papertide.store import Store

ROOT = Path(__file__).resolve().parent.parent
BULK = "arxiv/bulk/papers_2026-06-16_to_07-01.jsonl"


class RecordingJudge:
    """Records each question and answers "relevant" without asking any model."""

    model = "recorder"

    def __init__(self) -> None:
        self.asked: list[tuple[Paper, Topic]] = []

    def judge(self, paper: Paper, topic: Topic) -> Verdict:
        self.asked.append((paper, topic))
        return Verdict(True, "recorded")


def _untracked(items: Iterable[Any], label: str, total: int) -> Iterable[Any]:
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--papers", type=int, default=1500, help="papers in the day")
    parser.add_argument(
        "--judge", type=int, default=0, metavar="N", help="time the real local model on N questions"
    )
    opts = parser.parse_args()
    bulk = (opts.data / BULK).resolve()
    if not bulk.is_file():
        sys.exit(f"{bulk}: not found; pass --data DIR")
    papers = read_papers(bulk)[: opts.papers]
    topics = Config.model_validate(tomllib.loads(starter_config())).topic_records()
    settings = SelectConfig(judge=True)
    print(
        f"{len(papers)} papers, {len(topics)} topics, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f} at the start"
    )
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
        store.upsert_papers(papers)
        recorder = RecordingJudge()
        timings = Timings()
        started = time.perf_counter()
        decided, chosen = select_pending(
            store, topics, settings, recorder, _untracked, timings=timings
        )
        total = time.perf_counter() - started
        other = total - timings.embedding - timings.preparation - timings.scoring - timings.judge
        print(
            f"first run: {decided} decisions, {chosen} selected (the band counted in), "
            f"{total:.1f} s in all"
        )
        print(
            f"  embedding {timings.embedding:.1f} s ({1000 * timings.embedding / len(papers):.0f} "
            f"ms per paper); topic preparation {timings.preparation:.1f} s; classifier and "
            f"scoring {timings.scoring:.1f} s; model loading and store {other:.1f} s"
        )
        print("  LLM calls per topic definition: 0 (topic vectors are embedded, not generated)")
        per_topic = {t.slug: 0 for t in topics}
        for _, topic in recorder.asked:
            per_topic[topic.slug] += 1
        asked = len(recorder.asked)
        listing = ", ".join(f"{slug} {n}" for slug, n in per_topic.items())
        print(
            f"  judge questions (LLM calls per day with [select] judge = true): {asked} ({listing})"
        )

        if opts.judge:
            from papertide.llm import make_backend

            backend = make_backend(LLMConfig(backend="local"), None)
            if backend is None:
                sys.exit("the local model is not available: pip install 'papertide[local]'")
            judge = LLMJudge(backend)
            sample = recorder.asked[:: max(1, asked // opts.judge)][: opts.judge]
            began = time.perf_counter()
            for paper, topic in sample:
                judge.judge(paper, topic)
            each = (time.perf_counter() - began) / max(1, len(sample))
            print(
                f"  real judge ({backend.name}): {each:.1f} s per judgement over {len(sample)}; "
                f"the day's {asked} judgements ≈ {asked * each / 60:.1f} min, the day in all "
                f"≈ {(total + asked * each) / 60:.1f} min"
            )

        calls = RecordingJudge()
        again = Timings()
        started = time.perf_counter()
        redone, _ = select_pending(store, topics, settings, calls, _untracked, timings=again)
        print(
            f"rerun: {redone} decisions, {len(calls.asked)} LLM calls, "
            f"{time.perf_counter() - started:.2f} s"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB; load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
