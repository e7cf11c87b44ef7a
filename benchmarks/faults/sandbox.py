"""A sandbox for one fault-matrix case: a folder, an environment, papertide in a subprocess,
and the checks a case is judged by (what the store holds, duplicates, live markup)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
CONFIG = """[store]
path = "store.db"
[select]
embedder = "none"
[llm]
backend = "none"
[site]
base_url = "https://example.org/papers/"
[export]
hexo_dir = "hexo"
[arxiv]
categories = ["cs.CV", "cs.AI", "cs.LG"]
contact = "bench@example.org"
rss_url = "{url}/rss"
oai_url = "{url}/oai"
api_url = "{url}/api/query"
{arxiv}
{extra}
[[topics]]
name = "Everything in cs"
slug = "all"
query = "cat:cs"
"""
# Runs pipeline.run with a polite client whose delays a config could never lower (3 s floor),
# so that arXiv faults take seconds, not minutes. Only APIs every version of papertide has.
DRIVER = r"""
import json, sys
from datetime import date, datetime
from pathlib import Path
from papertide.config import load_config
from papertide.errors import PapertideError
from papertide.fetch.client import PoliteClient
from papertide.pipeline import run
a = json.loads(sys.argv[1])
client = PoliteClient(delay=0.02, floor=0.02, backoff=0.02, max_wait=a["max_wait"],
                      timeout=a["timeout"])
if a.get("since"):
    kw = dict(since=date.fromisoformat(a["since"]), until=date.fromisoformat(a["until"]))
else:
    kw = dict(harvest=True, now=datetime.fromisoformat(a["now"]))
try:
    s = run(load_config(Path(a["config"])), client=client, build=False, **kw)
    h = s.harvest
    print(json.dumps({"error": None, "unreachable": h.unreachable if h else None,
                      "warnings": h.warnings if h else [], "line": s.line()}))
except PapertideError as e:
    print(json.dumps({"error": str(e), "papertide": True}))
