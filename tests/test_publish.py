"""The static site as a reader meets it: pages, links, cards, escaping and rebuilds.

Pages are read with the standard library's HTML parser into a small element tree, so the
assertions are about what a browser would build, not about strings in the markup.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from papertide.publish import BuildResult, SiteInfo, TopicArchive, build_site
from papertide.records import (
    Digest,
    DigestEntry,
    Figure,
    Links,
    Match,
    Paper,
    PaperStatus,
    Topic,
    Writeup,
)

# ---------------------------------------------------------------- reading pages

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        return [
            n
            for n in self.iter()
            if n.tag == tag and (cls is None or cls in n.attrs.get("class", "").split())
        ]

    def find(self, tag: str, cls: str | None = None) -> Node:
        found = self.find_all(tag, cls)
        assert found, f"no <{tag} class={cls!r}> in <{self.tag}>"
        return found[0]

    def by_id(self, ident: str) -> Node:
        found = [n for n in self.iter() if n.attrs.get("id") == ident]
        assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
        return found[0]

    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text())
        return " ".join(" ".join(parts).split())


class _TreeBuilder(HTMLParser):
    """Builds a Node tree and records every end tag that does not close the open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if self.stack[-1].tag == tag:
            self.stack.pop()
        else:
            self.errors.append(f"</{tag}> closes <{self.stack[-1].tag}>")

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(path: Path) -> Node:
    builder = _TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    builder.close()
    assert not builder.errors, f"{path}: {builder.errors[:3]}"
    assert builder.stack == [builder.root], f"{path}: unclosed {[n.tag for n in builder.stack]}"
    return builder.root


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


# ---------------------------------------------------------------- sample digests

I2I = Topic(slug="i2i", name="Image-to-image translation", description="Domain translation.")
GS = Topic(slug="3dgs", name="Gaussian splatting")
DAY1, DAY2, DAY3 = date(2026, 5, 29), date(2026, 6, 15), date(2026, 6, 16)
GENERATED = datetime(2026, 6, 16, 7, 30, tzinfo=UTC)
NOTE = 'LLM write-ups are off (llm.backend = "none" in papertide.toml).'
HOSTILE = "<script>alert(1)</script></details><details open>"


def entry(
    arxiv_id: str,
    day: date,
    title: str,
    *,
    version: int = 1,
    status: PaperStatus = PaperStatus.NEW,
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing"),
    abstract: str = "We translate images between domains with $\\alpha$-blending.",
    comment: str | None = None,
    venue: str | None = None,
    code: tuple[str, ...] = (),
    project: tuple[str, ...] = (),
    writeup: bool = False,
    figures: int = 0,
    reason: str = "title matches 'image-to-image'",
) -> DigestEntry:
    paper = Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        authors=authors,
        abstract=abstract,
        categories=("cs.CV", "cs.LG"),
        announced=day,
        comment=comment,
    )
    links = Links(
        paper.abs_url,
        paper.pdf_url,
        paper.html_url,
        paper.cool_papers_url,
        code_urls=code,
        project_urls=project,
        venue=venue,
    )
    match = Match(arxiv_id, version, "i2i", day, True, 0.873, reason)
    w = None
    if writeup:
        w = Writeup(
            arxiv_id,
            version,
            "zh-CN",
            "test-model",
            "1",
            translation="我们在不同域之间翻译图像。",
            summary="本文提出一种图像翻译方法。",
            takeaways=("第一点。", "第二点。", "第三点。"),
        )
    figs = tuple(
        Figure(
            arxiv_id,
            version,
            i,
            "figure",
            str(i + 1),
            f"Caption {i + 1} of {arxiv_id}.",
            2,
            f"figures/{paper.versioned_id}/fig{i + 1}.png",
        )
        for i in range(figures)
    )
    return DigestEntry(paper, match, status, links, w, figs)


def digest(topic: Topic, day: date, *entries: DigestEntry) -> Digest:
    return Digest(topic, day, entries, updated=datetime(2026, 6, 16, 6, 0, tzinfo=UTC))


MANY_AUTHORS = tuple(f"Author {i:02d}" for i in range(1, 41))


