"""Acceptance: a built site served on 127.0.0.1 and driven by headless Chromium.

Skips, saying so, when Chromium is not installed (Debian: ``apt-get install chromium``;
``.ci/run`` installs it). Screenshots (desktop and phone width) are saved under
``test-artifacts/browser/`` of the repository, or ``$PAPERTIDE_ARTIFACTS/browser/``.
"""

from __future__ import annotations

import functools
import http.server
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from cdp import Browser
from test_publish import DAY3, GENERATED, digest, entry, sample_archives, sample_digests

from papertide.publish import SiteInfo, build_site

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("PAPERTIDE_ARTIFACTS", ROOT / "test-artifacts")) / "browser"
KNOWN = entry(
    "2606.04242",
    DAY3,
    "Holonomic warping for $\\mathcal{O}(n)$ translation",
    abstract="We align quaternionic manifolds so that $\\sum_{i=1}^{n} x_i^2 \\leq \\epsilon$.",
    writeup=True,
    figures=2,
)


def png(width: int, height: int) -> bytes:
    """A real (grey) PNG image, so the figures block shows something a browser decodes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x99" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    site = tmp_path_factory.mktemp("site")
    digests = sample_digests()
    digests[-1] = digest(digests[-1].topic, DAY3, KNOWN, *digests[-1].entries)
    for d in digests:
        for e in d.entries:
            for f in e.figures:
                (site / f.path).parent.mkdir(parents=True, exist_ok=True)
                (site / f.path).write_bytes(png(320, 180))
    info = SiteInfo("papertide", "zh-CN", None, GENERATED, base_url="https://example.org/p/")
    build_site(site, info, sample_archives(digests), digests)
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", site
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


def problems(browser: Browser, base: str) -> list[str]:
    """Console errors, uncaught exceptions, failed loads and requests to any other host."""
    found = []
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            found.append(f"console.{params['type']}: {params['args']}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {params['exceptionDetails']}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            found.append(f"log: {params['entry']['text']} {params['entry'].get('url', '')}")
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not (
                url.startswith(base) or urlsplit(url).scheme in ("data", "file", "about", "blob")
            ):
                found.append(f"request to another host: {url}")
        elif method == "Network.loadingFailed":
            found.append(f"failed to load: {params.get('errorText')} {params.get('type')}")
    browser.events.clear()
    return found


def test_day_page_math_figures_language_and_theme(
    served: tuple[str, Path], browser: Browser
) -> None:
    base, _ = served
    browser.events.clear()
    browser.open(f"{base}i2i/{DAY3}.html")
    card = "document.getElementById('2606.04242')"
    # math: KaTeX rendered the abstract's and the title's LaTeX, from the site's own files
    assert browser.js(f"{card}.querySelectorAll('.abstract .katex').length") == 1
    assert browser.js(f"{card}.querySelectorAll('.paper-title .katex').length") == 1
    assert browser.js(f"{card}.querySelector('.abstract .katex-error') === null")
    assert browser.js("document.fonts.check('16px KaTeX_Main')")
    # the figures block is closed, opens with a click showing decoded images, and closes
    figures = f"{card}.querySelector('details.figures')"
    assert browser.js(f"{figures}.open") is False
    browser.js(f"{figures}.querySelector('summary').click()")
    assert browser.js(f"{figures}.open") is True
    browser.js(f"Promise.all([...{figures}.querySelectorAll('img')].map(i => i.decode()))")
    assert browser.js(f"[...{figures}.querySelectorAll('img')].map(i => i.naturalWidth)") == [
        320,
        320,
    ]
    browser.js(f"{figures}.querySelector('summary').click()")
    assert browser.js(f"{figures}.open") is False
    # the language toggle: both, English only, translation only
    shown = (
        f"[{card}.querySelector('.abstract'), {card}.querySelector('.translation')]"
        ".map(e => getComputedStyle(e).display !== 'none')"
    )
    assert browser.js("!document.querySelector('[data-lang-toggle]').hidden")
    assert browser.js(shown) == [True, True]
    browser.js("document.querySelector('[data-lang-mode=original]').click()")
    assert browser.js(shown) == [True, False]
    browser.js("document.querySelector('[data-lang-mode=translation]').click()")
    assert browser.js(shown) == [False, True]
    assert (
        browser.js(
            "document.querySelector('[data-lang-mode=translation]').getAttribute('aria-pressed')"
        )
        == "true"
    )
    # a card without a translation keeps its abstract whatever the mode
    assert (
        browser.js(
            "getComputedStyle(document.getElementById('2606.00200').querySelector('.abstract'))"
            ".display"
        )
        != "none"
    )
    browser.js("document.querySelector('[data-lang-mode=both]').click()")
    assert browser.js(shown) == [True, True]
    # the theme switch overrides the system's choice
    toggle = "document.querySelector('[data-theme-toggle]')"
    background = "getComputedStyle(document.body).backgroundColor"
    browser.js(f"{toggle}.click()")
    light = browser.js(background)
    browser.js(f"{toggle}.click()")
    dark = browser.js(background)
    assert browser.js("document.documentElement.dataset.theme") == "dark"
    assert light == "rgb(255, 255, 255)" and dark != light
    browser.js(f"{toggle}.click()")
    assert problems(browser, base) == []


def test_search_finds_a_paper_by_a_word_of_its_abstract(
    served: tuple[str, Path], browser: Browser
) -> None:
    base, _ = served
    browser.events.clear()
    browser.open(f"{base}search.html?q=quaternionic")
    titles = browser.js(
        "[...document.querySelectorAll('#search-results h2')].map(h => h.innerText)"
    )
    assert len(titles) == 1 and titles[0].startswith("Holonomic warping for")
    assert browser.js("document.querySelectorAll('#search-results h2 .katex').length") == 1
    href = browser.js("document.querySelector('#search-results h2 a').getAttribute('href')")
    assert href == f"i2i/{DAY3}.html#2606.04242"
    assert browser.js("document.getElementById('search-status').textContent") == "1 paper found."
    # typing refines the results in place; every word must match
    browser.js(
        "(() => { const q = document.getElementById('search-q'); q.value = 'translate lovelace';"
        " q.dispatchEvent(new Event('input')); })()"
    )
    browser.js("new Promise(r => setTimeout(r, 300))")
    titles = browser.js(
        "[...document.querySelectorAll('#search-results h2')].map(h => h.innerText)"
    )
    assert sorted(titles) == [
        "An old-style identifier",
        "An older paper on style transfer",
        "Paired translation with diffusion",
        "Revised sketch-to-photo",
    ]
    browser.js("document.querySelector('#search-results h2 a').click()")
    browser.wait_for("Page.loadEventFired")
    assert browser.js("location.pathname").endswith(".html")
    assert problems(browser, base) == []


def test_search_works_from_disk_without_a_server(
    served: tuple[str, Path], browser: Browser
) -> None:
    base, site = served
    browser.events.clear()
    browser.open((site / "search.html").as_uri() + "?q=quaternionic")
    assert browser.js("document.querySelectorAll('#search-results li').length") == 1
    assert problems(browser, base) == []


def test_keyboard_slash_searches_and_j_moves_to_the_next_paper(
    served: tuple[str, Path], browser: Browser
) -> None:
    base, _ = served
    browser.open(f"{base}i2i/{DAY3}.html")
    for key in ("j", "j"):
        browser.call("Input.dispatchKeyEvent", type="keyDown", key=key, text=key)
        browser.call("Input.dispatchKeyEvent", type="keyUp", key=key)
    assert browser.js("document.activeElement.id") == "2606.00100"
    browser.call("Input.dispatchKeyEvent", type="keyDown", key="/", text="/")
    assert browser.js("document.activeElement.id") == "site-search-q"
    assert problems(browser, base) == []


def test_a_weekly_rollup_page_renders_links_to_its_papers_and_has_feeds(
    served: tuple[str, Path], browser: Browser
) -> None:
    base, site = served
    browser.events.clear()
    browser.open(f"{base}i2i/{DAY3}.html")
    browser.js("document.querySelector('a.week-link').click()")
    browser.wait_for("Page.loadEventFired")
    assert browser.js("location.pathname") == "/i2i/weeks/2026-W25.html"
    assert browser.js("document.querySelector('h1').innerText") == (
        "Image-to-image translation · Week 25 of 2026"
    )
    days = browser.js("[...document.querySelectorAll('.rollup-day h2 time')].map(t => t.dateTime)")
    assert days == ["2026-06-15", str(DAY3)]
    # the styles and KaTeX are the site's own, loaded from two folders up
    assert (
        browser.js("getComputedStyle(document.querySelector('.rollup-list')).paddingLeft") != "0px"
    )
    assert browser.js("document.querySelectorAll('.rollup-paper .paper-title .katex').length") == 1
    assert browser.js("document.querySelectorAll('.rollup-line .katex').length") >= 1
    # a paper's title leads to its card on the day page
    browser.js("document.getElementById('2606.04242').querySelector('h3 a').click()")
    browser.wait_for("Page.loadEventFired")
    browser.js("new Promise(r => setTimeout(r, 150))")
    assert browser.js("location.pathname + location.hash") == f"/i2i/{DAY3}.html#2606.04242"
    assert browser.js("document.getElementById('2606.04242') !== null")
    browser.open(f"{base}i2i/weeks/2026-W25.html")
    browser.screenshot(ARTIFACTS / "week-phone.png", 390, 844, mobile=True)
    assert browser.js("document.documentElement.scrollWidth") <= 390
    browser.call("Emulation.clearDeviceMetricsOverride")
    assert problems(browser, base) == []
    # its feeds (one item per closed week: week 22 is, week 25 is not yet) parse
    for name in ("rss.xml", "atom.xml"):
        feed = feedparser.parse((site / "i2i" / "weeks" / name).read_bytes())
        assert feed.bozo == 0 and [e.id for e in feed.entries] == [
            "urn:papertide:i2i:week:2026-W22"
        ]


def test_screenshots_desktop_and_phone(served: tuple[str, Path], browser: Browser) -> None:
    base, _ = served
    browser.open(f"{base}i2i/{DAY3}.html")
    desktop, phone = ARTIFACTS / "day-desktop.png", ARTIFACTS / "day-phone.png"
    browser.screenshot(desktop, 1280, 900, mobile=False)
    browser.screenshot(phone, 390, 844, mobile=True)
    # on a phone nothing is wider than the screen
    assert browser.js("document.documentElement.scrollWidth") <= 390
    browser.open(f"{base}search.html?q=translation")
    browser.screenshot(ARTIFACTS / "search-phone.png", 390, 844, mobile=True)
    browser.call("Emulation.clearDeviceMetricsOverride")
    for shot in (desktop, phone):
        assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 5000
    print(f"screenshots saved in {ARTIFACTS}")
    assert problems(browser, base) == []
