"""End to end on real arXiv material from ../shared/data: the starter config, a real RSS
announcement day, the 3,294-paper bulk file, and the other import formats."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from clirun import papertide as run_cli
from test_cli import Page

RSS = "arxiv/rss/aioarxiv_jmmeus/rss_mock_feed.xml"
BULK = "arxiv/bulk/papers_2026-06-16_to_07-01.jsonl"


def papertide(workdir: Path, *args: str) -> str:
    code, out, err = run_cli(workdir / "papertide.toml", *args)
    assert code == 0, out + err
    return out


def keyword_only_init(workdir: Path) -> None:
    """The starter config with keyword-only selection: these tests are about ingestion and
    publishing of thousands of papers, which the local embedding model would take minutes
    to embed (tests/test_select_semantic.py covers semantic selection)."""
    papertide(workdir, "init")
    with (workdir / "papertide.toml").open("a", encoding="utf-8") as config:
        config.write('\n[select]\nembedder = "none"\n')


def selected(workdir: Path) -> dict[tuple[str, str], set[str]]:
    """{(topic, day): {arxiv ids}} as the store records the selection."""
    pages: dict[tuple[str, str], set[str]] = {}
    with sqlite3.connect(workdir / "papertide.db") as db:
        for topic, day, arxiv_id in db.execute(
            "SELECT topic, day, arxiv_id FROM matches WHERE selected = 1"
        ):
            pages.setdefault((topic, day), set()).add(arxiv_id)
    return pages


def listed_ids(page: Page) -> set[str]:
    return {
        h.removeprefix("https://arxiv.org/abs/")
        for h in page.hrefs
        if h.startswith("https://arxiv.org/abs/")
    }


def test_rss_day_publishes_the_selected_papers_with_the_reference_fields(
    tmp_path: Path, shared_data: Path
) -> None:
    keyword_only_init(tmp_path)
    out = papertide(tmp_path, "run", "--from", str(shared_data / RSS))
    assert "1504 fetched (1504 new, 0 revised, 0 already stored)" in out
    pages = selected(tmp_path)
    assert {day for _, day in pages} == {"2024-11-28"}
    assert {topic for topic, _ in pages} >= {"i2i", "3dgs", "diffusion", "medical", "nerf"}
    for (topic, day), ids in pages.items():
        page = Page(tmp_path / "site" / topic / f"{day}.html")
        assert listed_ids(page) == ids, topic
        assert page.tags["article"] == len(ids)
        for arxiv_id in ids:
            assert f"https://papers.cool/arxiv/{arxiv_id}" in page.hrefs
            assert any(h.startswith(f"https://arxiv.org/pdf/{arxiv_id}v") for h in page.hrefs)
        assert "Abstract" in page.all_text and "Authors" in page.all_text
    # The virtual try-off paper belongs on the I2I page; a machine-translation paper does not.
    i2i = Page(tmp_path / "site" / "i2i" / "2024-11-28.html")
    assert "TryOffDiff" in i2i.all_text
    index = Page(tmp_path / "site" / "index.html")
    assert "i2i/2024-11-28.html" in " ".join(index.hrefs)

    rerun = papertide(tmp_path, "run", "--from", str(shared_data / RSS))
    assert "(0 new, 0 revised, 1504 already stored)" in rerun
    assert "0 files written" in rerun
    assert selected(tmp_path) == pages


def test_bulk_import_gives_one_page_per_topic_per_announcement_day(
    tmp_path: Path, shared_data: Path
) -> None:
    announced = {
        json.loads(line)["announced"]
        for line in (shared_data / BULK).read_text(encoding="utf-8").splitlines()
    }
    keyword_only_init(tmp_path)
    out = papertide(tmp_path, "run", "--from", str(shared_data / BULK))
    assert "3294 fetched (3294 new" in out
    pages = selected(tmp_path)
    for topic in ("i2i", "3dgs", "nerf", "diffusion", "talking-head", "medical"):
        days = {day for t, day in pages if t == topic}
        built = {p.stem for p in (tmp_path / "site" / topic).glob("20*.html")}
        assert built == days, topic
        assert days <= announced
    # 2026-06-25 is a thin day (26 papers); every other day has diffusion papers.
    assert len({day for t, day in pages if t == "diffusion"}) >= len(announced) - 1
    for (topic, day), ids in pages.items():
        assert listed_ids(Page(tmp_path / "site" / topic / f"{day}.html")) == ids


@pytest.mark.parametrize(
    "relative",
    [
        "arxiv/api/arxiv.py_fixtures/q_testing_s0_m100_cfe7536492ca.xml",
        "arxiv/oai/arXivOAIHarvester/ListRecordsResponse.xml",
    ],
)
def test_atom_and_oai_files_import(tmp_path: Path, shared_data: Path, relative: str) -> None:
    keyword_only_init(tmp_path)
    out = papertide(tmp_path, "import", str(shared_data / relative))
    assert "imported" in out
    with sqlite3.connect(tmp_path / "papertide.db") as db:
        (stored,) = db.execute("SELECT COUNT(*) FROM papers").fetchone()
    assert stored > 0 and f"imported {stored} papers ({stored} new" in out