"""


@dataclass
class Outcome:
    survived: bool
    why: str = ""
    lost: int = 0
    duplicates: int = 0
    escaped: int = 0


@dataclass
class Result:
    code: int | None  # None: killed at the time bound
    out: str
    err: str
    seconds: float

    def one_line_error(self) -> str | None:
        """Why this is not a clean failure (exit 1, one line on stderr, no traceback)."""
        lines = [line for line in self.err.splitlines() if line.strip()]
        if self.code != 1:
            return f"exit {self.code}, expected 1 ({self.tail()})"
        if "Traceback" in self.err or len(lines) != 1 or not lines[0].startswith("error: "):
            return f"not one error line: {self.tail()}"
        return None

    def tail(self) -> str:
        text = (self.err.strip() or self.out.strip()).splitlines()
        return text[-1][:200] if text else "no output"


@dataclass
class Sandbox:
    src: Path
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="faults-")))

    def __post_init__(self) -> None:
        (self.folder / "home").mkdir()
        self.env = {
            k: v for k, v in os.environ.items() if not k.endswith(("_KEY", "_TOKEN", "PASSWORD"))
        }
        self.env.update(
            HOME=str(self.folder / "home"),
            PAPERTIDE_CACHE_DIR=str(self.folder / "cache"),
            XDG_CACHE_HOME=str(self.folder / "cache"),
            PYTHONPATH=str(self.src),
            NO_COLOR="1",
        )

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def config(self, url: str = "http://127.0.0.1:9", arxiv: str = "", extra: str = "") -> Path:
        path = self.folder / "papertide.toml"
        path.write_text(CONFIG.format(url=url, arxiv=arxiv, extra=extra), encoding="utf-8")
        return path

    def cli(self, *args: str, stdin: bytes | None = None, timeout: float = 90.0) -> Result:
        command = [
            sys.executable,
            "-m",
            "papertide",
            "--config",
            str(self.folder / "papertide.toml"),
        ]
        return self.spawn([*command, *args], stdin, timeout)

    def spawn(self, command: list[str], stdin: bytes | None, timeout: float) -> Result:
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                input=stdin,
                capture_output=True,
                timeout=timeout,
                env=self.env,
                cwd=self.folder,
            )
        except subprocess.TimeoutExpired as expired:
            out = (expired.stdout or b"").decode("utf-8", "replace")
            err = (expired.stderr or b"").decode("utf-8", "replace")
            return Result(None, out, err, time.monotonic() - started)
        return Result(
            done.returncode,
            done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"),
            time.monotonic() - started,
        )

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        command = [
            sys.executable,
            "-m",
            "papertide",
            "--config",
            str(self.folder / "papertide.toml"),
        ]
        return subprocess.Popen(
            [*command, *args],
            env=self.env,
            cwd=self.folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def drive(self, timeout: float, max_wait: float, bound: float = 60.0, **when: str) -> Any:
        """The arXiv driver's JSON answer, or a Result when it died or overran ``bound``."""
        arguments = {
            "config": str(self.folder / "papertide.toml"),
            "timeout": timeout,
            "max_wait": max_wait,
            **when,
        }
        result = self.spawn([sys.executable, "-c", DRIVER, json.dumps(arguments)], None, bound)
        if result.code != 0:
            return result
        return json.loads(result.out.strip().splitlines()[-1])

    def write(self, name: str, data: bytes | str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    def stored(self) -> set[str]:
        store = self.folder / "store.db"
        if not store.exists():
            return set()
        with sqlite3.connect(store) as db:
            return {row[0] for row in db.execute("SELECT arxiv_id FROM papers")}

    def run_states(self) -> list[str]:
        with sqlite3.connect(self.folder / "store.db") as db:
            return [row[0] for row in db.execute("SELECT status FROM runs ORDER BY id")]

    def site(self) -> Path:
        return self.folder / "site"

    def duplicates(self) -> int:
        """Papers shown twice on one day page or listed twice in one feed."""
        twice = 0
        for page in self.site().glob("*/????-??-??.html"):
            ids = Counter(
                a.get("id") for tag, a in elements(page.read_text("utf-8")) if tag == "article"
            )
            twice += sum(n - 1 for n in ids.values() if n > 1)
        for feed in self.site().rglob("rss.xml"):
            guids = Counter(g.text for g in ElementTree.parse(feed).getroot().iter("guid"))
            twice += sum(n - 1 for n in guids.values() if n > 1)
        return twice

    def escaped(self) -> int:
        """Live elements of planted markup in pages, feed item HTML and Hexo posts."""
        found = 0
        for page in self.site().rglob("*.html"):
            found += live(elements(page.read_text("utf-8")))
        for feed in self.site().rglob("rss.xml"):
            for item in ElementTree.parse(feed).getroot().iter("item"):
                for part in item:
                    if part.tag in ("description", RSS_CONTENT):  # HTML; titles are text
                        found += live(elements(part.text or ""))
        for feed in self.site().rglob("atom.xml"):
            for part in ElementTree.parse(feed).getroot().iter(f"{ATOM}content"):
                found += live(elements(part.text or ""))
        for feed in self.site().rglob("feed.json"):
            for item in json.loads(feed.read_text("utf-8"))["items"]:
                found += live(elements(item.get("content_html", "")))
        for post in (self.folder / "hexo").rglob("*.md"):
            # The body: Markdown passes HTML through, except a backslash-escaped "\<". (The
            # front matter is data for the theme, which escapes it.)
            body = post.read_text("utf-8").split("---\n", 2)[-1].replace("\\<", "&lt;")
            found += live(elements(body))
        return found


RSS_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
ATOM = "{http://www.w3.org/2005/Atom}"


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


def live(found: list[tuple[str, dict[str, str | None]]]) -> int:
    """Elements that run code: inline scripts, event handlers, the planted <img>."""
    return sum(
        1
        for tag, attrs in found
        if (tag == "script" and not attrs.get("src"))
        or any(name.startswith("on") for name in attrs)
        or (tag == "img" and attrs.get("src") == "x")
        or (attrs.get("href") or "").lower().startswith("javascript:")
    )


def paper(n: int, day: str = "2026-06-16", **fields: Any) -> dict[str, Any]:
    """A JSONL record of papertide's bulk format."""
    return {
        "id": f"2606.{20000 + n:05d}",
        "announced": day,
        "categories": ["cs.CV"],
        "title": f"Gaussian splatting study {n}",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "summary": f"We study gaussian splatting, case {n}, with 3 experiments.",
        **fields,
    }


def jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