def sample_digests() -> list[Digest]:
    return [
        digest(I2I, DAY1, entry("2605.00001", DAY1, "An older paper on style transfer")),
        digest(
            I2I,
            DAY2,
            entry("2606.00010", DAY2, "Paired translation with diffusion", writeup=True),
            entry("hep-th/9901001", DAY2, "An old-style identifier", status=PaperStatus.CROSS),
        ),
        digest(
            I2I,
            DAY3,
            entry(
                "2606.00100",
                DAY3,
                "CycleDiff: Unpaired Image-to-Image Translation",
                authors=MANY_AUTHORS,
                comment="Accepted by MICCAI 2026. 12 pages. Code: https://github.com/a/cyclediff",
                venue="MICCAI 2026",
                code=("https://github.com/a/cyclediff",),
                project=("https://a.github.io/cyclediff/",),
                writeup=True,
                figures=2,
            ),
            entry(
                "2606.00200", DAY3, "Revised sketch-to-photo", version=3, status=PaperStatus.REVISED
            ),
        ),
    ]


def sample_archives(digests: list[Digest]) -> list[TopicArchive]:
    days = tuple((d.day, len(d.entries)) for d in sorted(digests, key=lambda d: d.day))
    return [TopicArchive(I2I, tuple(reversed(days))), TopicArchive(GS, ())]


def write_figures(out: Path, digests: list[Digest]) -> None:
    """Stand in for the figures stage, which puts the images into the site beforehand."""
    for d in digests:
        for e in d.entries:
            for f in e.figures:
                image = out / f.path
                if not image.exists():
                    image.parent.mkdir(parents=True, exist_ok=True)
                    image.write_bytes(b"\x89PNG\r\n\x1a\n")


def build(out: Path, digests: list[Digest], note: str | None = None) -> BuildResult:
    site = SiteInfo(title="papertide", language="zh-CN", llm_note=note, generated=GENERATED)
    write_figures(out, digests)
    return build_site(out, site, sample_archives(digests), digests)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    build(tmp_path, sample_digests())
    return tmp_path


def card(site: Path, day: date, anchor: str) -> Node:
    node = parse(site / "i2i" / f"{day}.html").by_id(anchor)
    assert node.tag == "article"
    return node


# ---------------------------------------------------------------- the pages


def test_site_has_index_day_pages_archives_and_stylesheet(site: Path) -> None:
    names = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert {
        "index.html",
        "i2i/index.html",
        "3dgs/index.html",
        f"i2i/{DAY1}.html",
        f"i2i/{DAY2}.html",
        f"i2i/{DAY3}.html",
        "static/style.css",
    } <= names
    for page in pages(site):
        doc = parse(page)
        assert doc.find("html").attrs["lang"] == "en"
        assert any(m.attrs.get("name") == "viewport" for m in doc.find_all("meta"))
        assert doc.find("a", "skip-link").attrs["href"] == "#main"
        assert doc.find("main").attrs["id"] == "main"
        assert doc.find("header") and doc.find("footer")


def test_index_shows_each_topic_latest_day_and_says_when_a_topic_has_none(site: Path) -> None:
    doc = parse(site / "index.html")
    sections = doc.find_all("section", "topic-summary")
    assert [s.find("h2").text() for s in sections] == [I2I.name, GS.name]
    i2i, gs = sections
    assert i2i.find("time").attrs["datetime"] == DAY3.isoformat()
    assert "2 papers" in i2i.text()
    hrefs = [a.attrs["href"] for a in i2i.find("ol").find_all("a")]
    assert hrefs == [f"i2i/{DAY3}.html#2606.00100", f"i2i/{DAY3}.html#2606.00200"]
    assert any(a.attrs["href"] == "i2i/index.html" for a in i2i.find_all("a"))
    assert "No papers selected for this topic yet." in gs.text()
    assert "updated" in doc.find("main").text() and "2026-06-16 07:30 UTC" in doc.text()


