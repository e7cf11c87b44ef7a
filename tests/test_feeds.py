"""Feeds as feed readers see them: parsed by feedparser (RSS, Atom) and read as JSON Feed 1.1."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
from test_publish import (
    DAY3,
    GENERATED,
    GS,
    I2I,
    digest,
    entry,
    parse,
    sample_archives,
    sample_digests,
    write_figures,
)

from papertide.publish import BuildResult, SiteInfo, TopicArchive, build_site
from papertide.publish.feeds import FEED_DAYS, FEEDS_OFF
from papertide.records import Digest

BASE = "https://example.org/papers/"
FEEDS = ("rss.xml", "atom.xml")


def build(
    out: Path,
    digests: list[Digest],
    base_url: str = BASE,
    archives: list[TopicArchive] | None = None,
    generated: datetime = GENERATED,
) -> BuildResult:
    site = SiteInfo("papertide", "zh-CN", None, generated, base_url=base_url)
    write_figures(out, digests)
    return build_site(out, site, archives or sample_archives(digests), digests)


def read(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, f"{path}: {parsed.get('bozo_exception')}"
    return parsed


def json_feed(path: Path) -> dict[str, object]:
    feed = json.loads(path.read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert item["content_html"] or item.get("content_text")
        datetime.fromisoformat(item["date_published"])
    return feed


def ids(site: Path, rel: str) -> list[str]:
    return [e.id for e in read(site / rel).entries]


def test_every_feed_parses_with_the_right_items(tmp_path: Path) -> None:
    result = build(tmp_path, sample_digests())
    assert result.notes == ()
    for folder, count in (("", 5), ("i2i/", 5), ("3dgs/", 0)):
        for name in FEEDS:
            parsed = read(tmp_path / f"{folder}{name}")
            assert len(parsed.entries) == count, f"{folder}{name}"
        assert len(json_feed(tmp_path / f"{folder}feed.json")["items"]) == count
    rss = read(tmp_path / "i2i/rss.xml")
    assert rss.version == "rss20"
    assert read(tmp_path / "i2i/atom.xml").version == "atom10"
    assert rss.feed.title == "Image-to-image translation · papertide"


def test_items_link_to_the_card_on_its_day_page_and_carry_the_paper(tmp_path: Path) -> None:
    build(tmp_path, sample_digests())
    atom = read(tmp_path / "i2i/atom.xml")
    newest = atom.entries[0]  # newest day first, best score first
    assert newest.title == "CycleDiff: Unpaired Image-to-Image Translation"
    assert newest.id == "urn:papertide:i2i:2606.00100v1"
    url = urlsplit(newest.link)
    assert newest.link.startswith(BASE)
    page = tmp_path / url.path.removeprefix(urlsplit(BASE).path)
    assert page.name == f"{DAY3}.html"
    assert parse(page).by_id(url.fragment).tag == "article"
    content = newest.content[0].value
    assert "本文提出一种图像翻译方法。" in content  # the summary
    assert "https://github.com/a/cyclediff" in content
    assert [t.term for t in newest.tags] == ["Image-to-image translation"]
    for entry_ in read(tmp_path / "rss.xml").entries:
        assert entry_.link.startswith(BASE) and entry_.id.startswith("urn:papertide:paper:")
        assert entry_.guidislink is False


def test_ids_are_stable_across_rebuilds_moves_and_new_days(tmp_path: Path) -> None:
    digests = sample_digests()
    first = build(tmp_path / "a", digests)
    again = build(tmp_path / "a", digests)
    assert again.written == 0 and again.unchanged == first.written  # feeds byte-identical
    moved = build(
        tmp_path / "b", digests, "https://elsewhere.example/", generated=datetime.now(UTC)
    )
    assert moved.notes == ()
    for rel in ("rss.xml", "atom.xml", "i2i/rss.xml", "i2i/atom.xml"):
        assert ids(tmp_path / "a", rel) == ids(tmp_path / "b", rel)
    later = DAY3 + timedelta(days=1)
    grown = [*digests, digest(I2I, later, entry("2606.00900", later, "A next-day paper"))]
    build(tmp_path / "a", grown)
    new_ids = ids(tmp_path / "a", "i2i/atom.xml")
    assert new_ids[0] == "urn:papertide:i2i:2606.00900v1"
    assert new_ids[1:] == ids(tmp_path / "b", "i2i/atom.xml")
    items = json_feed(tmp_path / "a" / "i2i/feed.json")["items"]
    assert [i["id"] for i in items] == new_ids  # type: ignore[attr-defined]


def test_a_revision_is_a_new_item(tmp_path: Path) -> None:
    day = DAY3 + timedelta(days=3)
    revised = entry("2606.00100", day, "CycleDiff v2", version=2)
    build(tmp_path, [*sample_digests(), digest(I2I, day, revised)])
    got = ids(tmp_path, "i2i/atom.xml")
    assert {"urn:papertide:i2i:2606.00100v1", "urn:papertide:i2i:2606.00100v2"} <= set(got)


def test_a_paper_of_two_topics_is_one_item_of_the_feed_of_everything(tmp_path: Path) -> None:
    both = entry("2606.00777", DAY3, "Splatting meets translation")
    digests = [digest(I2I, DAY3, both), digest(GS, DAY3, both)]
    archives = [TopicArchive(I2I, ((DAY3, 1),)), TopicArchive(GS, ((DAY3, 1),))]
    build(tmp_path, digests, archives=archives)
    everything = read(tmp_path / "atom.xml").entries
    assert [e.id for e in everything] == ["urn:papertide:paper:2606.00777v1"]
    assert sorted(t.term for t in everything[0].tags) == sorted([I2I.name, GS.name])
    assert ids(tmp_path, "3dgs/atom.xml") == ["urn:papertide:3dgs:2606.00777v1"]


def test_feeds_hold_the_newest_days_only(tmp_path: Path) -> None:
    start = date(2026, 6, 1)
    days = [start + timedelta(days=i) for i in range(FEED_DAYS + 3)]
    digests = [digest(I2I, d, entry(f"2606.{i:05d}", d, f"Paper {i}")) for i, d in enumerate(days)]
    archives = [TopicArchive(I2I, tuple((d, 1) for d in reversed(days)))]
    build(tmp_path, digests, archives=archives)
    for rel in ("i2i/rss.xml", "atom.xml"):
        titles = [e.title for e in read(tmp_path / rel).entries]
        assert titles == [f"Paper {i}" for i in reversed(range(3, FEED_DAYS + 3))]


def test_text_xml_cannot_hold_is_dropped_not_fatal(tmp_path: Path) -> None:
    odd = entry(
        "2606.00555", DAY3, "Form\x0cfeed & <b>bold</b> title", abstract="nul\x00 here $x<y$"
    )
    build(tmp_path, [digest(I2I, DAY3, odd)], archives=[TopicArchive(I2I, ((DAY3, 1),))])
    for name in FEEDS:
        assert read(tmp_path / "i2i" / name).entries[0].title == "Form feed & <b>bold</b> title"
    item = json_feed(tmp_path / "feed.json")["items"][0]  # type: ignore[index]
    assert item["title"] == "Form feed & <b>bold</b> title"  # JSON Feed titles are plain text
    assert "nul here $x&lt;y$" in item["content_html"]  # the NUL dropped, the rest escaped


def test_without_a_base_url_feeds_are_off_and_the_build_says_so(tmp_path: Path) -> None:
    result = build(tmp_path, sample_digests(), base_url="")
    assert result.notes == (FEEDS_OFF,)
    assert "base_url" in FEEDS_OFF
    assert not list(tmp_path.rglob("*.xml")) and not list(tmp_path.rglob("feed.json"))
    index = parse(tmp_path / "index.html")
    assert not [n for n in index.find_all("link") if n.attrs.get("rel") == "alternate"]


def test_pages_announce_their_feeds(tmp_path: Path) -> None:
    build(tmp_path, sample_digests())
    for page, prefix in ((tmp_path / "index.html", ""), (tmp_path / f"i2i/{DAY3}.html", "")):
        alternates = {
            n.attrs["type"]: n.attrs["href"]
            for n in parse(page).find_all("link")
            if n.attrs.get("rel") == "alternate"
        }
        assert alternates == {
            "application/rss+xml": f"{prefix}rss.xml",
            "application/atom+xml": f"{prefix}atom.xml",
            "application/feed+json": f"{prefix}feed.json",
        }
        for href in alternates.values():
            assert (page.parent / href).is_file()


def test_an_empty_digest_adds_no_item(tmp_path: Path) -> None:
    digests = sample_digests()
    digests[-1] = dataclasses.replace(digests[-1], entries=())
    build(tmp_path, digests)
    assert len(read(tmp_path / "i2i/rss.xml").entries) == 3
