"""The fault matrix: papertide run as a hostile user would, case by case.

    python benchmarks/fault_matrix.py [--src DIR] [--only GROUP] [--verbose]

Every case runs papertide in a subprocess (``python -m papertide``, or a small driver calling
``papertide.pipeline.run`` with a fast polite client for the arXiv cases) in a sandbox of its
own: a temporary folder, ``HOME`` and caches inside it, no API key in the environment. arXiv
and the LLM endpoint are local servers (``tests/replay.py``, ``tests/llm_server.py``) replaying
the recorded responses of ``tests/fixtures`` with faults injected; SMTP is aiosmtpd on
127.0.0.1. ``--src`` runs another checkout's package (e.g. ``git worktree add /tmp/base
<commit>`` then ``--src /tmp/base/src``), so the same cases measure before and after a change.

A case survives when papertide ends within its time bound with the documented exit code, a
one-line message and no traceback, and loses, duplicates and lets escape nothing. The figures:

- papers lost: papers of the case's input (or of arXiv's list) missing from the store after
  the case, including the healthy rerun that a persistent fault is followed by;
- duplicates: a paper twice on one day page or in one feed, or a day emailed twice;
- payloads escaped: elements of markup planted in paper fields or LLM answers that a browser,
  a feed reader or Hexo would run (a ``<script>``, an ``on...`` attribute, an ``<img>``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from faults import CASES  # noqa: E402
from faults.sandbox import Outcome  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="papertide's src folder")
    parser.add_argument("--only", help="run only the cases of this group")
    parser.add_argument("--verbose", action="store_true", help="print why each case failed")
    args = parser.parse_args()
    src = args.src.resolve()
    if not (src / "papertide" / "__init__.py").is_file():
        parser.error(f"{src} holds no papertide package")
    print(f"fault matrix of {src}")
    rows: dict[str, list[Outcome]] = defaultdict(list)
    started = time.monotonic()
    for group, name, case in CASES:
        if args.only and group != args.only:
            continue
        outcome = case(src, name)
        rows[group].append(outcome)
        mark = "ok  " if outcome.survived else "FAIL"
        if args.verbose or not outcome.survived:
            print(f"  {mark} {group}/{name}: {outcome.why or 'survived'}", flush=True)
    print()
    header = f"{'group':<12} {'tried':>5} {'survived':>8} {'lost':>5} {'dupes':>5} {'escaped':>7}"
    print(header)
    print("-" * len(header))
    total = Outcome(True)
    tried = survived = 0
    for group, outcomes in rows.items():
        lost = sum(o.lost for o in outcomes)
        dupes = sum(o.duplicates for o in outcomes)
        escaped = sum(o.escaped for o in outcomes)
        ok = sum(o.survived for o in outcomes)
        tried, survived = tried + len(outcomes), survived + ok
        total = Outcome(
            True,
            lost=total.lost + lost,
            duplicates=total.duplicates + dupes,
            escaped=total.escaped + escaped,
        )
        print(f"{group:<12} {len(outcomes):>5} {ok:>8} {lost:>5} {dupes:>5} {escaped:>7}")
    print("-" * len(header))
    print(
        f"{'total':<12} {tried:>5} {survived:>8} {total.lost:>5} {total.duplicates:>5} "
        f"{total.escaped:>7}   ({time.monotonic() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
