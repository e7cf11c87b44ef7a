"""Acceptance: the "relevant / not relevant" buttons in headless Chromium, on a static site
(kept in the browser, exported, `papertide feedback import`) and under `papertide serve`
(recorded in the store at once; a forged cross-origin POST is refused).

Skips, saying so, when Chromium is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import re
import shutil
import sqlite3
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cdp import Browser
from clirun import papertide
from test_browser import QuietHandler, problems

from papertide.serve import make_server
from papertide.store import Store

DAY1, DAY2 = "2026-06-16", "2026-06-17"  # i2i: 2606.00001 on the first, 2606.00004 on the second


@pytest.fixture
def project(tmp_path: Path, fixtures: Path) -> Path:
    """A site built by `papertide run` from the pipeline fixture (keyword-only selection)."""
    shutil.copy(fixtures / "pipeline" / "config.toml", tmp_path / "config.toml")
    code, _, err = papertide(
        tmp_path / "config.toml", "run", "--from", str(fixtures / "pipeline" / "day1-2.jsonl")
    )
    assert code == 0, err
    return tmp_path


def start(server: http.server.ThreadingHTTPServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def static_site(project: Path) -> Iterator[str]:
    """The site on a plain static file server, as GitHub Pages or nginx would serve it."""
    handler = functools.partial(QuietHandler, directory=str(project / "site"))
    yield from start(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler))


@pytest.fixture
def served(project: Path) -> Iterator[str]:
    """`papertide serve`'s server for the project, without its request log on stderr."""
    server = make_server(
        project / "site", lambda: Store(project / "store.db"), ["i2i", "3dgs"], "127.0.0.1", 0
    )
    server.RequestHandlerClass.log_message = lambda *args: None  # type: ignore[method-assign]
    yield from start(server)


def wait_until(browser: Browser, condition: str, seconds: float = 10) -> None:
    browser.js(
        "new Promise((ok, fail) => { const t0 = Date.now(); (function poll() {"
        f" if ({condition}) ok(true);"
        f" else if (Date.now() - t0 > {seconds * 1000}) fail(new Error({json.dumps(condition)}));"
        " else setTimeout(poll, 50); })(); })"
    )


def rate(browser: Browser, paper: str, relevant: bool) -> None:
    button = f'[data-rating="{paper}"] [data-relevant="{str(relevant).lower()}"]'
    browser.js(f"document.querySelector('{button}').click()")


def status(browser: Browser, paper: str) -> str:
    return str(
        browser.js(
            f"document.querySelector('[data-rating=\"{paper}\"] .rating-status').textContent"
        )
    )


def pressed(browser: Browser, paper: str) -> list[str]:
    return list(
        browser.js(
            f"[...document.querySelectorAll('[data-rating=\"{paper}\"] [aria-pressed=true]')]"
            ".map(b => b.textContent)"
        )
    )


def stored(project: Path, topic: str) -> list[tuple[str, bool, str]]:
    with Store(project / "store.db") as store:
        return [(r.paper_id, r.relevant, r.source) for r in store.feedback_for(topic)]


def decisions_made(summary: str) -> int:
    found = re.search(r"(\d+) of (\d+) new decisions", summary)
    assert found, summary
    return int(found.group(2))