def test_every_link_leads_to_an_existing_file_and_anchor(site: Path) -> None:
    checked = 0
    for page in pages(site):
        doc = parse(page)
        targets = [(n.tag, n.attrs["href"]) for n in doc.iter() if n.tag in ("a", "link")]
        targets += [(n.tag, n.attrs["src"]) for n in doc.iter() if "src" in n.attrs]
        for tag, ref in targets:
            url = urlsplit(ref)
            if url.scheme in ("http", "https"):
                continue
            assert not url.scheme and not url.netloc and not ref.startswith("/"), ref
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            assert target.is_file(), f"{page.name}: <{tag}> {ref} -> missing {target}"
            if url.fragment:
                ids = {n.attrs["id"] for n in parse(target).iter() if "id" in n.attrs}
                assert url.fragment in ids, f"{page.name}: {ref} has no #{url.fragment}"
            checked += 1
    assert checked > 40


def test_paper_card_shows_everything_a_reader_triages_with(site: Path) -> None:
    c = card(site, DAY3, "2606.00100")
    title = c.find("h2").find("a")
    assert title.text() == "CycleDiff: Unpaired Image-to-Image Translation"
    assert title.attrs["href"] == "https://arxiv.org/abs/2606.00100"
    assert c.find("span", "badge").text() == "new"
    assert "cs.CV" in c.text() and "cs.LG" in c.text()
    assert "Author 01" in c.find("div", "authors").text()
    assert "$\\alpha$-blending" in c.find("section", "abstract").text()
    links = {a.text(): a.attrs["href"] for a in c.find("ul", "paper-links").find_all("a")}
    assert links == {
        "Abstract": "https://arxiv.org/abs/2606.00100",
        "PDF": "https://arxiv.org/pdf/2606.00100v1",
        "HTML": "https://arxiv.org/html/2606.00100v1",
        "Code": "https://github.com/a/cyclediff",
        "Project page": "https://a.github.io/cyclediff/",
        "Cool Papers": "https://papers.cool/arxiv/2606.00100",
    }
    comment = c.find("div", "comment")
    assert "12 pages" in comment.text()
    assert "MICCAI 2026" in comment.find("mark").text()
    why = c.find("p", "why").text()
    assert "title matches 'image-to-image'" in why and "0.87" in why


def test_badges_tell_new_revised_and_cross_list_apart(site: Path) -> None:
    assert card(site, DAY3, "2606.00200").find("span", "badge").text() == "revised v3"
    assert card(site, DAY2, "hep-th-9901001").find("span", "badge").text() == "cross-list"
    toc = parse(site / "i2i" / f"{DAY3}.html").find("nav", "toc")
    assert [b.text() for b in toc.find_all("span", "badge")] == ["new", "revised v3"]


def test_long_author_lists_fold_but_stay_complete(site: Path) -> None:
    authors = card(site, DAY3, "2606.00100").find("div", "authors")
    folded = authors.find("details")
    assert "open" not in folded.attrs
    assert folded.find("summary").text() == "and 30 more"
    assert "Author 10" in authors.text() and "Author 11" in folded.text()
    assert all(name in authors.text() for name in MANY_AUTHORS)
    assert not card(site, DAY3, "2606.00200").find_all("details", "more-authors")


def test_writeup_shows_summary_numbered_takeaways_and_translation_in_its_language(
    site: Path,
) -> None:
    c = card(site, DAY3, "2606.00100")
    writeup = c.find("section", "writeup")
    assert writeup.attrs["lang"] == "zh-CN"
    assert [h.text() for h in writeup.find_all("h3")] == ["Summary", "Key Takeaways"]
    assert "本文提出一种图像翻译方法。" in writeup.text()
    assert [li.text() for li in writeup.find("ol").find_all("li")] == [
        "第一点。",
        "第二点。",
        "第三点。",
    ]
    translation = c.find("section", "translation")
    assert translation.attrs["lang"] == "zh-CN"
    assert "我们在不同域之间翻译图像。" in translation.text()
    assert not c.find_all("p", "llm-note")


def test_without_writeups_the_llm_note_stands_in_once_per_card(tmp_path: Path) -> None:
    digests = sample_digests()
    digests = [
        dataclasses.replace(
            d, entries=tuple(dataclasses.replace(e, writeup=None) for e in d.entries)
        )
        for d in digests
    ]
    build(tmp_path, digests, note=NOTE)
    doc = parse(tmp_path / "i2i" / f"{DAY3}.html")
    assert NOTE in doc.find("div", "page-head").text()
    assert "machine-generated" not in doc.find("div", "page-head").text()
    for c in doc.find_all("article"):
        assert [p.text() for p in c.find_all("p", "llm-note")] == [NOTE]
        assert not c.find_all("h3") or all(
            h.text() not in ("Summary", "Key Takeaways") and not h.text().startswith("Translation")
            for h in c.find_all("h3")
        )


