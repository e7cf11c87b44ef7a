"""arXiv's OAI-PMH interface (``export.arxiv.org/oai2``), metadataPrefix ``arXivRaw`` or ``arXiv``.

An arXivRaw record lists every version with its submission date and size; the Paper describes
the latest one. The older ``arXiv`` prefix states no versions, so its papers count as v1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
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
    optional,
    split_authors,
    versioned_id,
)
from papertide.fetch.xmlutil import child, children, local_name, parse_xml, text_of
from papertide.records import Paper, parse_version

_ERROR_ADVICE = {
    "badArgument": "correct the request's arguments",
    "badVerb": "use the verb ListRecords or GetRecord",
    "badResumptionToken": "restart the harvest without the resumption token",
    "cannotDisseminateFormat": "harvest with metadataPrefix=arXivRaw",
    "idDoesNotExist": "check the arXiv id",
    "noSetHierarchy": "harvest without a set",
}


@dataclass(frozen=True, slots=True)
class OaiPage:
    """One ListRecords response: its papers and where the list goes on."""

    papers: list[Paper]
    token: str | None  # the resumption token for the next page; None on the last page
    complete_size: int | None  # how many records the whole list holds, when stated
    records: int = 0  # <record>s on the page, deleted ones included
    cursor: int | None = None  # records of the list before this page, when stated


class OaiProtocolError(InputError):
    """An OAI-PMH error response other than ``noRecordsMatch``."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def parse_oai(data: bytes, origin: str) -> list[Paper]:
    """Every record of an OAI-PMH ListRecords or GetRecord response.

    OAI's ``noRecordsMatch`` answer gives no papers; other OAI errors raise InputError.
    Deleted records are skipped.
    """
    return parse_oai_page(data, origin).papers


def parse_oai_page(data: bytes, origin: str) -> OaiPage:
    """``parse_oai`` plus the resumption token and the list size a harvester needs."""
    root = parse_xml(data, origin)
    if local_name(root) != "OAI-PMH":
        raise InputError(
            f"{origin}: expected an OAI-PMH response, found <{local_name(root)}>; "
            "fetch the file from export.arxiv.org/oai2 again"
        )
    errors = children(root, "error")
    if any(error.get("code") == "noRecordsMatch" for error in errors):
        return OaiPage([], None, 0, cursor=0)
    if errors:
        _raise_oai_error(errors[0], origin)
    # An Element with no children is falsy, so look the two verbs up one by one.
    container = child(root, "ListRecords")
    if container is None:
        container = child(root, "GetRecord")
    if container is None:
        raise InputError(
            f"{origin}: this OAI-PMH response holds no records; "
            "harvest with the verb ListRecords or GetRecord"
        )
    papers = []
    records = children(container, "record")
    for number, record in enumerate(records, start=1):
        paper = _paper(record, f"{origin}: record {number}")
        if paper is not None:
            papers.append(paper)
    token_element = child(container, "resumptionToken")
    if token_element is None:
        return OaiPage(papers, None, None, len(records))
    token = (token_element.text or "").strip() or None
    return OaiPage(
        papers,
        token,
        _count(token_element.get("completeListSize")),
        len(records),
        _count(token_element.get("cursor")),
    )


def _count(text: str | None) -> int | None:
    """A count attribute of a resumption token; None when absent or not a number."""
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 12 else None


def _raise_oai_error(error: Element, origin: str) -> None:
    code = error.get("code", "unknown")
    message = clean_line("".join(error.itertext())).rstrip(".")
    advice = _ERROR_ADVICE.get(code, "correct the request")
    raise OaiProtocolError(
        f"{origin}: OAI-PMH error {code}: {message}; {advice} and fetch again", code
    )


def _paper(record: Element, where: str) -> Paper | None:
    header = child(record, "header")
    if header is not None and header.get("status") == "deleted":
        return None
    metadata = child(record, "metadata")
    body = None if metadata is None else next(iter(metadata), None)
    if body is None:
        raise InputError(f"{where}: the record has no <metadata>; fetch the response again")
    if local_name(body) == "arXivRaw":
        return check_paper(_arxiv_raw_paper(body, where), where)
    if local_name(body) == "arXiv":
        return check_paper(_arxiv_paper(body, where), where)
    raise InputError(
        f"{where}: unsupported OAI metadata format <{local_name(body)}>; "
        "harvest with metadataPrefix=arXivRaw"
    )


def _arxiv_raw_paper(raw: Element, where: str) -> Paper:
    arxiv_id, _ = versioned_id(text_of(raw, "id") or "", where)
    where = f"{where} ({arxiv_id})"
    versions = sorted(_version(element, where) for element in children(raw, "version"))
    first = versions[0] if versions else None
    latest = versions[-1] if versions else None
    comment = optional(text_of(raw, "comments"))
    return Paper(
        arxiv_id=arxiv_id,
        version=latest[0] if latest else 1,
        title=_title(raw, where),
        authors=split_authors(text_of(raw, "authors") or ""),
        abstract=clean_abstract(text_of(raw, "abstract") or ""),
        categories=arxiv_categories((text_of(raw, "categories") or "").split()),
        published=first[1] if first else None,
        updated=latest[1] if latest else None,
        comment=comment,
        journal_ref=optional(text_of(raw, "journal-ref")),
        doi=first_doi(text_of(raw, "doi")),
        withdrawn=is_withdrawn_comment(comment) or (latest is not None and latest[2] == "0kb"),
    )


def _version(element: Element, where: str) -> tuple[int, datetime, str]:
    """``(number, submitted, size)`` of one ``<version version="v2">``."""
    label = element.get("version", "")
    stamp = text_of(element, "date") or ""
    try:
        number = parse_version(label)
        submitted = parsedate_to_datetime(stamp.strip())
    except (TypeError, ValueError):
        raise InputError(
            f"{where}: cannot read version {label!r} dated {clean_line(stamp)!r}; "
            "fetch the response again"
        ) from None
    size = clean_line(text_of(element, "size") or "").lower()
    return number, submitted, size


def _arxiv_paper(meta: Element, where: str) -> Paper:
    arxiv_id, _ = versioned_id(text_of(meta, "id") or "", where)
    where = f"{where} ({arxiv_id})"
    authors = child(meta, "authors")
    names = [] if authors is None else [_author_name(author) for author in authors]
    created = _midnight(text_of(meta, "created"), where)
    comment = optional(text_of(meta, "comments"))
    return Paper(
        arxiv_id=arxiv_id,
        version=1,
        title=_title(meta, where),
        authors=tuple(name for name in names if name),
        abstract=clean_abstract(text_of(meta, "abstract") or ""),
        categories=arxiv_categories((text_of(meta, "categories") or "").split()),
        published=created,
        updated=_midnight(text_of(meta, "updated"), where) or created,
        comment=comment,
        journal_ref=optional(text_of(meta, "journal-ref")),
        doi=first_doi(text_of(meta, "doi")),
        withdrawn=is_withdrawn_comment(comment),
    )


def _author_name(author: Element) -> str:
    parts = (text_of(author, part) for part in ("forenames", "keyname", "suffix"))
    return clean_name(" ".join(part for part in parts if part))


def _title(metadata: Element, where: str) -> str:
    title = text_of(metadata, "title")
    if title is None:
        raise InputError(f"{where}: the record has no <title>; fetch the response again")
    return clean_line(title)


def _midnight(text: str | None, where: str) -> datetime | None:
    """A ``YYYY-MM-DD`` day of the ``arXiv`` format, as midnight UTC."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{where}: {text.strip()!r} is not a YYYY-MM-DD date") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
