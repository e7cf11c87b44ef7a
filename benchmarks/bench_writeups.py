"""Benchmark and evaluate LLM write-ups on real papers of the bulk file.

Prints, for N papers that the peer digest in ../shared/data/reference also wrote up: LLM calls
per paper on a first run and on a re-run (goal: ≤1 and 0; the older system made 5), tokens per
paper, seconds per write-up and tokens/s, the share of answers valid at first try, after the
repair and failed, the language and number checks, a side-by-side sample against the peer
digest, and an estimate of the daily cost with an API model.

    python benchmarks/bench_writeups.py --papers 10                 # the local model
    python benchmarks/bench_writeups.py --config papertide.toml     # its [llm] backend
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from papertide.config import LLMConfig, load_config
from papertide.errors import WriteupFailedError
from papertide.fetch import read_papers
from papertide.records import Paper, Writeup
from papertide.store import Store
from papertide.write import PROMPT_VERSION, make_writer
from papertide.write.stage import missing, write_all
from papertide.write.validate import numbers_in, script_ratio

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
BULK = DATA / "arxiv" / "bulk" / "papers_2026-06-16_to_07-01.jsonl"
PEER = DATA / "reference" / "peer_daily_arxiv_ai_enhanced"


def peer_writeups() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for path in sorted(PEER.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if isinstance(row.get("AI"), dict):
                found[row["id"]] = row["AI"]
    return found


def pick(papers: list[Paper], peer: dict[str, dict[str, str]], n: int) -> list[Paper]:
    """Every k-th paper that the peer digest wrote up too, for a spread over the days."""
    shared = [p for p in papers if p.arxiv_id in peer]
    step = max(1, len(shared) // n)
    return shared[::step][:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=10)
    parser.add_argument("--config", type=Path, help="use this config's [llm] and language")
    parser.add_argument("--language", default=None)
    parser.add_argument("--papers-per-day", type=int, default=60, help="for the cost estimate")
    parser.add_argument("--price-in", type=float, default=0.00015, help="per 1k prompt tokens")
    parser.add_argument("--price-out", type=float, default=0.0006, help="per 1k answer tokens")
    args = parser.parse_args()

    llm, language = LLMConfig(backend="local"), "zh-CN"
    if args.config:
        config = load_config(args.config)
        llm, language = config.llm, config.language
    language = args.language or language
    if not BULK.is_file():
        print(f"no bulk file at {BULK}", file=sys.stderr)
        return 1
    peer = peer_writeups()
    papers = pick(read_papers(BULK), peer, args.papers)
    writer = make_writer(llm)
    if writer is None:
        print("no LLM backend configured", file=sys.stderr)
        return 1
    print(f"{len(papers)} papers, backend {writer.model}, prompt v{PROMPT_VERSION}, {language}")

    results: list[tuple[Paper, Writeup | None, int, float, int, str]] = []
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
        store.upsert_papers(papers)
        for paper in papers:
            calls, tokens = writer.usage.calls, writer.usage.completion_tokens
            started = time.monotonic()
            writeup: Writeup | None = None
            problem = ""
            try:
                writeup = writer.write(paper, None, language)
                store.save_writeup(writeup)
            except WriteupFailedError as exc:
                problem = str(exc)
            seconds = time.monotonic() - started
            used = writer.usage.calls - calls
            out_tokens = writer.usage.completion_tokens - tokens
            results.append((paper, writeup, used, seconds, out_tokens, problem))
            state = "failed" if writeup is None else ("repaired" if used > 1 else "ok")
            print(f"  {paper.arxiv_id}: {state}, {used} call(s), {seconds:.1f} s, {out_tokens} tok")
            if problem:
                print(f"    {problem[:300]}")
        first_calls = writer.usage.calls
        # The re-run: everything is cached, so no paper is missing and nothing is called.
        todo = missing(store, ((p, None) for p in papers), writer, language, PROMPT_VERSION)
        write_all(store, todo, writer, language, PROMPT_VERSION)
        rerun_calls = writer.usage.calls - first_calls

    n = len(results)
    ok = [r for r in results if r[1] is not None and r[2] == 1]
    repaired = [r for r in results if r[1] is not None and r[2] > 1]
    failed = [r for r in results if r[1] is None]
    u = writer.usage
    print()
    print(f"LLM calls per paper: first run {first_calls / n:.2f}, re-run {rerun_calls / n:.2f}")
    print("  (goal ≤1 and 0; the older system: 5 calls per paper, every run)")
    print(
        f"tokens per paper: {u.prompt_tokens / n:.0f} prompt + {u.completion_tokens / n:.0f} answer"
    )
    seconds = [r[3] for r in results]
    rate = u.completion_tokens / u.seconds if u.seconds else 0.0
    print(
        f"seconds per write-up: mean {statistics.mean(seconds):.1f}, median "
        f"{statistics.median(seconds):.1f}, max {max(seconds):.1f}; {rate:.1f} answer tokens/s"
    )
    print(
        f"valid at first try {len(ok)}/{n}, after the repair {len(repaired)}/{n}, "
        f"failed {len(failed)}/{n}"
    )
    for paper, _, _, _, _, problem in failed:
        print(f"  failed {paper.arxiv_id}: {problem[:160]}")
    written = [r for r in results if r[1] is not None]
    ratios = [script_ratio(r[1].translation, language) for r in written if r[1] is not None]
    known = [x for x in ratios if x is not None]
    if known:
        print(
            f"language: translation script ratio min {min(known):.2f},"
            f" mean {statistics.mean(known):.2f}"
        )
    flagged = [r for r in written if r[1] is not None and r[1].flags]
    print(f"number/math flags: {len(flagged)}/{len(written)} write-ups")
    for paper, w, *_ in flagged:
        assert w is not None
        print(f"  {paper.arxiv_id}: {'; '.join(w.flags)}")
    peer_unknown = sum(
        1
        for p, *_ in results
        if numbers_in(peer[p.arxiv_id].get("tldr", "") + peer[p.arxiv_id].get("result", ""))
        - numbers_in(p.abstract)
        - numbers_in(p.abstract.replace(",", ""))
    )
    print(f"peer digest, same papers: {peer_unknown}/{n} with numbers not in the abstract")
    per_paper_in, per_paper_out = u.prompt_tokens / n, u.completion_tokens / n
    daily = (
        args.papers_per_day * (per_paper_in * args.price_in + per_paper_out * args.price_out) / 1000
    )
    print(
        f"cost estimate: {args.papers_per_day} papers/day × ({per_paper_in:.0f} × "
        f"{args.price_in}/1k + {per_paper_out:.0f} × {args.price_out}/1k) = {daily:.4f} per day"
    )
    print("\nside by side (papertide | peer digest):")
    for paper, w, *_ in written[:3]:
        assert w is not None
        print(f"\n## {paper.arxiv_id} {paper.title}")
        print(f"papertide summary: {w.summary}")
        for i, point in enumerate(w.takeaways, 1):
            print(f"  {i}. {point}")
        print(f"papertide translation: {w.translation[:300]}…")
        print(f"peer tldr: {peer[paper.arxiv_id].get('tldr', '')}")
        print(f"peer result: {peer[paper.arxiv_id].get('result', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
