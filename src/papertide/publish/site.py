"""Publish digests as a static website: an index, per-topic day pages and archives.

The site uses relative links only, so the folder works from ``file://``, under a sub-path of
GitHub Pages, or behind any web server, and it loads nothing from another host.

Layout::

    index.html                 every topic's latest day
    search.html                search over every day (index: static/search-index.js)
    <slug>/index.html          a topic's archive: every day with its count, by month
    <slug>/<YYYY-MM-DD>.html   a topic's day page: one card per paper
    <slug>/weeks/<YYYY-Www>.html   a topic's weekly roll-up: the week's papers by day
    <slug>/weeks/rss.xml ...   the weekly roll-ups' feeds, one item per closed week
    rss.xml atom.xml feed.json, <slug>/rss.xml ...   feeds (with ``base_url``, see feeds.py)
    static/                    style, scripts, KaTeX (vendored: static/katex/README.md)

Builds are incremental: each file is rendered in memory and written (atomically) only when its
bytes differ from the file on disk. The search index and the feeds are built from the digests
given, so a build meant to keep them complete is given every digest (as the pipeline does).
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jinja2

from papertide.publish import views
from papertide.publish.feeds import FEEDS_OFF, feed_files, rollup_feed_files
from papertide.publish.rollup import ROLLUP_ROOT, Rollup, closed, one_line_summary, weekly
from papertide.publish.search import search_index
from papertide.records import Digest, Topic


@dataclass(frozen=True)
class SiteInfo:
    """What every page needs to know about the site as a whole."""

    title: str  # site title, e.g. "papertide"
    language: str  # BCP-47 language of translations and summaries, e.g. "zh-CN"
    llm_note: str | None  # when set, LLM write-ups are off and this says why
    generated: datetime  # build time, shown on the index as the update time
    base_url: str = ""  # absolute address of the site, ending in "/"; "" when unknown


@dataclass(frozen=True)
class TopicArchive:
    """A topic and every day with selected papers (newest first) with the paper count."""

    topic: Topic
    days: tuple[tuple[date, int], ...]


@dataclass(frozen=True)
class BuildResult:
    written: int  # files whose content changed, or that are new
    unchanged: int  # files already identical on disk, left untouched
    out_dir: Path
    removed: int = 0  # pages of an earlier build that no longer exist (prune=True)
    notes: tuple[str, ...] = ()  # what the build left out and how to turn it on


MANIFEST = ".papertide-files"


def build_site(
    out_dir: Path,
    site: SiteInfo,
    archives: Sequence[TopicArchive],
    digests: Iterable[Digest],
    prune: bool = False,
) -> BuildResult:
    """Render the site into ``out_dir``, writing only the files whose content changed.

    ``archives`` gives the topics in index order and every day each one has; ``digests`` may
    be all of them or only those to (re)render: a digest with no entries renders no page.
    Raises ValueError for a digest of a topic not in ``archives``, two digests for one
    topic and day, or a topic slug that cannot name a folder.

    With ``prune`` (for a build given every digest), files that an earlier build wrote and
    this one does not are deleted, so a page whose papers are all gone does not linger;
    files papertide did not write are never touched.
    """
    files = render_site(site, archives, digests)
    written = unchanged = removed = 0
    for rel, data in files.items():
        if write_if_changed(out_dir / rel, data):
            written += 1
        else:
            unchanged += 1
    manifest = out_dir / MANIFEST
    lines = manifest.read_text(encoding="utf-8").splitlines() if manifest.is_file() else []
    earlier = {rel for rel in lines if _inside(out_dir, rel)}
    listed = set(files)
    if prune:
        for rel in sorted(earlier - listed):
            stale = out_dir / rel
            if stale.is_file() or stale.is_symlink():
                stale.unlink()
                removed += 1
    else:
        listed |= earlier
    write_if_changed(manifest, "".join(f"{rel}\n" for rel in sorted(listed)).encode("utf-8"))
    notes = () if site.base_url else (FEEDS_OFF,)
    return BuildResult(
        written=written, unchanged=unchanged, out_dir=out_dir, removed=removed, notes=notes
    )


def _inside(out_dir: Path, rel: str) -> bool:
    """Whether a manifest line names a file papertide may remove: a relative path without
    ``..`` whose folders resolve inside ``out_dir`` (a line edited to an absolute path, or a
    folder that became a symlink to elsewhere, is ignored). A symlink in the last place is
    removed itself, never what it points to."""
    path = Path(rel)
    if not rel.strip() or path.is_absolute() or ".." in path.parts or rel == MANIFEST:
        return False
    root = out_dir.resolve()
    return (out_dir / path).parent.resolve().is_relative_to(root)


def render_site(
    site: SiteInfo, archives: Sequence[TopicArchive], digests: Iterable[Digest]
) -> dict[str, bytes]:
    """Every file of the site as ``{relative path: content}``, without touching the disk."""
    digests = list(digests)
    topics = _Topics(archives, digests)
    env = _environment()
    files: dict[str, bytes] = {}
    weeks = weekly(digests)
    weeks_of: dict[str, list[Rollup]] = {a.topic.slug: [] for a in archives}
    for week in weeks:
        weeks_of[week.topic.slug].append(week)

    def render(rel: str, template: str, root: str, **context: Any) -> None:
        html = env.get_template(template).render(site=site, root=root, **context)
        files[rel] = html.encode("utf-8")

    render(
        "index.html",
        "index.html",
        "",
        generated=views.Moment.of(site.generated),
        sections=[topics.index_section(a.topic) for a in archives],
    )
    for archive in archives:
        topic = archive.topic
        render(
            f"{topic.slug}/index.html",
            "archive.html",
            "../",
            topic=topic,
            months=topics.months(topic.slug),
            weeks=topics.weeks(topic.slug),
            total=sum(topics.days[topic.slug].values()),
            day_count=len(topics.days[topic.slug]),
        )
        for digest in topics.digests[topic.slug].values():
            if not digest.entries:
                continue
            older, newer = topics.neighbours(topic.slug, digest.day)
            render(
                f"{topic.slug}/{views.day_file(digest.day)}",
                "day.html",
                "../",
                topic=topic,
                day=digest.day,
                long_day=views.long_day(digest.day),
                updated=views.Moment.of(digest.updated),
                cards=views.cards(digest.entries, site.language, "../"),
                near=views.cards(digest.near_misses, site.language, "../"),
                older=older,
                newer=newer,
                week=views.week_link(digest.day),
            )
        files.update(rollup_pages(site, weeks_of[topic.slug]))
        if site.base_url and weeks_of[topic.slug]:
            finished = closed(weeks_of[topic.slug], digests)
            latest = weeks_of[topic.slug][-1]
            files.update(rollup_feed_files(site.base_url, site.title, latest, finished))
    render("search.html", "search.html", "")
    topic_list = [a.topic for a in archives]
    files["static/search-index.js"] = search_index(topic_list, digests)
    if site.base_url:
        files.update(feed_files(site.base_url, site.title, topic_list, digests))
    files.update(_static_files_at("static/"))
    return files


def build_rollups(out_dir: Path, site: SiteInfo, rollups: Sequence[Rollup]) -> BuildResult:
    """Write roll-ups of their own (``papertide rollup --days N``) into a built site: each
    page, and its feeds with ``base_url``. They are not part of the site's build, so a later
    build neither rewrites nor removes them; running the command again refreshes them."""
    files = dict(_static_files_at("static/"))
    for rollup in rollups:
        files.update(rollup_pages(site, [rollup]))
        if site.base_url:
            files.update(rollup_feed_files(site.base_url, site.title, rollup, [rollup]))
    written = sum(write_if_changed(out_dir / rel, data) for rel, data in files.items())
    notes = () if site.base_url else (FEEDS_OFF,)
    return BuildResult(written, len(files) - written, out_dir, notes=notes)


def rollup_pages(site: SiteInfo, rollups: Sequence[Rollup]) -> dict[str, bytes]:
    """The pages of one topic's roll-ups (oldest first), each linking its neighbours."""
    files: dict[str, bytes] = {}
    for i, rollup in enumerate(rollups):
        entries = [e for d in rollup.days for e in d.entries]
        cards = iter(views.cards(entries, site.language, ROLLUP_ROOT))
        groups = [
            (d.day, [(next(cards), one_line_summary(e)) for e in d.entries]) for d in rollup.days
        ]
        html = template("rollup.html").render(
            site=site,
            root=ROLLUP_ROOT,
            rollup=rollup,
            topic=rollup.topic,
            groups=groups,
            updated=views.Moment.of(rollup.updated),
            older=rollups[i - 1] if i > 0 else None,
            newer=rollups[i + 1] if i + 1 < len(rollups) else None,
        )
        files[rollup.path] = html.encode("utf-8")
    return files