def test_with_writeups_the_page_warns_they_are_machine_generated(site: Path) -> None:
    head = parse(site / "i2i" / f"{DAY3}.html").find("div", "page-head")
    assert "machine-generated" in head.text() and "triage" in head.text()
    # A paper still waiting for its write-up says so instead of showing empty headings.
    pending = card(site, DAY3, "2606.00200")
    assert pending.find("p", "llm-note").text() == "No LLM write-up for this paper yet."


def test_figures_are_folded_with_captions_or_their_absence_is_said(site: Path) -> None:
    figures = card(site, DAY3, "2606.00100").find("details", "figures")
    assert "open" not in figures.attrs
    assert figures.find("summary").text() == "Show figures (2)"
    imgs = figures.find_all("img")
    assert [i.attrs["src"] for i in imgs] == [
        "../figures/2606.00100v1/fig1.png",
        "../figures/2606.00100v1/fig2.png",
    ]
    assert all(i.attrs["loading"] == "lazy" and i.attrs["alt"] for i in imgs)
    captions = [f.text() for f in figures.find_all("figcaption")]
    assert captions == ["Figure 1. Caption 1 of 2606.00100.", "Figure 2. Caption 2 of 2606.00100."]
    other = card(site, DAY3, "2606.00200")
    assert not other.find_all("details", "figures")
    assert other.find("p", "no-figures").text() == "No figures extracted yet."


def test_hostile_paper_text_stays_text_and_keeps_the_layout(tmp_path: Path) -> None:
    bad = entry(
        "2606.66666",
        DAY3,
        f"Title {HOSTILE}",
        authors=(f"Mallory {HOSTILE}",),
        abstract=f"Abstract {HOSTILE}",
        comment=f"Accepted by CVPR 2026 {HOSTILE}",
        venue="CVPR 2026",
        reason=f"reason {HOSTILE}",
        writeup=True,
        figures=1,
    )
    hostile_writeup = Writeup(
        "2606.66666",
        1,
        "zh-CN",
        "m",
        "1",
        translation=HOSTILE,
        summary=HOSTILE,
        takeaways=(HOSTILE,),
    )
    bad = dataclasses.replace(
        bad,
        writeup=hostile_writeup,
        figures=(dataclasses.replace(bad.figures[0], caption=HOSTILE),),
    )
    good = entry("2606.00200", DAY3, "A plain neighbour")
    digests = [digest(I2I, DAY3, bad, good)]
    build(tmp_path, digests)
    for page in pages(tmp_path):
        doc = parse(page)  # balanced: every end tag closes the element it should
        for script in doc.find_all("script"):  # only the site's own files, nothing inline
            assert "/static/" in "/" + script.attrs["src"] and not script.children, page
    day = parse(tmp_path / "i2i" / f"{DAY3}.html")
    assert len(day.find_all("article")) == 2
    assert len(day.find_all("details")) == 1  # the figures of the hostile paper, nothing else
    assert not any("open" in d.attrs for d in day.find_all("details"))
    c = day.by_id("2606.66666")
    assert c.find("h2").text() == f"Title {HOSTILE}"
    assert HOSTILE in c.find("section", "abstract").text()
    assert HOSTILE in c.find("figcaption").text()
    assert [n.tag for n in c.find_all("mark")] == ["mark"]
    index = parse(tmp_path / "index.html")
    assert f"Title {HOSTILE}" in index.find("ol", "title-list").text()


