"""Weekly roll-ups on the site: a page per topic and week, by day and best first, linked from
the archive and the day pages, with feeds of their own (checked with feedparser)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from clirun import papertide
from test_feeds import json_feed, read
from test_publish import DAY2, DAY3, GENERATED, I2I, parse, sample_archives
from test_push import week_digests

from papertide.publish import SiteInfo, build_site
from papertide.publish.rollup import last_days
from papertide.publish.site import rollup_pages

BASE = "https://example.org/p/"


def build(out: Path, base_url: str = BASE) -> None:
    digests = week_digests()
    info = SiteInfo("papertide", "zh-CN", None, GENERATED, base_url=base_url)
    build_site(out, info, sample_archives(digests), digests)


def test_a_week_page_lists_its_days_each_best_first(tmp_path: Path) -> None:
    build(tmp_path)
    page = parse(tmp_path / "i2i" / "weeks" / "2026-W25.html")
    assert page.find("h1").text() == "Image-to-image translation · Week 25 of 2026"
    assert (
        page.find("p", "day-line")
        .text()
        .startswith("15–21 June 2026 · 3 papers on 2 days, best first each day")
    )
    days = page.find_all("section", "rollup-day")
    assert [d.find("h2").find("a").attrs["href"] for d in days] == [
        f"../{DAY2}.html",
        f"../{DAY3}.html",
    ]
    monday = [li.find("h3").text() for li in days[0].find_all("li", "rollup-paper")]
    assert monday == ["Monday's best paper", "Monday's weaker paper"]
    best = days[0].find("li", "rollup-paper")
    assert best.find("h3").find("a").attrs["href"] == f"../{DAY2}.html#2606.00011"
    assert best.find("p", "rollup-line").text() == "本文提出一种图像翻译方法。"
    assert "score 0.95" in best.find("p", "paper-meta").text()
    nav = {a.attrs.get("rel", "all"): a.attrs["href"] for a in page.find("nav").find_all("a")}
    assert nav == {"all": "../index.html", "next": "../../i2i/weeks/2026-W26.html"}
    assert page.find("link").attrs["href"] == "../../static/style.css"


def test_the_archive_and_the_day_pages_link_their_weeks(tmp_path: Path) -> None:
    build(tmp_path)
    archive = parse(tmp_path / "i2i" / "index.html").find("section", "weeks")
    weeks = [(li.find("a").attrs["href"], li.text()) for li in archive.find_all("li")]
    assert weeks == [
        ("weeks/2026-W26.html", "Week 26 of 2026 22–28 June 2026 1 paper"),
        ("weeks/2026-W25.html", "Week 25 of 2026 15–21 June 2026 3 papers"),
    ]
    day = parse(tmp_path / "i2i" / f"{DAY3}.html").find("a", "week-link")
    assert (day.attrs["href"], day.text()) == ("weeks/2026-W25.html", "Week 25 of 2026")


def test_weekly_feeds_hold_one_item_per_closed_week(tmp_path: Path) -> None:
    build(tmp_path)
    folder = tmp_path / "i2i" / "weeks"
    title = "Image-to-image translation · Week 25 of 2026 (15–21 June 2026) · 3 papers"
    for name in ("rss.xml", "atom.xml"):
        # week 26 is still open (no later day yet), so only week 25 is an item
        [item] = read(folder / name).entries
        assert item.link == f"{BASE}i2i/weeks/2026-W25.html"
        assert item.title == title
        assert item.id == "urn:papertide:i2i:week:2026-W25"
    [item] = json_feed(folder / "feed.json")["items"]  # type: ignore[misc]
    assert (item["id"], item["title"]) == ("urn:papertide:i2i:week:2026-W25", title)
    html = read(folder / "atom.xml").entries[0].content[0].value
    assert html.index("Monday's best paper") < html.index("Monday's weaker paper")
    assert f'href="{BASE}i2i/{DAY2}.html#2606.00011"' in html


def test_without_base_url_the_weeks_have_pages_but_no_feeds(tmp_path: Path) -> None:
    build(tmp_path, base_url="")
    assert (tmp_path / "i2i" / "weeks" / "2026-W25.html").is_file()
    assert not list((tmp_path / "i2i" / "weeks").glob("*.xml"))


def test_a_last_days_rollup_covers_the_window_it_names(tmp_path: Path) -> None:
    digests = week_digests()
    newest = DAY2 + timedelta(days=7)
    window = last_days(digests, I2I, 7, newest)
    assert window.label == "Last 7 days" and window.span == "16–22 June 2026"
    assert [d.day for d in window.days] == [DAY3, newest]
    info = SiteInfo("papertide", "zh-CN", None, GENERATED, base_url=BASE)
    files = rollup_pages(info, [window])
    page = files["i2i/last-7-days/index.html"].decode()
    assert "Tuesday&#39;s paper" in page and "Next week" in page
    assert "Monday&#39;s best paper" not in page


def test_the_rollup_command_writes_a_window_that_later_builds_keep(
    tmp_path: Path, fixtures: Path
) -> None:
    for name in ("config.toml", "day1-2.jsonl"):
        shutil.copy(fixtures / "pipeline" / name, tmp_path / name)
    config = tmp_path / "config.toml"
    config.write_text(config.read_text().replace("[site]\n", f'[site]\nbase_url = "{BASE}"\n'))
    assert papertide(config, "run", "--from", str(tmp_path / "day1-2.jsonl"))[0] == 0
    code, out, _ = papertide(config, "rollup", "--days", "3", "--topic", "i2i")
    assert code == 0
    folder = tmp_path / "site" / "i2i" / "last-3-days"
    assert out.strip().startswith("i2i: ") and f"→ {folder / 'index.html'}" in out
    page = parse(folder / "index.html")
    assert page.find("h1").text() == "I2I Translation · Last 3 days"
    days = [h.find("a").attrs["href"] for h in page.find_all("h2")]
    assert days and all(d.startswith("../2026-06-1") for d in days)
    [item] = read(folder / "atom.xml").entries
    assert item.link == f"{BASE}i2i/last-3-days/index.html"
    assert papertide(config, "build")[0] == 0
    assert (folder / "index.html").is_file()  # a build leaves it alone
    code, _, err = papertide(config, "rollup", "--topic", "nope")
    assert code == 2 and "no topic with slug 'nope'" in err


def test_a_weekly_feed_is_there_and_empty_until_the_first_week_is_over(tmp_path: Path) -> None:
    digests = [d for d in week_digests() if d.day <= DAY3]  # week 25 only, still open
    info = SiteInfo("papertide", "zh-CN", None, GENERATED, base_url=BASE)
    build_site(tmp_path, info, sample_archives(digests), digests)
    feed = read(tmp_path / "i2i" / "weeks" / "atom.xml")
    assert feed.entries == [] and feed.feed.title.startswith("Image-to-image translation ·")
    assert json_feed(tmp_path / "i2i" / "weeks" / "feed.json")["items"] == []
