"""LLM endpoint faults against the local chat-completions server: an answer cut off mid-body,
dripped, absurdly large, or with a ``usage`` that is not an object; an error text echoing the
key. The run always publishes, records what failed, and prints no key."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from llm_server import DRIP, DROP_AFTER, FakeLLM, completion, error, good_answer, ok
from test_write_openai import KEY, llm, page, papertide, project, stored  # noqa: F401

Reply = Callable[[dict[str, Any]], tuple[int, dict[str, str], bytes]]


def good_body(request: dict[str, Any]) -> bytes:
    return completion(good_answer(request))


def cut_off(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    body = good_body(request)
    return 200, {DROP_AFTER: str(len(body) // 2)}, body


def dripped(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return 200, {DRIP: "0.1"}, good_body(request)


def usage(value: object) -> Reply:
    def reply(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        body = json.loads(good_body(request))
        body["usage"] = value
        return 200, {}, json.dumps(body).encode()

    return reply


def settings(project: Path, **llm: object) -> None:  # noqa: F811 - the fixture
    config = project / "config.toml"
    text = config.read_text(encoding="utf-8")
    for key, value in llm.items():
        text = text.replace(f"\n{key} = ", f"\n{key} = {value}\n# was: ", 1)
    config.write_text(text, encoding="utf-8")


def run(project: Path) -> tuple[int, str, str]:  # noqa: F811 - the fixture
    code, out, err = papertide(project, "run", "--from", str(project / "papers.jsonl"))
    assert code == 0, err
    assert (project / "site" / "index.html").is_file()
    return code, out, err


@pytest.mark.parametrize("fault", [cut_off, dripped], ids=["cut-off", "dripped"])
def test_an_answer_that_does_not_arrive_whole_is_retried(
    project: Path,  # noqa: F811 - the fixture
    llm: FakeLLM,  # noqa: F811 - the fixture
    fault: Reply,
) -> None:
    settings(project, retries=1, timeout=1, concurrency=1)
    llm.then(fault)
    started = time.monotonic()
    _, out, _ = run(project)
    assert time.monotonic() - started < 60
    assert "3 written, 0 failed, 0 pending" in out
    # 3 papers × 2 calls, and the cut-off answer asked for again; a dripped one is asked for
    # again when it outlasts the deadline (a short translation may arrive whole in time).
    assert llm.calls == 7 if fault is cut_off else llm.calls in (6, 7)


@pytest.mark.parametrize(
    "value",
    ["lots", [1, 2], {"prompt_tokens": "12", "completion_tokens": -3}],
    ids=["string", "list", "nonsense-counts"],
)
def test_a_usage_that_is_not_counts_does_not_stop_the_run(
    project: Path,  # noqa: F811 - the fixture
    llm: FakeLLM,  # noqa: F811 - the fixture
    value: object,
) -> None:
    llm.default = usage(value)
    _, out, _ = run(project)
    assert "3 written, 0 failed, 0 pending" in out
    assert "0 + 0 tokens" in out


def test_a_huge_answer_is_a_failed_writeup_and_the_store_stays_small(
    project: Path,  # noqa: F811 - the fixture
    llm: FakeLLM,  # noqa: F811 - the fixture
) -> None:
    huge = json.dumps(
        {"translation": "译" * 2_000_000, "summary": "本文。", "takeaways": ["一", "二", "三"]}
    )
    llm.default = ok(huge)
    _, out, _ = run(project)
    assert "0 written, 3 failed, 0 pending" in out
    assert (project / "store.db").stat().st_size < 2_000_000
    reasons = stored(project, "SELECT reason FROM writeup_failures")
    assert reasons and all(len(str(r[0])) < 500 for r in reasons)


def test_an_error_text_echoing_the_key_prints_no_key(
    project: Path,  # noqa: F811 - the fixture
    llm: FakeLLM,  # noqa: F811 - the fixture
) -> None:
    altered = KEY[:-4] + "WXYZ"
    llm.default = error(400, f"Incorrect API key provided: {altered}. You can find yours at ...")
    code, out, err = papertide(project, "run", "--from", str(project / "papers.jsonl"))
    assert "PLANTED" not in out + err
    assert "Incorrect API key provided: ***" in out + err
