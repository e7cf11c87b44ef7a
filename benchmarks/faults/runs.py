"""Runs that are cut short: kill -9 at chosen points, two runs at once, LLM endpoint faults."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llm_server import DROP_AFTER, completion, error, fake_llm, good_answer, ok

from faults.common import GOOD, KEY, Case, llm_config, sandbox
from faults.sandbox import Outcome, jsonl, paper

CASES: list[tuple[str, str, Case]] = []


# --- kill -9 at chosen points, and two runs at once -------------------------------------

BIG = [paper(n) for n in range(4000)]


def killed_at(fraction: float) -> Case:
    def case(src: Path, name: str) -> Outcome:
        with sandbox(src) as box:
            box.config()
            big = box.write("big.jsonl", jsonl(BIG))
            clock = time.monotonic()
            box.cli("import", str(box.write("warm.jsonl", GOOD)))  # the start-up cost, measured
            startup = time.monotonic() - clock
            process = box.start("run", "--from", str(big))
            time.sleep(startup * 0.8 + fraction * 6.0)
            process.send_signal(signal.SIGKILL)
            process.wait()
            result = box.cli("run", "--from", str(big))
            lost = len({p["id"] for p in BIG} - box.stored())
            dupes = box.duplicates()
            if result.code != 0:
                return Outcome(False, f"rerun exit {result.code}: {result.tail()}", lost, dupes)
            return Outcome(
                not (lost or dupes),
                f"{lost} lost, {dupes} twice" if lost or dupes else "",
                lost,
                dupes,
            )

    return case


def killed_run_status(src: Path, name: str) -> Outcome:
    with sandbox(src) as box:
        box.config()
        process = box.start("run", "--from", str(box.write("big.jsonl", jsonl(BIG))))
        time.sleep(3.0)
        process.send_signal(signal.SIGKILL)
        process.wait()
        status = box.cli("status")
        if status.code != 0:
            return Outcome(False, f"status exit {status.code}: {status.tail()}")
        if "running" in status.out and "interrupted" not in status.out:
            return Outcome(False, "a killed run is still shown 'running'")
        return Outcome(
            "interrupted" in status.out,
            "" if "interrupted" in status.out else "the killed run is not shown as interrupted",
        )


def two_at_once(src: Path, name: str) -> Outcome:
    with sandbox(src) as box:
        box.config()
        halves = [box.write(f"half{i}.jsonl", jsonl(BIG[i::2])) for i in (0, 1)]
        processes = [box.start("import", str(half)) for half in halves]
        codes = [p.wait(120) for p in processes]
        errors = [p.stderr.read().decode() for p in processes if p.stderr]
        if any("Traceback" in e for e in errors):
            return Outcome(False, "a traceback")
        for code, half in zip(codes, halves, strict=True):
            if code != 0:
                box.cli("import", str(half))  # the one refused runs again, as its user would
        lost = len({p["id"] for p in BIG} - box.stored())
        return Outcome(
            lost == 0 and all(c in (0, 1) for c in codes),
            f"exit codes {codes}, {lost} lost" if lost else "",
            lost,
        )


CASES += [("kill", f"kill-9-at-{int(f * 100)}%", killed_at(f)) for f in (0.05, 0.3, 0.6, 0.9)]
CASES += [
    ("kill", "killed-run-status", killed_run_status),
    ("kill", "two-runs-at-once", two_at_once),
]

# --- LLM endpoint faults: the run still publishes, nothing grows out of bounds --------------


def llm_case(
    reply: Callable[[dict[str, Any]], tuple[int, dict[str, str], bytes]], bound: float = 90.0
) -> Case:
    def case(src: Path, name: str) -> Outcome:
        with sandbox(src) as box, fake_llm() as llm:
            llm.default = reply
            llm_config(box, llm, timeout=2.0)
            result = box.cli(
                "run",
                "--from",
                str(box.write("p.jsonl", jsonl([paper(1), paper(2)]))),
                timeout=bound,
            )
            page = box.site() / "all" / "2026-06-16.html"
            size = (
                (box.folder / "store.db").stat().st_size
                if (box.folder / "store.db").exists()
                else 0
            )
            if result.code is None:
                return Outcome(False, f"still running after {bound:.0f} s")
            if result.code != 0 or "Traceback" in result.err:
                return Outcome(False, f"exit {result.code}: {result.tail()}", 0)
            if not page.exists():
                return Outcome(False, "nothing was published", 2)
            if size > 5_000_000:
                return Outcome(False, f"the store grew to {size / 1e6:.0f} MB")
            if KEY in result.out + result.err:
                return Outcome(False, "the key was printed")
            return Outcome(True)

    return case


def _dropped(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    body = completion(good_answer(request))
    return 200, {DROP_AFTER: str(len(body) // 2)}, body


def _usage(value: object) -> Callable[[dict[str, Any]], tuple[int, dict[str, str], bytes]]:
    def reply(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        body = json.loads(completion(good_answer(request)))
        body["usage"] = value
        return 200, {}, json.dumps(body).encode()

    return reply


def _hanging(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    time.sleep(8)
    return 200, {}, completion("{}")


def _echoes_key(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return error(400, f"Invalid API key provided: {KEY[:-4]}XXXX. Check it.")(request)


CASES += [
    ("llm", "500-always", llm_case(error(500, "internal error"))),
    ("llm", "dropped-mid-body", llm_case(_dropped)),
    ("llm", "usage-string", llm_case(_usage("lots"))),
    ("llm", "usage-list", llm_case(_usage([1, 2]))),
    ("llm", "usage-negative", llm_case(_usage({"prompt_tokens": -5, "completion_tokens": "x"}))),
    ("llm", "answer-5-MB", llm_case(ok("{" + '"translation": "' + "译" * 5_000_000 + '"}'))),
    ("llm", "garbage", llm_case(lambda request: (200, {}, bytes(range(256))))),
    ("llm", "not-json-content", llm_case(ok("I cannot help with that."))),
    ("llm", "hangs", llm_case(_hanging, bound=60.0)),
    ("llm", "400-echoing-the-key", llm_case(_echoes_key)),
]
