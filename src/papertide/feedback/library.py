"""The reader's library as entries with an arXiv id or a DOI: BibTeX, RIS and CSL-JSON
exports (from Zotero, Mendeley, JabRef, Google Scholar, ...) and plain lists of ids.

Each reader keeps every entry it can read and names every one it cannot, so a file with a
few broken entries still gives the good ones. The entries are matched against the store by
``papertide.feedback.stage``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import bibtexparser
import rispy
from bibtexparser.bparser import BibTexParser

from papertide.errors import InputError
from papertide.fetch.text import clean_line, tex_to_unicode
from papertide.records import split_arxiv_id

FORMATS = {"bibtex": "BibTeX", "ris": "RIS", "csl-json": "CSL-JSON", "ids": "list of ids"}
_EXTENSIONS = {".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris", ".json": "csl-json"}

_ID = r"(\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
# "arXiv:2606.14721", "arXiv 2606.14721v2", "arxiv.org/abs/2606.14721", "10.48550/arXiv.2606.14721"
_ARXIV_IN_TEXT = re.compile(
    rf"(?:arxiv[:\s]\s*|arxiv\.org/(?:abs|pdf|html)/|10\.48550/arxiv\.){_ID}", re.IGNORECASE
)
_BARE_ID = re.compile(rf"^(?:arxiv:)?{_ID}$", re.IGNORECASE)
_DOI = re.compile(r"\b(10\.\d{4,9}/\S+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One paper of the reader's library, as far as it can be matched to arXiv."""

    key: str  # how the reader finds it again: citation key, Zotero item key, "line 4"
    title: str
    arxiv_id: str | None = None
    doi: str | None = None  # lower case, without "https://doi.org/"


@dataclass(frozen=True, slots=True)
class LibraryFile:
    """What a library export holds: the entries read, and why the others could not be."""

    format: str
    entries: tuple[LibraryEntry, ...]
    problems: tuple[str, ...]  # one per entry that could not be read, naming it


def read_library(path: Path, format: str | None = None) -> LibraryFile:
    """Read a library export; ``format`` (a key of FORMATS) is judged from the file when None."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file in UTF-8; export the library as UTF-8") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    kind = format or detect_library_format(path, text)
    parse = {"bibtex": parse_bibtex, "ris": parse_ris, "csl-json": parse_csl_json}.get(
        kind, parse_ids
    )
    entries, problems = parse(text, str(path))
    return LibraryFile(kind, tuple(entries), tuple(problems))


def detect_library_format(path: Path, text: str) -> str:
    """From the file name's extension, else from how the text starts."""
    if path.suffix.lower() in _EXTENSIONS:
        return _EXTENSIONS[path.suffix.lower()]
    start = text.lstrip()
    if start.startswith("@"):
        return "bibtex"
    if re.match(r"TY  -", start):
        return "ris"
    if start[:1] in "[{":
        return "csl-json"
    return "ids"


Parsed = tuple[list["LibraryEntry"], list[str]]


def parse_bibtex(text: str, origin: str) -> Parsed:
    """BibTeX entries; an entry the parser drops (unbalanced braces, a missing comma) is
    named by its key and line."""
    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    parser.expect_multiple_parse = True
    try:
        records = bibtexparser.loads(text, parser).entries
    except Exception as exc:  # the parser raises anything on damaged input
        raise InputError(f"{origin}: not a BibTeX file the parser can read ({exc})") from None
    entries, problems = [], []
    read = {record.get("ID", "") for record in records}
    for line, key in _bibtex_headers(text):
        if key not in read:
            name = f"entry {key!r}" if key else "an entry without a citation key"
            problems.append(
                f"{origin}:{line}: {name} could not be read (check its braces, quotes and commas)"
            )
    for record in records:
        fields = {k.lower(): v for k, v in record.items()}
        eprint = fields.get("eprint", "")
        prefix = fields.get("archiveprefix", fields.get("eprinttype", "arxiv")).lower()
        entry = library_entry(
            record.get("ID", ""),
            _tex_title(fields.get("title", "")),
            [eprint] if prefix == "arxiv" else [],
            fields.get("doi", ""),
            [fields.get(k, "") for k in ("url", "note", "journal", "howpublished", "annote")],
        )
        entries.append(entry)
    return entries, problems


