"""arXiv's daily announcement feeds (``rss.arxiv.org/rss/cs.CV``, the 2024 format)."""

from __future__ import annotations

import re
from datetime import date
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

from papertide.errors import InputError
from papertide.fetch.limits import check_paper
from papertide.fetch.text import (
    announce_type,
    arxiv_categories,
    clean_abstract,
    clean_line,
    first_doi,
    optional,
    split_authors,
    versioned_id,
)
from papertide.fetch.xmlutil import child, children, local_name, parse_xml, text_of
from papertide.records import Paper

# "arXiv:2411.17700v1 Announce Type: new \nAbstract: This study ..."
_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:)?", re.IGNORECASE
)


def parse_rss(data: bytes, origin: str) -> list[Paper]:
    """Every item of an arXiv RSS feed; arXiv's error feed raises InputError with its message."""
    root = parse_xml(data, origin)
    channel = child(root, "channel")
    if local_name(root) != "rss" or channel is None:
        raise InputError(
            f"{origin}: expected an RSS <rss><channel> feed, found <{local_name(root)}>; "
            "fetch the file from rss.arxiv.org again"
        )
    title = clean_line(text_of(channel, "title") or "")
    if title.lower().startswith("feed error"):
        message = clean_line(text_of(channel, "description") or title).rstrip(".")
        raise InputError(
            f"{origin}: arXiv RSS returned an error: {message}; "
            "correct the archive or category names in the feed URL and fetch again"
        )
    channel_day = _day(text_of(channel, "pubDate"), f"{origin}: channel")
    papers = []
    for number, item in enumerate(children(channel, "item"), start=1):
        where = f"{origin}: item {number}"
        papers.append(check_paper(_paper(item, where, channel_day), where))
    return papers


def _paper(item: Element, where: str, channel_day: date | None) -> Paper:
    description = text_of(item, "description") or ""
    header = _DESCRIPTION.match(description)
    header_id, header_type = (header.group("id"), header.group("type")) if header else (None, "")
    raw_id = text_of(item, "guid") or header_id or text_of(item, "link")
    if raw_id is None:
        raise InputError(f"{where}: the item names no arXiv id; fetch the feed again")
    arxiv_id, version = versioned_id(raw_id, where)
    title = text_of(item, "title")
    if title is None:
        raise InputError(f"{where} ({arxiv_id}): the item has no <title>; fetch the feed again")

    stated_type = text_of(item, "announce_type") or header_type
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=clean_line(title),
        authors=split_authors(text_of(item, "creator") or ""),
        abstract=clean_abstract(description[header.end() :] if header else description),
        categories=arxiv_categories([c.text or "" for c in children(item, "category")]),
        announced=_day(text_of(item, "pubDate"), where) or channel_day,
        journal_ref=optional(text_of(item, "journal_reference")),
        doi=first_doi(text_of(item, "DOI")),
        announce_type=announce_type(stated_type),
    )


def _day(text: str | None, where: str) -> date | None:
    """The calendar date as printed: "Thu, 28 Nov 2024 00:00:00 -0500" -> 2024-11-28."""
    if text is None:
        return None
    try:
        return parsedate_to_datetime(text.strip()).date()
    except (TypeError, ValueError):
        raise InputError(
            f"{where}: pubDate {clean_line(text)!r} is not an RFC 822 date; fetch the feed again"
        ) from None
