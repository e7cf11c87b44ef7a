"""What the cases share: the sandbox and replay server as context managers, the planted
payload and key, and the LLM section of a sandbox's config."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from llm_server import FakeLLM
from replay import ReplayServer

from faults.sandbox import FIXTURES, Outcome, Sandbox, jsonl, paper

Case = Callable[[Path, str], Outcome]
PAYLOAD = '<script>alert("pt")</script><img src=x onerror=alert(1)><a href="javascript:x">y</a>'
KEY = "sk_live_PLANTED0123456789abcdefghijklmn"  # passes for a variable name
FEED = (FIXTURES / "fetch" / "rss_feed.xml").read_bytes()  # a day's RSS listing of 4 papers
GOOD = jsonl([paper(0)])  # one good paper, in papertide's JSONL


@contextmanager
def sandbox(src: Path) -> Iterator[Sandbox]:
    box = Sandbox(src)
    try:
        yield box
    finally:
        box.close()


@contextmanager
def replay() -> Iterator[ReplayServer]:
    server = ReplayServer()
    try:
        yield server
    finally:
        server.close()


def llm_config(box: Sandbox, llm: FakeLLM, timeout: float = 5.0) -> None:
    path = box.config()
    text = path.read_text("utf-8").replace(
        '[llm]\nbackend = "none"\n',
        f'[llm]\nbackend = "openai"\nbase_url = "{llm.url}"\nmodel = "test-model"\n'
        f'api_key_env = "BENCH_LLM_KEY"\ntimeout = {timeout}\nretries = 1\n',
    )
    path.write_text(text, encoding="utf-8")
    box.env["BENCH_LLM_KEY"] = KEY
