"""Import a generated 100,000-record arXiv metadata snapshot file and print the peak memory.

    python benchmarks/bench_snapshot.py [--records N] [--keep]

Writes the snapshot-format file (one JSON object per line with ``versions``,
``authors_parsed`` and ``update_date``) and a config with the six starter topics, keyword
selection only, into a fresh folder under /tmp, then runs ``papertide import`` on it in a
child process and prints its wall time and peak resident memory (goal: under 300 MB).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = [
    "image",
    "translation",
    "diffusion",
    "gaussian",
    "splatting",
    "radiance",
    "field",
    "segmentation",
    "medical",
    "transformer",
    "language",
    "model",
    "reasoning",
    "graph",
    "neural",
    "network",
    "robust",
    "training",
    "benchmark",
    "dataset",
    "evaluation",
    "efficient",
    "sparse",
    "attention",
    "video",
    "generation",
    "talking",
    "head",
]


def record(number: int, rng: random.Random) -> dict[str, object]:
    versions = rng.randint(1, 4)
    authors = [[f"Author{rng.randint(1, 9999)}", f"A. {chr(65 + i)}.", ""] for i in range(6)]
    return {
        "id": f"26{number // 100000 % 100:02d}.{number % 100000:05d}",
        "submitter": "A. Submitter",
        "authors": ", ".join(f"{first} {last}" for last, first, _ in authors),
        "title": " ".join(rng.choices(WORDS, k=10)).capitalize(),
        "comments": "12 pages, 5 figures",
        "journal-ref": None,
        "doi": None,
        "report-no": None,
        "categories": rng.choice(["cs.CV", "cs.CV cs.AI", "cs.CL cs.LG", "eess.IV cs.CV"]),
        "license": None,
        "abstract": "  " + " ".join(rng.choices(WORDS, k=180)) + ".\n",
        "versions": [
            {"version": f"v{v}", "created": f"Mon, {v} Jun 2026 10:00:00 GMT"}
            for v in range(1, versions + 1)
        ],
        "update_date": "2026-06-20",
        "authors_parsed": authors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the folder in /tmp")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="papertide-snapshot-", dir="/tmp"))
    snapshot = folder / "arxiv-metadata-snapshot.json"
    rng = random.Random(7)
    with snapshot.open("w", encoding="utf-8") as out:
        for number in range(args.records):
            out.write(json.dumps(record(number, rng), ensure_ascii=False) + "\n")
    from papertide.config import starter_config

    config = folder / "papertide.toml"
    text = starter_config()
    if re.search(r"(?m)^\[select\]", text):
        text = re.sub(r"(?m)^#?\s*embedder\s*=.*$", "", text)
        text = re.sub(r"(?m)^\[select\]$", '[select]\nembedder = "none"', text, count=1)
    else:
        text = text.replace("[llm]", '[select]\nembedder = "none"\n\n[llm]', 1)
    config.write_text(text, encoding="utf-8")
    size = snapshot.stat().st_size / 1e6
    print(f"snapshot: {args.records:,} records, {size:.0f} MB in {snapshot}")

    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "papertide", "--config", str(config), "import", str(snapshot)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(done.stdout.strip() or done.stderr.strip())
    print(f"papertide import: {seconds:.1f} s, peak memory {peak_mb:.0f} MB (goal: < 300 MB)")
    if not args.keep:
        shutil.rmtree(folder)
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