class _Topics:
    """The days and digests of every topic, checked and indexed for rendering."""

    def __init__(self, archives: Sequence[TopicArchive], digests: Iterable[Digest]) -> None:
        self.days: dict[str, dict[date, int]] = {}
        self.digests: dict[str, dict[date, Digest]] = {}
        for archive in archives:
            slug = archive.topic.slug
            views.check_slug(slug)
            if slug in self.days:
                raise ValueError(f"topic {slug!r} appears twice in the archives")
            self.days[slug] = {day: n for day, n in archive.days if n > 0}
            self.digests[slug] = {}
        for digest in digests:
            slug = digest.topic.slug
            if slug not in self.digests:
                raise ValueError(
                    f"digest for {digest.day} names topic {slug!r}, which has no archive"
                )
            if digest.day in self.digests[slug]:
                raise ValueError(f"two digests for topic {slug!r} on {digest.day}")
            self.digests[slug][digest.day] = digest
            # A digest in hand is fresher than the archive's count; an empty one has no page.
            if digest.entries:
                self.days[slug][digest.day] = len(digest.entries)
            else:
                self.days[slug].pop(digest.day, None)

    def newest_first(self, slug: str) -> list[date]:
        return sorted(self.days[slug], reverse=True)

    def neighbours(self, slug: str, day: date) -> tuple[date | None, date | None]:
        """The nearest older and newer days of the topic that have a page."""
        days = sorted(self.days[slug])
        older = max((d for d in days if d < day), default=None)
        newer = min((d for d in days if d > day), default=None)
        return older, newer

    def months(self, slug: str) -> list[tuple[str, list[tuple[date, int]]]]:
        months: dict[tuple[int, int], list[tuple[date, int]]] = {}
        for day in self.newest_first(slug):
            months.setdefault((day.year, day.month), []).append((day, self.days[slug][day]))
        return [(views.month_label(y, m), days) for (y, m), days in months.items()]

    def weeks(self, slug: str) -> list[tuple[views.WeekLink, int]]:
        """The topic's weeks with papers, newest first, with their counts."""
        weeks: dict[views.WeekLink, int] = {}
        for day in self.newest_first(slug):
            link = views.week_link(day)
            weeks[link] = weeks.get(link, 0) + self.days[slug][day]
        return list(weeks.items())

    def index_section(self, topic: Topic) -> _IndexSection:
        days = self.newest_first(topic.slug)
        latest = days[0] if days else None
        digest = self.digests[topic.slug].get(latest) if latest else None
        items = [
            (views.paper_anchor(e.paper.arxiv_id), views.one_line(e.paper.title))
            for e in (digest.entries if digest else ())
        ]
        return _IndexSection(
            topic=topic,
            latest=latest,
            count=self.days[topic.slug][latest] if latest else 0,
            papers=items,
            day_count=len(days),
        )


