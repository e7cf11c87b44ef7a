"""Responses of the arXiv query API (``export.arxiv.org/api/query``): an Atom feed of entries."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from papertide.errors import InputError
from papertide.fetch.limits import check_paper
from papertide.fetch.text import (
    arxiv_categories,
    clean_abstract,
    clean_line,
    clean_name,
    first_doi,
    is_withdrawn_comment,
    iso_datetime,
    optional,
    versioned_id,
)
from papertide.fetch.xmlutil import child, children, local_name, parse_xml, text_of
from papertide.records import Paper


@dataclass(frozen=True, slots=True)
class AtomPage:
    """One page of API results and where it sits in the whole result set."""

    papers: list[Paper]
    total: int | None  # opensearch:totalResults
    start: int | None  # opensearch:startIndex


def parse_atom(data: bytes, origin: str) -> list[Paper]:
    """Every paper of an arXiv API feed; an error feed (HTTP 400) raises InputError."""
    return parse_atom_page(data, origin).papers


def parse_atom_page(data: bytes, origin: str) -> AtomPage:
    """``parse_atom`` plus the result-set size and offset a pager needs."""
    root = parse_xml(data, origin)
    if local_name(root) != "feed":
        raise InputError(
            f"{origin}: expected an arXiv API Atom <feed>, found <{local_name(root)}>; "
            "fetch the file from export.arxiv.org/api/query again"
        )
    papers = []
    for number, entry in enumerate(children(root, "entry"), start=1):
        _raise_if_api_error(entry, origin)
        where = f"{origin}: entry {number}"
        papers.append(check_paper(_paper(entry, where), where))
    return AtomPage(papers, _number(root, "totalResults"), _number(root, "startIndex"))


def _number(root: Element, name: str) -> int | None:
    text = (text_of(root, name) or "").strip()
    return int(text) if text.isdigit() else None


def _raise_if_api_error(entry: Element, origin: str) -> None:
    # The API answers a bad request with a feed holding one entry titled "Error" whose id
    # points into https://arxiv.org/api/errors and whose summary says what was wrong.
    entry_id = text_of(entry, "id") or ""
    titled_error = clean_line(text_of(entry, "title") or "") == "Error"
    if "/api/errors" in entry_id or (titled_error and "/abs/" not in entry_id):
        message = clean_line(text_of(entry, "summary") or entry_id).rstrip(".")
        raise InputError(
            f"{origin}: the arXiv API returned an error: {message}; "
            "correct the ids or the query of the request and fetch again"
        )


def _paper(entry: Element, where: str) -> Paper:
    entry_id = text_of(entry, "id")
    if entry_id is None:
        raise InputError(f"{where}: the entry has no <id>; fetch the feed again")
    arxiv_id, version = versioned_id(entry_id, where)
    title = text_of(entry, "title")
    if title is None:
        raise InputError(f"{where} ({arxiv_id}): the entry has no <title>; fetch the feed again")

    primary = child(entry, "primary_category")
    terms = [] if primary is None else [primary.get("term", "")]
    terms += [category.get("term", "") for category in children(entry, "category")]
    comment = optional(text_of(entry, "comment"))
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=clean_line(title),
        authors=tuple(
            name
            for author in children(entry, "author")
            if (name := clean_name(text_of(author, "name") or ""))
        ),
        abstract=clean_abstract(text_of(entry, "summary") or ""),
        categories=arxiv_categories(terms),
        published=iso_datetime(text_of(entry, "published"), where),
        updated=iso_datetime(text_of(entry, "updated"), where),
        comment=comment,
        journal_ref=optional(text_of(entry, "journal_ref")),
        doi=first_doi(text_of(entry, "doi")),
        withdrawn=is_withdrawn_comment(comment),
    )