def test_static_site_keeps_ratings_in_the_browser_and_exports_them_for_import(
    project: Path, static_site: str, browser: Browser, tmp_path: Path
) -> None:
    base = static_site
    browser.events.clear()
    browser.open(f"{base}i2i/{DAY1}.html")
    assert browser.js("document.querySelector('[data-rating=\"2606.00001\"]').hidden") is False
    assert browser.js("document.querySelector('[data-ratings-topic]').hidden") is True
    rate(browser, "2606.00001", True)
    assert pressed(browser, "2606.00001") == ["Relevant"]
    assert status(browser, "2606.00001") == "Kept in this browser."
    browser.open(f"{base}i2i/{DAY2}.html")
    rate(browser, "2606.00004", True)
    rate(browser, "2606.00004", False)  # changed their mind: the later click counts
    assert pressed(browser, "2606.00004") == ["Not relevant"]
    bar = "document.querySelector('[data-ratings-topic]')"
    assert browser.js(f"{bar}.hidden") is False
    assert browser.js(f"{bar}.querySelector('[data-ratings-count]').textContent") == (
        "2 ratings are kept in this browser only."
    )
    browser.open(f"{base}i2i/{DAY1}.html")  # kept across pages and reloads
    assert pressed(browser, "2606.00001") == ["Relevant"]

    downloads = tmp_path / "downloads"
    browser.call(
        "Browser.setDownloadBehavior",
        session=False,
        behavior="allow",
        downloadPath=str(downloads),
        eventsEnabled=True,
    )
    browser.js(f"{bar}.querySelector('[data-ratings-export]').click()")
    while browser.wait_for("Browser.downloadProgress")["params"]["state"] != "completed":
        pass
    (exported,) = downloads.glob("papertide-ratings-*.json")
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert document["format"] == "papertide-ratings" and document["version"] == 1
    assert sorted((r["paper"], r["topic"], r["relevant"]) for r in document["ratings"]) == [
        ("2606.00001", "i2i", True),
        ("2606.00004", "i2i", False),
    ]
    assert browser.js(f"{bar}.hidden") is True  # exported: nothing left to export
    assert problems(browser, base) == []

    config = project / "config.toml"
    code, out, err = papertide(config, "feedback", "import", str(exported))
    assert code == 0, err
    assert out.strip() == "2 ratings recorded (0 already known); judged again by the next run: i2i"
    assert stored(project, "i2i") == [("2606.00001", True, "page"), ("2606.00004", False, "page")]
    assert stored(project, "3dgs") == []
    code, out, _ = papertide(config, "feedback", "import", str(exported))
    assert out.strip() == "0 ratings recorded (2 already known)"
    # the rerun judges the rated topic again (its 5 papers), and not the other one
    code, out, err = papertide(config, "build")
    assert code == 0, err
    assert decisions_made(out) == 5
    code, out, _ = papertide(config, "build")
    assert decisions_made(out) == 0


# Two more image-translation papers of the first day: one matching both of the i2i query's
# phrases (scored above the papers that match one), one matching one.
MORE_DAY1 = [
    {
        "id": "2606.00011",
        "announced": DAY1,
        "categories": ["cs.CV"],
        "title": "Sketch to Photo by Style Transfer",
        "authors": ["Fay Grant"],
        "summary": "A style transfer network for image-to-image mapping of sketches to photos.",
    },
    {
        "id": "2606.00012",
        "announced": DAY1,
        "categories": ["cs.CV"],
        "title": "Seasons Changed in Landscape Photographs",
        "authors": ["Gus Hale"],
        "summary": "We change summer landscapes into winter ones by image-to-image mapping.",
    },
]


def listed(browser: Browser, within: str = "") -> list[str]:
    """The papers of the open topic page (or of its part ``within``, a CSS selector), in the
    order the reader sees them."""
    found = f"document.querySelectorAll('{within} [data-rating]')"
    return list(browser.js(f"[...{found}].map(e => e.dataset.rating)"))


def reason(browser: Browser, paper: str) -> str:
    return str(
        browser.js(
            f"document.querySelector('[data-rating=\"{paper}\"]').closest('article').textContent"
        )
    )