@dataclass(frozen=True)
class _IndexSection:
    """A topic on the index: its latest day, with the titles when that digest is at hand."""

    topic: Topic
    latest: date | None
    count: int
    papers: list[tuple[str, str]]  # (anchor, title)
    day_count: int


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("papertide.publish", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["day_file"] = views.day_file
    env.filters["long_day"] = views.long_day
    return env


@functools.cache
def template(name: str) -> jinja2.Template:
    """A template of the package (HTML ones autoescaped), for the other publishers."""
    return _environment().get_template(name)


def _static_files_at(prefix: str) -> Iterator[tuple[str, bytes]]:
    for name, data in _static_files():
        yield f"{prefix}{name}", data


@functools.cache
def _static_files() -> tuple[tuple[str, bytes], ...]:
    """The package's static files (KaTeX in a subfolder) as (path below static/, bytes)."""
    found: list[tuple[str, bytes]] = []

    def walk(folder: Traversable, prefix: str) -> None:
        for item in folder.iterdir():
            if item.name.startswith(".") or item.name == "__pycache__":
                continue
            if item.is_dir():
                walk(item, f"{prefix}{item.name}/")
            elif item.is_file():
                found.append((prefix + item.name, item.read_bytes()))

    walk(resources.files("papertide.publish").joinpath("static"), "")
    return tuple(sorted(found))


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly that; True when written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