def test_papers_just_below_the_bar_are_folded_under_the_day_with_their_reason(
    tmp_path: Path,
) -> None:
    def near(arxiv_id: str, title: str, score: float, reason: str) -> DigestEntry:
        e = entry(arxiv_id, DAY3, title, reason=reason)
        missed = dataclasses.replace(e.match, selected=False, score=score)
        return dataclasses.replace(e, match=missed)

    chosen = entry("2606.00100", DAY3, "CycleDiff: Unpaired Image-to-Image Translation")
    missed = (
        near("2606.00300", "Sketch colorization", 0.46, "0.66 close to the topic"),
        dataclasses.replace(
            near("2606.00400", f"Title {HOSTILE}", 0.31, f"reason {HOSTILE}"), rating=True
        ),
    )
    pages_ = [dataclasses.replace(digest(I2I, DAY3, chosen), near_misses=missed)]
    build(tmp_path, pages_)
    day = parse(tmp_path / "i2i" / f"{DAY3}.html")
    assert "1 paper ·" in day.find("p", "day-line").text()  # the day's count is what it selected
    assert [a.text() for a in day.find("nav", "toc").find_all("a")] == [chosen.paper.title]
    section = day.find("section", "near-misses")
    fold = section.find("details")
    assert "open" not in fold.attrs  # folded: the selected papers come first
    assert fold.find("summary").text() == "Close to the topic, not selected (2)"
    assert "selects from 0.50" in fold.text()
    cards = section.find_all("article", "near-miss")
    assert [c.find("h3").text() for c in cards] == ["Sketch colorization", f"Title {HOSTILE}"]
    first, second = cards
    assert first.find("a").attrs["href"] == "https://arxiv.org/abs/2606.00300"
    assert first.find("a", "link-pdf").attrs["href"] == "https://arxiv.org/pdf/2606.00300v1"
    assert first.find("p", "why").text() == (
        "Why it was not selected: 0.66 close to the topic (score 0.46)"
    )
    assert HOSTILE in second.find("p", "why").text()  # text, not markup
    # rateable like any selected paper, with the stored rating shown
    assert first.find("div", "rating").attrs["data-rating"] == "2606.00300"
    assert second.find("div", "rating").attrs["data-stored"] == "true"
    assert "data-stored" not in first.find("div", "rating").attrs
    # the site's other pages and feeds list only what was selected
    for page in pages(tmp_path):
        if page.name != f"{DAY3}.html":
            assert "Sketch colorization" not in page.read_text(encoding="utf-8"), page
    assert "Sketch colorization" not in (tmp_path / "static" / "search-index.js").read_text()


def test_nothing_is_loaded_from_another_host(site: Path) -> None:
    allowed = (
        "https://arxiv.org/",
        "https://papers.cool/",
        "https://github.com/a/cyclediff",
        "https://a.github.io/cyclediff/",
    )
    for page in pages(site):
        doc = parse(page)
        for n in doc.iter():
            for attr in ("src", "href", "srcset", "data", "poster"):
                ref = n.attrs.get(attr, "")
                if n.tag != "a" or attr != "href":
                    assert "//" not in ref, f"{page.name}: <{n.tag} {attr}={ref}>"
                elif urlsplit(ref).scheme:
                    assert ref.startswith(allowed), f"{page.name}: link to {ref}"
    css = (site / "static" / "style.css").read_text()
    assert "@import" not in css and "url(" not in css


def test_archive_lists_every_day_newest_first_by_month(site: Path) -> None:
    doc = parse(site / "i2i" / "index.html")
    months = doc.find_all("section", "month")
    assert [m.find("h2").text() for m in months] == ["June 2026", "May 2026"]
    june = [
        (a.attrs["href"], li.text()) for li in months[0].find_all("li") for a in li.find_all("a")
    ]
    assert [href for href, _ in june] == [f"{DAY3}.html", f"{DAY2}.html"]
    assert "2 papers" in june[0][1]
    assert [a.attrs["href"] for a in months[1].find_all("a")] == [f"{DAY1}.html"]
    assert "No papers selected" in parse(site / "3dgs" / "index.html").find("main").text()


def test_day_pages_link_to_the_previous_and_next_day(site: Path) -> None:
    def nav(day: date) -> dict[str, str]:
        bar = parse(site / "i2i" / f"{day}.html").find("nav", "day-nav")
        return {a.attrs.get("rel", "all"): a.attrs["href"] for a in bar.find_all("a")}

    assert nav(DAY1) == {"all": "index.html", "next": f"{DAY2}.html"}
    assert nav(DAY2) == {"prev": f"{DAY1}.html", "all": "index.html", "next": f"{DAY3}.html"}
    assert nav(DAY3) == {"prev": f"{DAY2}.html", "all": "index.html"}


