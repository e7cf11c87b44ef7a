"""Feeds of the site: RSS 2.0, Atom and JSON Feed 1.1 per topic and one for every topic.

Layout (beside the pages)::

    rss.xml  atom.xml  feed.json             every topic, each paper version once
    <slug>/rss.xml  <slug>/atom.xml  <slug>/feed.json

A feed holds the papers of the newest ``FEED_DAYS`` days that have any. Feed readers need
absolute links, so feeds are written only when ``[site] base_url`` is set; without it the
build says so (see ``FEEDS_OFF``).

Each topic's weekly roll-ups have feeds of their own (``<slug>/weeks/rss.xml`` ...), one item
per closed week (``urn:papertide:<slug>:week:2026-W25``) holding the week's papers by day;
a ``papertide rollup --days N`` page has its feeds beside it, with one item for the window.

Item ids never depend on the base URL or the build time, so moving the site or rebuilding it
never shows a reader an item twice: ``urn:papertide:<slug>:<arXiv id>v<version>`` in a topic's
feed and ``urn:papertide:paper:<arXiv id>v<version>`` in the feed of every topic. A revised
version (v2) is a new item: it is news. Every time in a feed comes from the store (the day
and the selection time), so an unchanged feed is byte-identical and is not rewritten.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]
from jinja2 import Environment

from papertide.publish import views
from papertide.publish.rollup import Rollup, one_line_summary
from papertide.records import Digest, DigestEntry, Topic

FEED_DAYS = 7
FEED_WEEKS = 8  # weekly roll-ups in a topic's weekly feed
# Characters XML 1.0 cannot hold; arXiv text occasionally carries them (form feeds, NULs).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
FEEDS_OFF = "feeds are off: set [site] base_url (the address the site is served from) to write them"
_ITEM_TEMPLATE = Environment(autoescape=True).from_string(
    "<p><strong>Authors:</strong> {{ authors }}</p>"
    "{% if summary %}<p><strong>Summary:</strong> {{ summary }}</p>{% endif %}"
    "<p>{{ abstract }}</p>"
    "{% if comment %}<p><strong>Comment:</strong> {{ comment }}</p>{% endif %}"
    '<p>{% for label, url in links %}<a href="{{ url }}">{{ label }}</a>'
    "{% if not loop.last %} · {% endif %}{% endfor %}</p>"
    "<p><em>Why it matched:</em> {{ reason }}</p>"
)

_ROLLUP_TEMPLATE = Environment(autoescape=True).from_string(
    "{% for day, items in days %}<h3>{{ day }}</h3><ol>"
    '{% for title, url, line, abs_url in items %}<li><a href="{{ url }}">{{ title }}</a>'
    ' (<a href="{{ abs_url }}">arXiv</a>){% if line %}<br>{{ line }}{% endif %}</li>'
    "{% endfor %}</ol>{% endfor %}"
)


@dataclass(frozen=True)
class FeedItem:
    ident: str
    title: str
    url: str  # absolute permalink: the card on its day page
    day: date
    updated: datetime
    authors: tuple[str, ...]
    summary: str  # plain text: the LLM summary, else the abstract (escaped where HTML is read)
    content_html: str
    tags: tuple[str, ...]


def feed_files(
    base_url: str, site_title: str, topics: Sequence[Topic], digests: Sequence[Digest]
) -> dict[str, bytes]:
    """Every feed of the site as ``{relative path: content}``; ``base_url`` ends with "/"."""
    files: dict[str, bytes] = {}
    by_topic: dict[str, list[Digest]] = {t.slug: [] for t in topics}
    for digest in digests:
        if digest.entries and digest.topic.slug in by_topic:
            by_topic[digest.topic.slug].append(digest)
    everything: dict[str, FeedItem] = {}
    for topic in topics:
        recent = sorted(by_topic[topic.slug], key=lambda d: d.day, reverse=True)[:FEED_DAYS]
        items = [
            _item(base_url, topic, d.day, e, f"urn:papertide:{topic.slug}:")
            for d in recent
            for e in d.entries
        ]
        title = f"{topic.name} · {site_title}"
        page = f"{base_url}{topic.slug}/index.html"
        files.update(_three(f"{topic.slug}/", base_url, title, topic.description, page, items))
        for d in recent:
            for e in d.entries:
                item = _item(base_url, topic, d.day, e, "urn:papertide:paper:")
                earlier = everything.get(item.ident)
                if earlier is None:
                    everything[item.ident] = item
                else:  # one paper version in several topics: one item, tagged with each
                    tags = earlier.tags + tuple(t for t in item.tags if t not in earlier.tags)
                    everything[item.ident] = _with_tags(earlier, tags)
    newest_days = sorted({i.day for i in everything.values()}, reverse=True)[:FEED_DAYS]
    items = [i for i in everything.values() if i.day in newest_days]
    items.sort(key=lambda i: (i.day, i.updated), reverse=True)
    description = "Daily arXiv digests: " + ", ".join(t.name for t in topics)
    files.update(_three("", base_url, site_title, description, f"{base_url}index.html", items))
    return files


def rollup_feed_files(
    base_url: str, site_title: str, latest: Rollup, rollups: Sequence[Rollup]
) -> dict[str, bytes]:
    """The feeds of one kind of roll-up of one topic (its weeks, or one rolling window), in
    ``latest``'s folder: one item per roll-up given, newest first (none yet is an empty
    feed, so the pages' feed links always work)."""
    newest = sorted(rollups, key=lambda r: r.start, reverse=True)[:FEED_WEEKS]
    items = [_rollup_item(base_url, r) for r in newest]
    weekly = latest.kind == "week"
    which = "weekly roll-ups" if weekly else latest.label.lower()
    title = f"{latest.topic.name} · {which} · {site_title}"
    period = "week" if weekly else "period"
    description = f"{latest.topic.name}: the papers of each {period}, by day, best first"
    page = f"{base_url}{latest.path}"
    return _three(latest.folder, base_url, title, description, page, items)