def _bibtex_headers(text: str) -> Iterable[tuple[int, str]]:
    """(line, citation key) of every entry the text opens, but @string, @preamble, @comment."""
    for match in re.finditer(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(][ \t]*([^,\s{}()]*)", text, re.M):
        if match.group(1).lower() not in ("string", "preamble", "comment"):
            yield text.count("\n", 0, match.start()) + 1, match.group(2)


def _tex_title(title: str) -> str:
    return clean_line(tex_to_unicode(title).replace("{", "").replace("}", ""))


def parse_ris(text: str, origin: str) -> Parsed:
    """RIS records (``TY  -`` ... ``ER  -``); a record cut off before its ``ER`` line, or lines
    outside any record, are named by line."""
    entries, problems = [], []
    record: list[str] = []
    start = 0
    stray: list[int] = []
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(r"TY  -", line):
            if record:
                problems.append(f"{origin}:{start}: {_ris_name(record)} has no ER line; skipped")
            record, start = [line], number
        elif record:
            record.append(line)
            if re.match(r"ER  -", line):
                entries.extend(_ris_entry(record, f"{origin}:{start}", problems))
                record = []
        elif line.strip():
            stray.append(number)
    if record:
        problems.append(f"{origin}:{start}: {_ris_name(record)} has no ER line (is the file cut?)")
    if stray:
        problems.append(
            f"{origin}:{stray[0]}: {len(stray)} line(s) outside any TY ... ER record; skipped"
        )
    return entries, problems


def _ris_name(lines: list[str]) -> str:
    for line in lines:
        if re.match(r"(TI|T1)  - ", line):
            return f"record {line[6:].strip()[:60]!r}"
    return "a record without a title"


def _ris_entry(lines: list[str], where: str, problems: list[str]) -> list[LibraryEntry]:
    try:
        parsed = rispy.loads("\n".join(lines) + "\n")
    except Exception as exc:  # rispy raises anything on damaged input
        problems.append(f"{where}: {_ris_name(lines)} could not be read ({exc}); skipped")
        return []
    entries = []
    for record in parsed:
        texts = [*record.get("urls", []), *record.get("notes", [])]
        texts += [str(record.get(k, "")) for k in ("journal_name", "secondary_title", "note")]
        title = record.get("title") or record.get("primary_title") or ""
        key = record.get("id") or f"line {where.rsplit(':', 1)[-1]}"
        entries.append(library_entry(str(key), clean_line(title), [], record.get("doi", ""), texts))
    return entries


def parse_csl_json(text: str, origin: str) -> Parsed:
    """A CSL-JSON array (Zotero's "CSL JSON" export, citeproc input); an item that is not an
    object is named by position."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{origin}:{exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno});"
            " export the library again as CSL JSON"
        ) from None
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InputError(f"{origin}: CSL-JSON is an array of items; this file holds none")
    entries, problems = [], []
    for number, item in enumerate(items, 1):
        if not isinstance(item, Mapping):
            problems.append(f"{origin}: item {number} is not an object; skipped")
            continue
        texts = [str(item.get(k, "")) for k in ("URL", "number", "note", "archive_location")]
        entries.append(
            library_entry(
                str(item.get("id") or f"item {number}"),
                clean_line(str(item.get("title", ""))),
                [],
                str(item.get("DOI", "")),
                texts,
            )
        )
    return entries, problems


def parse_ids(text: str, origin: str) -> Parsed:
    """One arXiv id, arXiv URL or DOI per line; blank lines and ``#`` comments are skipped."""
    entries, problems = [], []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        entry = library_entry(f"line {number}", "", [line], line, [line])
        if entry.arxiv_id or entry.doi:
            entries.append(entry)
        else:
            problems.append(f"{origin}:{number}: {line[:60]!r} is not an arXiv id, URL or DOI")
    return entries, problems


def library_entry(
    key: str, title: str, ids: Iterable[str], doi: str, texts: Iterable[str]
) -> LibraryEntry:
    """An entry with the first arXiv id found in ``ids`` (bare ids), ``doi`` or ``texts``."""
    arxiv_id = None
    for candidate in ids:
        if _BARE_ID.match(candidate.strip()):
            arxiv_id = split_arxiv_id(candidate.strip())[0]
            break
    for text in (doi, *texts):
        if arxiv_id:
            break
        found = _ARXIV_IN_TEXT.search(text or "")
        if found:
            arxiv_id = found.group(1)
    doi_match = _DOI.search(doi or "")
    found_doi = doi_match.group(1).rstrip(".").lower() if doi_match else None
    return LibraryEntry(key, title, arxiv_id, found_doi)
