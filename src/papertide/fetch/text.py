"""Text clean-up shared by the format parsers: whitespace, mojibake, TeX accents, author lists."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from papertide.errors import InputError
from papertide.records import AnnounceType, split_arxiv_id

_WHITESPACE = re.compile(r"\s+")
# Characters that no output can carry: C0 and C1 controls (the whitespace ones become spaces
# first), DEL, lone surrogates (JSON "\\ud800") and the non-characters U+FFFE/U+FFFF. YAML front
# matter, XML feeds and mail headers refuse them; on a page they are invisible traps.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# arXiv marks a new abstract paragraph with an indented line (or, rarely, a blank line);
# ordinary continuation lines start in column 0.
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*(?:\n[ \t]*)+|\n[ \t]+")
# Two or more characters from U+0080..U+00FF in a row: UTF-8 bytes that were decoded as Latin-1.
_LATIN1_RUN = re.compile("[\u0080-\u00ff]{2,}")
_WITHDRAWN = re.compile(
    r"^\W*(?:(?:this|the)\s+(?:paper|article|manuscript|submission|preprint|work)\s+"
    r"(?:has\s+been|is|was)\s+)?withdrawn\b",
    re.IGNORECASE,
)
_ARXIV_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?$")

_TEX_ACCENTS = {
    "`": "\u0300",
    "'": "\u0301",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    "u": "\u0306",
    ".": "\u0307",
    '"': "\u0308",
    "H": "\u030b",
    "v": "\u030c",
    "c": "\u0327",
    "k": "\u0328",
}
# \"u, \"{u}, \'{\i} and \c{c}, \v s: an accent command followed by the letter it marks.
_TEX_SYMBOL_ACCENT = re.compile(r"""\\([`'^~=."])\s*\{?\s*(\\i\b|[A-Za-z])""")
_TEX_LETTER_ACCENT = re.compile(r"\\([uHvck])(?:\s+|\s*\{\s*)(\\i\b|[A-Za-z])")
_TEX_LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ",
    "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
    "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ", "dj": "đ", "DJ": "Đ", "ng": "ŋ", "NG": "Ŋ",
}  # fmt: skip
_TEX_LETTER_NAMES = "|".join(sorted(_TEX_LETTERS, key=len, reverse=True))
# "{\l}" anywhere, or a bare "\l" ending its word (TeX swallows the spaces after it).
_TEX_LETTER = re.compile(rf"\{{\\({_TEX_LETTER_NAMES})\}}|\\({_TEX_LETTER_NAMES})\b\s*")

# Names that are a suffix of the preceding author ("Smith, Jr."), not an author of their own.
_NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_AUTHOR_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
_PARENTHESES = re.compile(r"\s*\([^()]*\)")


def clean_line(text: str) -> str:
    """Collapse every run of whitespace (newlines included) into one space, and drop control
    characters (after the mojibake repair, whose Latin-1 runs may hold C1 code points)."""
    return strip_controls(_WHITESPACE.sub(" ", repair_mojibake(text))).strip()


def strip_controls(text: str) -> str:
    """``text`` without the characters that no output format can carry (see ``_CONTROL``)."""
    return _CONTROL.sub("", text)


def clean_abstract(text: str) -> str:
    """Collapse whitespace inside each paragraph; paragraphs are joined by a single newline."""
    paragraphs = (clean_line(p) for p in _PARAGRAPH_BREAK.split(text.strip()))
    return "\n".join(p for p in paragraphs if p)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Latin-1: ``"WÃ¼bben"`` becomes ``"Wübben"``.

    Only runs of U+0080..U+00FF that decode as valid UTF-8 are changed, so genuine Latin-1
    text ("José") is left alone.
    """
    if not _LATIN1_RUN.search(text):
        return text

    def fix(match: re.Match[str]) -> str:
        run = match.group()
        try:
            return run.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            return run

    return _LATIN1_RUN.sub(fix, text)


def tex_to_unicode(text: str) -> str:
    """Turn TeX accents in names (``M\\"uller``, ``G{\\"o}del``, ``\\c{C}elik``) into Unicode."""
    if "\\" not in text:
        return text

    def accent(match: re.Match[str]) -> str:
        letter = "i" if match.group(2) == "\\i" else match.group(2)
        return letter + _TEX_ACCENTS[match.group(1)]

    def letter(match: re.Match[str]) -> str:
        return _TEX_LETTERS[match.group(1) or match.group(2)]

    text = _TEX_SYMBOL_ACCENT.sub(accent, text)
    text = _TEX_LETTER.sub(letter, _TEX_LETTER_ACCENT.sub(accent, text))
    return unicodedata.normalize("NFC", text.replace("{", "").replace("}", ""))


def split_authors(text: str) -> tuple[str, ...]:
    """Split an author string as arXiv writes it into names.

    ``"D.V. Shetty, S.J. Yennello, and G.A. Souliotis"`` gives three names; affiliations in
    parentheses (which may themselves hold commas) are dropped.
    """
    text = clean_line(text)
    # Blank out parenthesised parts so that separators inside them are not seen.
    masked, depth = [], 0
    for ch in text:
        if ch == "(":
            depth += 1
        masked.append(ch if depth == 0 else "\0")
        if ch == ")" and depth:
            depth -= 1
    cuts = [m.span() for m in _AUTHOR_SEPARATOR.finditer("".join(masked))]
    starts = [0] + [end for _, end in cuts]
    ends = [start for start, _ in cuts] + [len(text)]
    names: list[str] = []
    for start, end in zip(starts, ends, strict=True):
        name = clean_name(text[start:end])
        if not name:
            continue
        if names and name.lower() in _NAME_SUFFIXES:
            names[-1] = f"{names[-1]}, {name}"
        else:
            names.append(name)
    return tuple(names)


def clean_name(name: str) -> str:
    """One author's name without affiliations in parentheses and TeX accents."""
    previous = None
    while previous != name:
        previous, name = name, _PARENTHESES.sub("", name)
    name = clean_line(tex_to_unicode(name)).strip(" ,;")
    # OAI lists "Super-Kamiokande Collaboration: K. Abe" with ":" as an author of its own.
    return name if any(ch.isalnum() for ch in name) else ""


def first_doi(text: str | None) -> str | None:
    """The first DOI of a field that may list several ("10.1/a 10.1/b", "10.1/a, 10.1/b")."""
    if not text:
        return None
    for token in re.split(r"[\s,;]+", strip_controls(text)):
        if token:
            return token
    return None


def is_withdrawn_comment(comment: str | None) -> bool:
    """True for arXiv's withdrawal notices ("This paper has been withdrawn by the author...")."""
    return bool(comment and _WITHDRAWN.match(comment))


def arxiv_categories(terms: list[str]) -> tuple[str, ...]:
    """arXiv category terms in order, without duplicates or ACM/MSC codes ("D.2.5", "14H10")."""
    seen: dict[str, None] = {}
    for term in terms:
        term = term.strip()
        if _ARXIV_CATEGORY.match(term):
            seen.setdefault(term, None)
    return tuple(seen)


def optional(text: str | None) -> str | None:
    """A cleaned one-line value, or None when it is missing or blank."""
    if text is None:
        return None
    return clean_line(text) or None


def aware(moment: datetime) -> datetime:
    """The moment itself when it carries a timezone; otherwise taken as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def versioned_id(text: str, where: str, default: int = 1) -> tuple[str, int]:
    """``(arxiv_id, version)`` from an id or abs/pdf URL; ``default`` when it states none."""
    try:
        arxiv_id, version = split_arxiv_id(text)
    except ValueError:
        raise InputError(
            f"{where}: {clean_line(text)!r} is not an arXiv identifier; "
            "the file is not arXiv metadata or was edited by hand"
        ) from None
    return arxiv_id, version or default


def iso_datetime(text: str | None, where: str) -> datetime | None:
    """An ISO 8601 time ("2017-07-27T08:18:33Z"); naive times are taken as UTC."""
    if text is None or not text.strip():
        return None
    try:
        return aware(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise InputError(
            f"{where}: {text.strip()!r} is not an ISO 8601 date and time; "
            "the file is not arXiv metadata or was edited by hand"
        ) from None


def announce_type(text: str | None) -> AnnounceType:
    """arXiv's listing type ("new", "cross", "replace", "replace-cross"); UNKNOWN otherwise."""
    try:
        return AnnounceType((text or "").strip().lower())
    except ValueError:
        return AnnounceType.UNKNOWN
