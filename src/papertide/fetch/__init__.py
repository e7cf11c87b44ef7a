"""The fetch stage: where papers come from.

Every source of papers implements ``Source``. ``open_source`` gives one for a file saved from
arXiv (query-API Atom, RSS, OAI-PMH) or a JSONL export, recognised by its content; a pipe
(``-``, ``/dev/stdin``, a FIFO) is read once into memory, since it cannot be read twice. The
per-format parsers in ``atom``, ``rss``, ``oai`` and ``jsonl`` take bytes or lines, so that the
live HTTP clients can hand them response bodies. Sizes are bounded (see ``limits``).
"""

from __future__ import annotations

import io
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Protocol

from papertide.errors import InputError
from papertide.fetch.atom import parse_atom
from papertide.fetch.jsonl import parse_jsonl, read_lines
from papertide.fetch.limits import MAX_DOCUMENT_BYTES, check_document
from papertide.fetch.oai import parse_oai
from papertide.fetch.rss import parse_rss
from papertide.records import Paper

__all__ = ["FORMATS", "FileSource", "Source", "detect_format", "open_source", "read_papers"]

FORMATS = {
    "atom": "arXiv API Atom",
    "rss": "arXiv RSS",
    "oai": "OAI-PMH",
    "jsonl": "JSONL",
    "snapshot": "arXiv metadata snapshot",
}
_ROOT_FORMATS = {"feed": "atom", "rss": "rss", "OAI-PMH": "oai"}
_SNIFF_BYTES = 4096
# The first element of an XML document, after the declaration, comments and a doctype.
_XML_ROOT = re.compile(rb"<(?![?!])(?:[\w.\-]+:)?([\w.\-]+)")


class Source(Protocol):
    """Anything that yields papers: a saved file, or a live arXiv client."""

    name: str  # for people: "rss_mock_feed.xml (arXiv RSS)"

    def papers(self) -> Iterator[Paper]:
        """Yield the papers; raise InputError when the material cannot be read."""
        ...


class FileSource:
    """Papers from one file in a format that ``detect_format`` recognises; ``data`` holds the
    whole content of a pipe, which was read once to recognise it."""

    def __init__(self, path: Path, format: str, data: bytes | None = None) -> None:
        self.path = path
        self.format = format
        self.data = data
        self.name = f"{path.name or path} ({FORMATS[format]})"

    def __repr__(self) -> str:
        return f"FileSource({str(self.path)!r}, {self.format!r})"

    @property
    def size(self) -> int:
        """Bytes to read: what a pipe held, or the file's size."""
        return len(self.data) if self.data is not None else self.path.stat().st_size

    def papers(self) -> Iterator[Paper]:
        origin = str(self.path)
        if self.format in ("jsonl", "snapshot"):
            try:
                with self._open() as lines:
                    yield from parse_jsonl(read_lines(lines, origin), origin)
            except OSError as error:
                raise _unreadable(self.path, error) from None
            return
        try:
            with self._open() as file:
                data = check_document(file.read(MAX_DOCUMENT_BYTES + 1), origin)
        except OSError as error:
            raise _unreadable(self.path, error) from None
        parse = {"atom": parse_atom, "rss": parse_rss, "oai": parse_oai}[self.format]
        yield from parse(data, origin)

    def _open(self) -> IO[bytes]:
        return io.BytesIO(self.data) if self.data is not None else self.path.open("rb")


def detect_format(path: Path) -> str:
    """``"atom"``, ``"rss"``, ``"oai"``, ``"jsonl"`` or ``"snapshot"`` (JSON lines in the
    format of arXiv's metadata snapshot), judged from the start of the file."""
    _check_file(path)
    try:
        with path.open("rb") as file:
            head = file.read(_SNIFF_BYTES)
    except OSError as error:
        raise _unreadable(path, error) from None
    return _format_of(head, path)


def _format_of(head: bytes, path: Path) -> str:
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head:
        raise InputError(f"{path}: the file is empty; fetch or export it again")
    if head.startswith(b"{"):
        first = head.split(b"\n", 1)[0]
        return "snapshot" if b'"authors_parsed"' in first or b'"versions"' in first else "jsonl"
    if head.startswith(b"<"):
        match = _XML_ROOT.search(head)
        root = match.group(1).decode("ascii", "replace") if match else ""
        if root in _ROOT_FORMATS:
            return _ROOT_FORMATS[root]
    raise InputError(
        f"{path}: unknown format: expected arXiv API Atom, arXiv RSS, OAI-PMH arXivRaw XML or JSONL"
    )


def open_source(path: Path) -> FileSource:
    """A Source reading ``path``; InputError if it is missing, a directory or of unknown format.

    ``-`` is the standard input; a pipe is read whole (up to ``MAX_DOCUMENT_BYTES``) now."""
    if str(path) == "-" or _is_pipe(path):
        data = _read_pipe(path)
        return FileSource(path, _format_of(data[:_SNIFF_BYTES], path), data)
    return FileSource(path, detect_format(path))


def _is_pipe(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _read_pipe(path: Path) -> bytes:
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
        else:
            with path.open("rb") as pipe:
                data = pipe.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as error:
        raise _unreadable(path, error) from None
    return check_document(data, str(path))


def read_papers(path: Path | FileSource) -> list[Paper]:
    """Every paper in the file (or opened source); InputError on any problem."""
    source: Source = path if isinstance(path, FileSource) else open_source(path)
    return list(source.papers())


def _check_file(path: Path) -> None:
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give the path of a saved feed or JSONL file")
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path")


def _unreadable(path: Path, error: OSError) -> InputError:
    return InputError(f"{path}: cannot read the file ({error.strerror or error})")
