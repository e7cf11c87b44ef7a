"""JSON Lines exports: one paper per line.

Reads papertide's bulk exports (``id``, ``announced``, ``categories``, ``title``, ``authors``,
``summary``, ``comment``, ``abs``, ``pdf``) and also the field names of arXiv's metadata
snapshot (``abstract``, ``comments``, ``journal-ref``, ``versions``, authors as one string).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import IO, Any

from papertide.errors import InputError
from papertide.fetch.limits import MAX_LINE_BYTES, check_paper
from papertide.fetch.text import (
    announce_type,
    arxiv_categories,
    aware,
    clean_abstract,
    clean_line,
    clean_name,
    first_doi,
    is_withdrawn_comment,
    iso_datetime,
    optional,
    split_authors,
    versioned_id,
)
from papertide.records import Paper, parse_version, split_arxiv_id


def read_lines(file: IO[bytes], origin: str) -> Iterator[bytes]:
    """The lines of a binary file, each read with a bounded buffer: a line longer than
    ``MAX_LINE_BYTES`` is refused before it is held in memory whole."""
    number = 0
    while line := file.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise _too_long(f"{origin}: line {number}")
        yield line


def parse_jsonl(lines: Iterable[str | bytes], origin: str) -> Iterator[Paper]:
    """Yield one Paper per non-blank line; InputError names the line of any bad record.

    A UTF-8 byte-order mark before the first line (as Windows editors write) is skipped."""
    for number, line in enumerate(lines, start=1):
        where = f"{origin}: line {number}"
        if isinstance(line, bytes):
            if len(line) > MAX_LINE_BYTES:
                raise _too_long(where)
            try:
                line = line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise InputError(f"{where}: not UTF-8 text; export the file again") from None
        elif number == 1:
            line = line.removeprefix("\ufeff")
        if len(line) > MAX_LINE_BYTES:
            raise _too_long(where)
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            reason = error.msg.removesuffix(" at")
            raise InputError(
                f"{where}: invalid JSON ({reason} at column {error.colno}); "
                "the file is damaged or incomplete — export it again"
            ) from None
        except RecursionError:
            raise InputError(
                f"{where}: JSON nested too deeply to be a paper record; "
                "the file is damaged or not a papertide/arXiv export"
            ) from None
        if not isinstance(record, dict):
            raise InputError(
                f"{where}: expected one JSON object per line, found {type(record).__name__}"
            )
        yield check_paper(parse_record(record, where), where)


def _too_long(where: str) -> InputError:
    return InputError(
        f"{where}: longer than {MAX_LINE_BYTES // 1024:,} KiB, the most papertide reads as one "
        "record; the file is damaged or not one paper per line"
    )


def parse_record(record: dict[str, Any], where: str) -> Paper:
    """One paper from one decoded JSON object."""
    raw_id, title = _required(record, "id", where), _required(record, "title", where)
    versions = _versions(record, where)
    unstated = _link_version(record) or (versions[-1][0] if versions else 1)
    arxiv_id, version = versioned_id(raw_id, where, default=unstated)
    comment = optional(_text(record, "comment", where) or _text(record, "comments", where))
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=clean_line(title),
        authors=_parsed_authors(record.get("authors_parsed"))
        or _authors(record.get("authors"), where),
        abstract=clean_abstract(
            _text(record, "summary", where) or _text(record, "abstract", where) or ""
        ),
        categories=_categories(record.get("categories"), where),
        announced=_announced(_text(record, "announced", where), where),
        published=iso_datetime(_text(record, "published", where), where)
        or (versions[0][1] if versions else None),
        updated=iso_datetime(_text(record, "updated", where), where)
        or (versions[-1][1] if versions else None),
        comment=comment,
        journal_ref=optional(
            _text(record, "journal_ref", where) or _text(record, "journal-ref", where)
        ),
        doi=first_doi(_text(record, "doi", where)),
        announce_type=announce_type(_text(record, "announce_type", where)),
        withdrawn=is_withdrawn_comment(comment),
    )


def _required(record: dict[str, Any], key: str, where: str) -> str:
    value = _text(record, key, where)
    if value is None or not value.strip():
        raise InputError(f"{where}: record has no {key!r}; every line needs 'id' and 'title'")
    return value


def _text(record: dict[str, Any], key: str, where: str) -> str | None:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InputError(f"{where}: {key!r} must be a string, not {type(value).__name__}")


def _link_version(record: dict[str, Any]) -> int:
    """The version an ``abs`` or ``pdf`` link states, or 0."""
    for key in ("abs", "pdf"):
        link = record.get(key)
        if isinstance(link, str):
            try:
                version = split_arxiv_id(link)[1]
            except ValueError:
                continue
            if version:
                return version
    return 0


def _versions(record: dict[str, Any], where: str) -> list[tuple[int, datetime]]:
    """``versions: [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}, ...]``."""
    versions = record.get("versions")
    if not isinstance(versions, list):
        return []
    found = []
    for entry in versions:
        try:
            number = parse_version(str(entry["version"]))
            found.append((number, aware(parsedate_to_datetime(entry["created"]))))
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{where}: cannot read the version entry {entry!r}") from None
    return sorted(found)


def _authors(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return split_authors(value)
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return tuple(name for name in map(clean_name, value) if name)
    raise InputError(f"{where}: 'authors' must be a list of names or one string")


def _parsed_authors(value: object) -> tuple[str, ...]:
    """The snapshot's ``authors_parsed``: ``[["Last", "First", "Jr"], ...]``; () if unusable."""
    if not isinstance(value, list):
        return ()
    names = []
    for parts in value:
        if not (isinstance(parts, list) and all(isinstance(p, str) for p in parts) and parts):
            return ()
        last, first, suffix = (list(parts) + ["", ""])[:3]
        name = clean_name(" ".join(p for p in (first, last) if p.strip()))
        if name:
            names.append(f"{name}, {suffix.strip()}" if suffix.strip() else name)
    return tuple(names)


def _categories(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return arxiv_categories(value.split())
    if isinstance(value, list) and all(isinstance(term, str) for term in value):
        return arxiv_categories(value)
    raise InputError(f"{where}: 'categories' must be a list of category names or one string")


def _announced(text: str | None, where: str) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{where}: 'announced' {text!r} is not a YYYY-MM-DD date") from None