def test_under_serve_a_click_is_recorded_in_the_store_and_the_topic_rejudged(
    project: Path, served: str, browser: Browser
) -> None:
    base = served
    config = project / "config.toml"
    more = project / "more.jsonl"
    more.write_text("".join(json.dumps(p) + "\n" for p in MORE_DAY1), encoding="utf-8")
    code, _, err = papertide(config, "import", str(more))
    assert code == 0, err
    code, _, err = papertide(config, "build")
    assert code == 0, err
    browser.events.clear()
    browser.open(f"{base}i2i/{DAY1}.html")
    assert listed(browser) == ["2606.00011", "2606.00001", "2606.00012"]  # by score
    rate(browser, "2606.00001", False)
    rate(browser, "2606.00012", True)
    for paper in ("2606.00001", "2606.00012"):
        wait_until(
            browser,
            f"document.querySelector('[data-rating=\"{paper}\"] .rating-status')"
            ".textContent === 'Recorded in papertide.'",
        )
    assert sorted(stored(project, "i2i")) == [
        ("2606.00001", False, "serve"),
        ("2606.00012", True, "serve"),
    ]
    assert browser.js("document.querySelector('[data-ratings-topic]').hidden") is True
    assert problems(browser, base) == []
    code, out, err = papertide(config, "build")
    assert code == 0, err
    assert decisions_made(out) == 7  # i2i only
    # the rerun re-ranks the page another browser sees: the paper marked relevant first, the
    # one marked not relevant gone, each saying why
    browser.js("localStorage.clear()")
    browser.open(f"{base}i2i/{DAY1}.html")
    assert listed(browser) == ["2606.00012", "2606.00011"]
    assert pressed(browser, "2606.00012") == ["Relevant"]
    assert status(browser, "2606.00012") == "Recorded in papertide."
    assert "you marked it relevant" in reason(browser, "2606.00012")
    assert "2606.00001" not in str(browser.js("document.body.textContent"))

    # while a run holds the store, the click is kept in the browser and sent again later
    with Store(project / "store.db") as store:
        store.lock()
        browser.open(f"{base}i2i/{DAY2}.html")
        rate(browser, "2606.00004", True)
        wait_until(
            browser,
            "document.querySelector('[data-rating=\"2606.00004\"] .rating-status')"
            ".textContent.startsWith('Not recorded')",
        )
        assert "the store is in use by a papertide run" in status(browser, "2606.00004")
        assert (
            browser.js("document.querySelector('[data-ratings-count]').textContent")
            == "1 rating is kept in this browser only."
        )
        assert len(stored(project, "i2i")) == 2
    browser.events.clear()
    browser.open(f"{base}i2i/{DAY2}.html")
    wait_until(
        browser,
        "document.querySelector('[data-rating=\"2606.00004\"] .rating-status')"
        ".textContent === 'Recorded in papertide.'",
    )
    assert sorted(stored(project, "i2i")) == [
        ("2606.00001", False, "serve"),
        ("2606.00004", True, "serve"),
        ("2606.00012", True, "serve"),
    ]


EVIL_PAGE = """<!doctype html><html><head><title>a page elsewhere</title></head><body>
<form id="f" method="post" enctype="text/plain" action="{target}">
<input name='{{"format":"papertide-ratings","version":1,"ratings":[{{"paper":"2606.00001",
"topic":"i2i","relevant":false,"x":"' value='"}}]}}'>
</form></body></html>"""

FORGED = {
    "format": "papertide-ratings",
    "version": 1,
    "ratings": [{"paper": "2606.00002", "topic": "3dgs", "relevant": False}],
}