def test_rebuilding_the_same_site_writes_nothing(tmp_path: Path) -> None:
    first = build(tmp_path, sample_digests())
    assert first.unchanged == 0 and first.written > 0
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    again = build(tmp_path, sample_digests())
    assert (again.written, again.unchanged) == (0, first.written)
    assert again.out_dir == tmp_path
    assert stamps == {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}


def test_changing_one_digest_rewrites_only_the_pages_that_show_it(tmp_path: Path) -> None:
    digests = sample_digests()
    build(tmp_path, digests)
    inodes = {p: p.stat().st_ino for p in tmp_path.rglob("*.*") if p.is_file()}
    extra = entry("2606.00300", DAY3, "A late addition")
    digests[-1] = dataclasses.replace(digests[-1], entries=digests[-1].entries + (extra,))
    result = build(tmp_path, digests)
    rewritten = {
        p.relative_to(tmp_path).as_posix() for p, ino in inodes.items() if p.stat().st_ino != ino
    }
    # the search index holds every paper, so it changes with them; so does the day's week
    assert rewritten == {
        "index.html",
        "i2i/index.html",
        f"i2i/{DAY3}.html",
        "i2i/weeks/2026-W25.html",
        "static/search-index.js",
    }
    assert result.written == 5
    assert "A late addition" in parse(tmp_path / "index.html").text()


def test_a_day_without_papers_gets_no_page_and_other_files_are_kept(tmp_path: Path) -> None:
    (tmp_path / "CNAME").write_text("digest.example.org\n")
    (tmp_path / "i2i").mkdir()
    (tmp_path / "i2i" / "notes.html").write_text("<p>mine</p>")
    digests = sample_digests()
    digests[0] = dataclasses.replace(digests[0], entries=())
    build(tmp_path, digests)
    assert not (tmp_path / "i2i" / f"{DAY1}.html").exists()
    assert (tmp_path / "CNAME").read_text() == "digest.example.org\n"
    assert (tmp_path / "i2i" / "notes.html").read_text() == "<p>mine</p>"
    archive = parse(tmp_path / "i2i" / "index.html")
    assert [m.find("h2").text() for m in archive.find_all("section", "month")] == ["June 2026"]


def test_old_style_ids_get_an_anchor_without_a_slash(site: Path) -> None:
    c = card(site, DAY2, "hep-th-9901001")
    assert c.find("h2").find("a").attrs["href"] == "https://arxiv.org/abs/hep-th/9901001"
    toc = parse(site / "i2i" / f"{DAY2}.html").find("nav", "toc")
    assert "#hep-th-9901001" in [a.attrs["href"] for a in toc.find_all("a")]


@pytest.mark.parametrize("slug", ["static", "../up", "a/b", ".hidden", ""])
def test_a_slug_that_cannot_be_a_folder_is_refused(tmp_path: Path, slug: str) -> None:
    site = SiteInfo("papertide", "zh-CN", None, GENERATED)
    with pytest.raises(ValueError, match="slug"):
        build_site(tmp_path, site, [TopicArchive(Topic(slug=slug, name="x"), ())], [])
    assert not any(tmp_path.iterdir())


def test_a_digest_for_a_topic_without_archive_is_refused(tmp_path: Path) -> None:
    site = SiteInfo("papertide", "zh-CN", None, GENERATED)
    with pytest.raises(ValueError, match="3dgs"):
        build_site(
            tmp_path,
            site,
            [TopicArchive(I2I, ())],
            [digest(GS, DAY1, entry("2605.00001", DAY1, "x"))],
        )


def test_a_paper_listed_twice_on_a_day_keeps_ids_unique(tmp_path: Path) -> None:
    twice = entry("2606.00100", DAY3, "Listed twice")
    build(tmp_path, [digest(I2I, DAY3, twice, twice)])
    ids = [
        n.attrs["id"] for n in parse(tmp_path / "i2i" / f"{DAY3}.html").iter() if "id" in n.attrs
    ]
    assert len(ids) == len(set(ids))
    assert {"2606.00100", "2606.00100-2"} <= set(ids)
