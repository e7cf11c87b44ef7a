"""Markup in paper text or in an LLM answer stays text in every feed: the HTML that each
feed item carries (RSS description and content, Atom summary and content, JSON Feed) is
parsed as a feed reader would, and holds no element that came from that text."""

from __future__ import annotations

import dataclasses
import json
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from test_feeds import build
from test_publish import DAY3, I2I, digest, entry

from papertide.records import Writeup

PAYLOAD = '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:x">y</a>'
RSS_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
ATOM = "{http://www.w3.org/2005/Atom}"
# The elements papertide's own item template writes.
OWN = {"p", "strong", "em", "a"}


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


def hostile_site(tmp_path: Path, summary: str) -> Path:
    bad = entry(
        "2606.66666",
        DAY3,
        f"Title {PAYLOAD}",
        authors=(f"Mallory {PAYLOAD}",),
        abstract=f"Abstract {PAYLOAD}",
        comment=f"Comment {PAYLOAD}",
        writeup=True,
    )
    assert bad.writeup is not None
    writeup: Writeup = dataclasses.replace(bad.writeup, summary=summary, translation=PAYLOAD)
    build(tmp_path, [digest(I2I, DAY3, dataclasses.replace(bad, writeup=writeup))])
    return tmp_path


def item_html(site: Path) -> dict[str, list[str]]:
    """Each feed's item HTML, as readers read it: the text of the HTML-carrying elements."""
    rss = ElementTree.parse(site / "i2i" / "rss.xml").getroot()
    atom = ElementTree.parse(site / "i2i" / "atom.xml").getroot()
    feed = json.loads((site / "i2i" / "feed.json").read_text(encoding="utf-8"))
    return {
        "rss description": [i.findtext("description") or "" for i in rss.iter("item")],
        "rss content": [i.findtext(RSS_CONTENT) or "" for i in rss.iter("item")],
        "atom content": [e.findtext(f"{ATOM}content") or "" for e in atom.iter(f"{ATOM}entry")],
        "json content_html": [i["content_html"] for i in feed["items"]],
    }


@pytest.mark.parametrize("summary", [PAYLOAD, ""], ids=["in-llm-summary", "in-abstract"])
def test_no_element_of_paper_or_llm_text_reaches_a_feed_reader(
    tmp_path: Path, summary: str
) -> None:
    site = hostile_site(tmp_path, summary)
    for where, items in item_html(site).items():
        assert items, where
        for html in items:
            found = elements(html)
            assert {tag for tag, _ in found} <= OWN, f"{where}: {found}"
            hrefs = [a.get("href") or "" for tag, a in found if tag == "a"]
            assert all(h.startswith("https://") for h in hrefs), f"{where}: {hrefs}"
            assert not [a for _, a in found if any(k.startswith("on") for k in a)], where
            assert "alert(1)" in html  # the text is there, as text


def test_atom_summary_is_plain_text(tmp_path: Path) -> None:
    site = hostile_site(tmp_path, PAYLOAD)
    atom = ElementTree.parse(site / "i2i" / "atom.xml").getroot()
    (summary,) = [e.find(f"{ATOM}summary") for e in atom.iter(f"{ATOM}entry")]
    assert summary is not None and summary.get("type", "text") == "text"
    assert summary.text == PAYLOAD  # shown as typed, neither escaped twice nor live