def test_a_forged_cross_origin_post_is_refused_and_stores_nothing(
    project: Path, served: str, browser: Browser, tmp_path: Path
) -> None:
    endpoint = f"{served}api/ratings"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "evil.html").write_text(EVIL_PAGE.format(target=endpoint), encoding="utf-8")
    handler = functools.partial(QuietHandler, directory=str(elsewhere))
    for other in start(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)):
        browser.open(f"{other}evil.html")
        body = json.dumps(FORGED)
        # what a page of another origin can send: a "simple" fetch, a JSON fetch (preflighted)
        answers = browser.js(
            "Promise.all(["
            f"fetch('{endpoint}', {{method: 'POST', mode: 'no-cors', body: {json.dumps(body)}}})"
            ".then(r => r.type, e => 'error'),"
            f"fetch('{endpoint}', {{method: 'POST',"
            " headers: {'Content-Type': 'application/json'},"
            f" body: {json.dumps(body)}}}).then(r => r.status, e => 'blocked')])"
        )
        assert answers == ["opaque", "blocked"]
        # and a form, submitted as a cross-site navigation
        browser.js("document.getElementById('f').submit()")
        browser.wait_for("Page.loadEventFired")
        assert "ratings are taken only from this site's pages" in browser.js(
            "document.body.innerText"
        )
    # by hand: a foreign Origin, a cross-site fetch, another Host (DNS rebinding)
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": served.rstrip("/"), "Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://evil.example:1234", "Host": "evil.example:1234"},
        {},
    ):
        request = urllib.request.Request(
            endpoint,
            data=json.dumps(FORGED).encode(),
            headers={"Content-Type": "application/json", **headers},
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403
        assert "ratings are taken only" in json.loads(refused.value.read())["error"]
    with sqlite3.connect(project / "store.db") as db:
        assert db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 0


# A day judged by the embeddings as well (the default pair): the keyword query finds one paper,
# and a paper on the topic in other words scores below the bar, so the page lists it as close.
SEMANTIC_CONFIG = """language = "zh-CN"

[site]
title = "Test digests"
output_dir = "site"

[store]
path = "store.db"

[llm]
backend = "none"

[[topics]]
name = "I2I Translation"
slug = "i2i"
description = "Methods that turn an image into another domain: style transfer, day to night."
query = 'abs:"style transfer"'
"""
CLOSE_DAY = [
    MORE_DAY1[0],
    {
        "id": "2606.00021",
        "announced": DAY1,
        "categories": ["cs.CV"],
        "title": "Colourising Old Black-and-White Photographs",
        "authors": ["Ivo Jansen"],
        "summary": "A network adds plausible colours to grayscale photographs from family"
        " archives.",
    },
    {
        "id": "2606.00022",
        "announced": DAY1,
        "categories": ["cs.CL"],
        "title": "Parsing Legal Contracts with Small Language Models",
        "authors": ["Jo Keller"],
        "summary": "We fine-tune small language models to extract clauses from legal contracts.",
    },
]


def test_a_paper_close_to_the_topic_can_be_marked_relevant_and_is_selected_next_run(
    tmp_path: Path, browser: Browser
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(SEMANTIC_CONFIG, encoding="utf-8")
    day = tmp_path / "day.jsonl"
    day.write_text("".join(json.dumps(p) + "\n" for p in CLOSE_DAY), encoding="utf-8")
    code, _, err = papertide(config, "run", "--from", str(day))
    assert code == 0, err
    server = make_server(
        tmp_path / "site", lambda: Store(tmp_path / "store.db"), ["i2i"], "127.0.0.1", 0
    )
    server.RequestHandlerClass.log_message = lambda *args: None  # type: ignore[method-assign]
    with contextlib.contextmanager(start)(server) as base:
        browser.events.clear()
        browser.open(f"{base}i2i/{DAY1}.html")
        assert listed(browser)[0] == "2606.00011"  # selected by its keyword match
        # on the topic in other words, below the bar; a paper nowhere near it is not listed
        assert listed(browser, ".near-miss") == ["2606.00021"]
        assert "Why it was not selected" in reason(browser, "2606.00021")
        rate(browser, "2606.00021", True)
        wait_until(
            browser,
            "document.querySelector('[data-rating=\"2606.00021\"] .rating-status')"
            ".textContent === 'Recorded in papertide.'",
        )
        assert stored(tmp_path, "i2i") == [("2606.00021", True, "serve")]
        # (Chromium may ask a new origin for /favicon.ico although the pages link their icon)
        assert [p for p in problems(browser, base) if "/favicon.ico" not in p] == []
        code, _, err = papertide(config, "build")
        assert code == 0, err
        browser.js("localStorage.clear()")
        browser.open(f"{base}i2i/{DAY1}.html")
        selected = browser.js("[...document.querySelectorAll('article.paper')].map(e => e.id)")
        assert sorted(selected) == ["2606.00011", "2606.00021"]  # marked relevant: selected
        assert "you marked it relevant" in reason(browser, "2606.00021")
        assert "2606.00021" not in listed(browser, ".near-miss")