def _rollup_item(base_url: str, rollup: Rollup) -> FeedItem:
    days = []
    for digest in rollup.days:
        page = f"{base_url}{rollup.topic.slug}/{views.day_file(digest.day)}"
        days.append(
            (
                views.long_day(digest.day),
                [
                    (
                        views.one_line(e.paper.title),
                        f"{page}#{views.paper_anchor(e.paper.arxiv_id)}",
                        one_line_summary(e),
                        e.links.abs_url,
                    )
                    for e in digest.entries
                ],
            )
        )
    which = (
        f"week:{views.week_name(rollup.start)}"
        if rollup.kind == "week"
        else f"{rollup.kind}:{rollup.end}"
    )
    n = rollup.count
    return FeedItem(
        ident=f"urn:papertide:{rollup.topic.slug}:{which}",
        title=_clean(f"{rollup.topic.name} · {rollup.label} ({rollup.span}) · {_papers(n)}"),
        url=f"{base_url}{rollup.path}",
        day=rollup.end,
        updated=max(_aware(rollup.updated), datetime.combine(rollup.end, time(0, 0), tzinfo=UTC)),
        authors=(),
        summary=_clean(
            "; ".join(views.one_line(e.paper.title) for d in rollup.days for e in d.entries)
        ),
        content_html=_clean(_ROLLUP_TEMPLATE.render(days=days)),
        tags=(_clean(rollup.topic.name),),
    )


def _papers(n: int) -> str:
    return f"{n} {'paper' if n == 1 else 'papers'}"


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _with_tags(item: FeedItem, tags: tuple[str, ...]) -> FeedItem:
    return FeedItem(**{**item.__dict__, "tags": tags})


def _item(base_url: str, topic: Topic, day: date, entry: DigestEntry, prefix: str) -> FeedItem:
    paper, links = entry.paper, entry.links
    anchor = views.paper_anchor(paper.arxiv_id)
    url = f"{base_url}{topic.slug}/{views.day_file(day)}#{anchor}"
    summary = entry.writeup.summary if entry.writeup else ""
    abstract = " ".join(paper.abstract.split())
    link_list = [("Abstract", links.abs_url), ("PDF", links.pdf_url), ("HTML", links.html_url)]
    link_list += [("Code", u) for u in links.code_urls]
    link_list += [("Project page", u) for u in links.project_urls]
    link_list.append(("Cool Papers", links.cool_papers_url))
    content = _ITEM_TEMPLATE.render(
        authors=", ".join(paper.authors),
        summary=summary,
        abstract=abstract,
        comment=" ".join((paper.comment or "").split()),
        links=link_list,
        reason=entry.match.reason,
    )
    start_of_day = datetime.combine(day, time(0, 0), tzinfo=UTC)
    updated = entry.match.decided_at or start_of_day
    if updated.tzinfo is None:
        updated = updated.replace(tzinfo=UTC)
    return FeedItem(
        ident=f"{prefix}{paper.versioned_id}",
        title=_clean(views.one_line(paper.title)),
        url=url,
        day=day,
        updated=max(updated, start_of_day),
        authors=tuple(_clean(a) for a in paper.authors),
        summary=_clean(summary or abstract),
        content_html=_clean(content),
        tags=(_clean(topic.name),),
    )


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _three(
    folder: str, base_url: str, title: str, description: str, page: str, items: list[FeedItem]
) -> dict[str, bytes]:
    """The RSS, Atom and JSON Feed files of one feed, under ``folder`` ("" or "<slug>/")."""
    newest = max((i.updated for i in items), default=datetime(1970, 1, 1, tzinfo=UTC))
    fg = FeedGenerator()
    fg.id(f"{base_url}{folder}atom.xml")
    title, description = _clean(title), _clean(description)
    fg.title(title)
    fg.subtitle(description or title)
    fg.link(href=page, rel="alternate")
    fg.link(href=f"{base_url}{folder}atom.xml", rel="self")
    fg.language("en")
    fg.generator("papertide")
    fg.updated(newest)
    for item in reversed(items):  # feedgen prepends: add oldest first to keep newest on top
        fe = fg.add_entry()
        fe.id(item.ident)
        fe.guid(item.ident, permalink=False)
        fe.title(item.title)
        fe.link(href=item.url)
        fe.updated(item.updated)
        fe.published(datetime.combine(item.day, time(0, 0), tzinfo=UTC))
        # RSS readers take <description> as HTML; Atom's <summary> is declared plain text.
        fe.summary(item.summary)
        fe.description(html.escape(item.summary, quote=False))
        fe.content(item.content_html, type="html")
        for name in item.authors[:20]:
            fe.author(name=name)
        for tag in item.tags:
            fe.category(term=tag)
    json_feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": page,
        "feed_url": f"{base_url}{folder}feed.json",
        "description": description or title,
        "items": [
            {
                "id": i.ident,
                "url": i.url,
                "title": i.title,
                "content_html": i.content_html,
                "summary": i.summary,
                "date_published": datetime.combine(i.day, time(0, 0), tzinfo=UTC).isoformat(),
                "date_modified": i.updated.isoformat(),
                "authors": [{"name": a} for a in i.authors[:20]],
                "tags": list(i.tags),
            }
            for i in items
        ],
    }
    return {
        f"{folder}rss.xml": fg.rss_str(pretty=True),
        f"{folder}atom.xml": fg.atom_str(pretty=True),
        f"{folder}feed.json": json.dumps(json_feed, ensure_ascii=False, indent=1).encode("utf-8")
        + b"\n",
    }
