"""Benchmark: import + select + build of the 3,294-paper bulk file with the six starter
topics, then a rerun that changes nothing. Prints wall time and peak memory of each.

    python benchmarks/bench_pipeline.py [--data ../shared/data] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BULK = "arxiv/bulk/papers_2026-06-16_to_07-01.jsonl"


def measure(args: list[str], cwd: Path) -> tuple[float, float]:
    """Run papertide in a child process; return (seconds, peak resident MiB) of that child."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "papertide", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out = proc.stdout.read().decode() if proc.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"papertide {' '.join(args)} failed")
    print(f"    {out.strip()}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    bulk = (opts.data / BULK).resolve()
    if not bulk.is_file():
        sys.exit(f"{bulk}: not found; pass --data DIR")
    first: list[tuple[float, float]] = []
    rerun: list[tuple[float, float]] = []
    for i in range(opts.runs):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            subprocess.run(
                [sys.executable, "-m", "papertide", "init"],
                cwd=work,
                check=True,
                capture_output=True,
            )
            print(f"run {i + 1}: first import")
            first.append(measure(["run", "--from", str(bulk)], work))
            print(f"run {i + 1}: rerun, nothing new")
            rerun.append(measure(["run", "--from", str(bulk)], work))
            pages = len(list((work / "site").rglob("*.html")))
    for label, rows in (("first run", first), ("rerun    ", rerun)):
        secs = statistics.median(r[0] for r in rows)
        mem = max(r[1] for r in rows)
        print(f"{label}: median {secs:.2f} s over {len(rows)} runs, peak memory {mem:.0f} MiB")
    print(f"pages built: {pages}")


if __name__ == "__main__":
    main()
