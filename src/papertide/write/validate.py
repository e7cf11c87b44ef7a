"""What the model answered: parsed, validated with pydantic, normalised and checked.

``parse_translation`` and ``parse_summary`` return text that always has the same structure (a
whole translation without markup the abstract lacks; a summary of at most 3 sentences that
ends with the paper's result, and 3–7 un-numbered takeaways) or raise `InvalidAnswer` saying
what is wrong, in words that can be sent back to the model for its repair. ``check_writeup``
adds the flags stored with every write-up: numbers absent from the abstract, numbers or LaTeX
math of the abstract the translation lost.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from papertide.fetch.text import strip_controls
from papertide.llm import json_object_text

MIN_TAKEAWAYS, MAX_TAKEAWAYS = 3, 7
MAX_SUMMARY_SENTENCES = 3
# A translation or summary in a CJK language with fewer CJK letters than this (among all
# letters) is rejected as "not in the language asked for"; technical abstracts keep many Latin
# names and acronyms, so the bar is well below 1.
MIN_SCRIPT_RATIO = 0.35
# An answer longer than this is refused unread: a whole translation, summary and takeaways of
# an arXiv abstract (1,920 characters at most) take a few thousand characters in any language.
MAX_ANSWER_CHARS = 50_000


class InvalidAnswer(ValueError):
    """The model's answer is unusable; the message says why (and is shown to the model)."""


class TooShort(InvalidAnswer):
    """A translation far shorter than the abstract: the model wrote a title, or the prompt's
    glossary, instead of every sentence."""


class TooLong(InvalidAnswer):
    """A translation far longer than the abstract: the model ran on past its end, saying it
    again in other words."""


class TooFewTakeaways(InvalidAnswer):
    """A usable summary with fewer than MIN_TAKEAWAYS takeaways: ask for the missing ones."""

    def __init__(self, summary: str, takeaways: tuple[str, ...]) -> None:
        super().__init__(
            f"'takeaways' has {len(takeaways)} items; give {MIN_TAKEAWAYS} to {MAX_TAKEAWAYS}"
        )
        self.summary = summary
        self.takeaways = takeaways


class _Summary(BaseModel):
    model_config = ConfigDict(extra="ignore")
    summary: str = Field(min_length=1)
    result: str = ""  # the summary's last sentence, asked for on its own (prompt v3)
    takeaways: list[str] = Field(min_length=1)


class _Takeaways(BaseModel):
    model_config = ConfigDict(extra="ignore")
    takeaways: list[str]


@dataclass(frozen=True, slots=True)
class Draft:
    translation: str
    summary: str
    takeaways: tuple[str, ...]


def _check_size(text: str) -> None:
    if len(text) > MAX_ANSWER_CHARS:
        raise InvalidAnswer(
            f"the answer has {len(text):,} characters, more than the {MAX_ANSWER_CHARS:,} "
            "allowed; answer briefly, with only what was asked"
        )


def closed(text: str) -> str:
    """``text`` with the brackets it left open closed, when it stops after a whole value (a
    small model sometimes ends its object at the takeaways' ``]``, or with ``]]`` for ``]}``);
    else ``text`` unchanged."""
    expected: list[str] = []
    in_string = escaped = False
    for index, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            expected.append("]" if ch == "[" else "}")
        elif ch in "]}":
            if expected and expected[-1] == ch:
                expected.pop()
            elif expected and not text[index + 1 :].strip():
                return text[:index] + "".join(reversed(expected))  # the last bracket wrong
            else:
                return text
    if in_string or not expected:
        return text
    return text.rstrip().removesuffix(",") + "".join(reversed(expected))


def _load(text: str, shape: type[BaseModel]) -> BaseModel:
    _check_size(text)
    found = json_object_text(text)
    try:
        try:
            data = json.loads(found)
        except json.JSONDecodeError:
            data = json.loads(closed(found))
    except json.JSONDecodeError as exc:
        raise InvalidAnswer(f"the answer is not valid JSON ({exc.msg} at char {exc.pos})") from None
    except RecursionError:
        raise InvalidAnswer("the answer is JSON nested too deeply; give one flat object") from None
    if not isinstance(data, dict):
        raise InvalidAnswer("the answer is JSON but not an object with the keys asked for")
    try:
        return shape.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidAnswer(f"the JSON has the wrong shape ({problems})") from None


# Markup a model may add on its own: HTML/XML tags (also named in the answer's language, as in
# "<日本語> <概要>" before a translation; with attributes as HTML writes them, so that "a<b 且
# b>c" is no tag), Markdown emphasis, headings and fences.
_TAG = re.compile(
    r"</?[^\W\d_][\w-]*"
    r"""(?:\s+[A-Za-z_:][A-Za-z0-9_:.-]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s<>"']+))?)*\s*/?>"""
)
_MARKDOWN = re.compile(r"\*\*|__|^#{1,6}\s+|^```\w*\s*$", flags=re.M)


def strip_markup(text: str, source: str) -> str:
    """``text`` without the tags and Markdown that ``source`` (the abstract) does not have,
    its control characters (as papers lose theirs at import) and its whitespace tidied."""
    text = strip_controls(text)
    kept = set(_TAG.findall(source))
    text = _TAG.sub(lambda m: m.group(0) if m.group(0) in kept else " ", text)
    if not _MARKDOWN.search(source):
        text = _MARKDOWN.sub("", text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _check_language(field: str, value: str, language: str) -> None:
    ratio = script_ratio(value, language)
    if ratio is not None and ratio < MIN_SCRIPT_RATIO:
        raise InvalidAnswer(
            f"'{field}' is not in the language asked for ({language}): only "
            f"{ratio:.0%} of its letters are in that language's script"
        )


_CJK = "\u3000-\u303f\u3040-\u30ff\u4e00-\u9fff\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")


_GLOSSARY_ECHO = re.compile(
    r"[^。.!?！？]{0,20}?[:：]?\s*(?:[-*•]\s*[^=\s]+\s*=\s*[^=\s-]+\s*){2,}$"
)


# A line of its own with no sentence end, then a blank line: a title the model wrote before
# the translation ("反射3D：单图像3D生成的显著优势\n\n反射3D是一种...").
_TITLE = re.compile(r"\A\s*[^\n]{0,99}[^\n。.!?！？]\n\s*\n(?=\S)")


def parse_translation(text: str, language: str, abstract: str) -> str:
    """The translation the first call answered, as one paragraph without invented markup;
    InvalidAnswer when it is empty, in another language, or far too short (TooShort) or too
    long (TooLong) for the abstract."""
    _check_size(text)
    text = _TITLE.sub("", text)
    translation = " ".join(strip_markup(text, abstract).split("\n")).strip()
    if language.lower().split("-")[0] in ("zh", "ja"):
        # No spaces between Chinese or Japanese characters where lines were joined.
        translation = _CJK_GAP.sub("", translation)
    # The prompt's glossary echoed after the translation ("关键术语 - 对齐 = 对齐 - 去噪 = ...").
    translation = _GLOSSARY_ECHO.sub("", translation).strip()
    if not translation:
        raise InvalidAnswer("the translation is empty")
    _check_language("translation", translation, language)
    shortest, longest = _translation_bounds(abstract, language)
    if len(translation) < shortest:
        raise TooShort(
            f"the translation has {len(translation)} characters for an abstract of "
            f"{len(abstract)}: translate the WHOLE abstract, every sentence, not the title"
        )
    if len(translation) > longest:
        raise TooLong(
            f"the translation has {len(translation)} characters for an abstract of "
            f"{len(abstract)}: it ran on past the end of the abstract"
        )
    return translation


def parse_summary(text: str, language: str, abstract: str) -> tuple[str, tuple[str, ...]]:
    """The summary and takeaways the second call answered, normalised; TooFewTakeaways when
    the summary is usable but fewer than MIN_TAKEAWAYS points are, InvalidAnswer otherwise."""
    answer = _load(text, _Summary)
    assert isinstance(answer, _Summary)
    sentences = split_sentences(strip_markup(answer.summary, abstract))
    # The result asked for on its own ends the summary (also one written too long, as under
    # the grammar), unless it says the summary again.
    result = split_sentences(strip_markup(answer.result, abstract))
    result = [s for s in result if not any(_says_again(s, earlier) for earlier in sentences)]
    if result:
        sentences = sentences[: MAX_SUMMARY_SENTENCES - 1] + result
    summary = trim_summary(join_sentences(sentences))
    if not summary:
        raise InvalidAnswer("'summary' is empty")
    _check_language("summary", summary, language)
    takeaways = _usable_takeaways(answer.takeaways, language, abstract)
    if len(takeaways) < MIN_TAKEAWAYS:
        raise TooFewTakeaways(summary, takeaways)
    return summary, takeaways


# How alike (difflib's ratio) a sentence is to an earlier one that it only says again: on the 20
# evaluation papers, a result that restated the summary was 0.88 alike, the others 0.06-0.33.
SAID_AGAIN = 0.7


def _says_again(sentence: str, earlier: str) -> bool:
    return SequenceMatcher(None, sentence, earlier, autojunk=False).ratio() >= SAID_AGAIN


def parse_more_takeaways(text: str, language: str, abstract: str) -> tuple[str, ...]:
    """The takeaways a repair call added (possibly none usable)."""
    answer = _load(text, _Takeaways)
    assert isinstance(answer, _Takeaways)
    return _usable_takeaways(answer.takeaways, language, abstract)


def _usable_takeaways(items: list[str], language: str, abstract: str) -> tuple[str, ...]:
    """The takeaways normalised, without invented markup and without any written wholly
    outside the language's script. Too few of them, each sentence becomes a point of its own:
    a small model sometimes packs several points into one takeaway, or repeats it."""

    def usable(texts: list[str]) -> list[str]:
        return [t for t in normalise_takeaways(texts) if script_ratio(t, language) != 0.0]

    cleaned = usable([strip_markup(t, abstract) for t in items])
    if len(cleaned) < MIN_TAKEAWAYS:
        cleaned = usable([s for t in cleaned for s in split_sentences(t)])
    return tuple(cleaned)


def _translation_bounds(abstract: str, language: str) -> tuple[int, int]:
    """The shortest and the longest believable translation of ``abstract``, in characters.
    Chinese or Japanese takes 0.24-0.40 of the English characters (on the 20 evaluation papers
    and the mock feed; a title far less, and one that ran on in Japanese 1.68), other
    languages about as many, up to about 1.5; a sentence translated on its own may take a few
    names and a full stop more."""
    low, high = (0.15, 1.0) if language.lower().split("-")[0] in ("zh", "ja", "ko") else (0.4, 2.5)
    characters = len(" ".join(abstract.split()))
    return int(characters * low), max(200, int(characters * high))


def least_tokens(abstract: str, language: str) -> int:
    """The fewest tokens a translation of ``abstract`` may end at, where a backend can hold
    it to that: a third of the shortest believable translation's characters (a token holds
    one or two Chinese characters, about four Latin letters), more than a title has."""
    return _translation_bounds(abstract, language)[0] // 3


_NUMBERING = re.compile(
    r"^\s*(?:[-*•·▪–—]\s*|\(?\d{1,2}[.)、:：]\s*|\(\d{1,2}\)\s*|[①-⑳]\s*|"
    r"(?:Takeaway|要点|要點)\s*\d{1,2}\s*[.:：、]\s*)"
)


def normalise_takeaways(items: list[str]) -> tuple[str, ...]:
    """Strip the numbering or bullets a model adds (the page numbers them), drop empty and
    repeated items, keep at most MAX_TAKEAWAYS."""
    cleaned: list[str] = []
    for item in items:
        text = " ".join(str(item).split())
        text = _NUMBERING.sub("", text, count=1).strip()
        if text and text not in cleaned:
            cleaned.append(text)
    return tuple(cleaned[:MAX_TAKEAWAYS])


# A sentence ends at CJK full stops anywhere, or at . ! ? followed by a space or the end —
# but not after common abbreviations such as "e.g." or "et al.".
_SENTENCE_END = re.compile(
    r"(?<=[。！？])|(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bal\.)(?<!\bvs\.)(?<=[.!?])(?=\s|$)"
)


def split_sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def join_sentences(sentences: list[str]) -> str:
    """``split_sentences`` undone: nothing after a CJK full stop, a space after any other."""
    text = ""
    for sentence in sentences:
        text += sentence if not text or text[-1] in "。！？" else " " + sentence
    return text


def trim_summary(summary: str) -> str:
    """At most MAX_SUMMARY_SENTENCES sentences, cut at sentence ends."""
    sentences = split_sentences(summary)
    if len(sentences) <= MAX_SUMMARY_SENTENCES:
        return " ".join(summary.split())
    kept = sentences[:MAX_SUMMARY_SENTENCES]
    joiner = "" if any("\u3000" <= ch <= "\u9fff" for ch in kept[0]) else " "
    return joiner.join(kept)


_SCRIPTS = {
    "zh": ("CJK",),
    "ja": ("CJK", "HIRAGANA", "KATAKANA"),
    "ko": ("HANGUL",),
    "ru": ("CYRILLIC",),
    "uk": ("CYRILLIC",),
    "bg": ("CYRILLIC",),
    "sr": ("CYRILLIC",),
    "el": ("GREEK",),
    "ar": ("ARABIC",),
    "fa": ("ARABIC",),
    "he": ("HEBREW",),
    "hi": ("DEVANAGARI",),
    "th": ("THAI",),
}
# The letters of each script above, as a regular-expression character range.
_SCRIPT_LETTERS = {
    "zh": "\u4e00-\u9fff",
    "ja": "\u3040-\u30ff\u4e00-\u9fff",
    "ko": "\uac00-\ud7af",
    "ru": "\u0400-\u04ff",
    "uk": "\u0400-\u04ff",
    "bg": "\u0400-\u04ff",
    "sr": "\u0400-\u04ff",
    "el": "\u0370-\u03ff",
    "ar": "\u0600-\u06ff",
    "fa": "\u0600-\u06ff",
    "he": "\u0590-\u05ff",
    "hi": "\u0900-\u097f",
    "th": "\u0e00-\u0e7f",
}
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", flags=re.S)
_URLS = re.compile(r"https?://\S*[^\s.,;:)\]]")  # without the punctuation that follows one


def script_letters(language: str) -> str:
    """The language's own letters as a character range ("" for the Latin script)."""
    return _SCRIPT_LETTERS.get(language.lower().split("-")[0], "")


def script_ratio(text: str, language: str) -> float | None:
    """The share of letters written in the language's script (math and URLs ignored), or None
    for languages written in the Latin script, where the script says nothing."""
    scripts = _SCRIPTS.get(language.lower().split("-")[0])
    if scripts is None:
        return None
    text = _URLS.sub(" ", _MATH.sub(" ", text))
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    native = sum(1 for ch in letters if unicodedata.name(ch, "").startswith(scripts))
    # A Latin word counts once, not once per letter: names and acronyms are kept verbatim.
    latin_words = len(re.findall(r"[A-Za-z][A-Za-z0-9\-]*", text))
    return native / (native + latin_words) if native + latin_words else 0.0


_LATIN_WORD = re.compile(r"[A-Za-z0-9_'+.-]*[A-Za-z][A-Za-z0-9_'+.-]*")


def names_to_keep(text: str, language: str) -> tuple[str, ...] | None:
    """The Latin-script words a translation of ``text`` into ``language`` keeps as they are:
    its math, URLs, and names — words with a capital, digit or underscore after the first
    letter ("FineREX", "F1-score", "patch_mean"), or capitalised inside a sentence
    ("Gaussian"). None for a language written in the Latin script."""
    if not script_letters(language):
        return None
    text = " ".join(text.split())
    kept = set(_MATH.findall(text)) | set(_URLS.findall(text))
    prose = _URLS.sub(" ", _MATH.sub(" ", text))
    for match in _LATIN_WORD.finditer(prose):
        word = match.group(0).strip(".'+-")
        if not word:
            continue
        before = prose[: match.start()].rstrip()
        starts_sentence = not before or before[-1] in '.!?:;"(['
        inner = word[1:]
        if any(c.isupper() or c.isdigit() or c == "_" for c in inner) or (
            word[0].isupper() and not starts_sentence
        ):
            kept.add(word)
    return tuple(sorted(kept))


_NUMBER = re.compile(r"(?<![0-9A-Za-z.])\d+(?:[.,]\d+)*(?:\.\d+)?")


def numbers_in(text: str) -> set[str]:
    """The numbers written with digits, thousands separators removed ("1,024" → "1024")."""
    found = set()
    for match in _NUMBER.finditer(_MATH.sub(" ", text)):
        value = match.group(0).rstrip(".,")
        if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", value):
            value = value.replace(",", "")
        found.add(value)
    return found


def numbers_lost(source: str, translation: str) -> list[str]:
    """The numbers of ``source`` that ``translation`` does not have, shortest first."""
    translated = numbers_in(translation) | numbers_in(translation.replace(",", ""))
    return sorted(numbers_in(source) - translated, key=lambda n: (len(n), n))


def check_draft(draft: Draft, abstract: str, title: str = "") -> tuple[str, ...]:
    """Flags for the reader and the evaluation: numbers in the summary or takeaways that the
    abstract does not contain, and numbers or LaTeX math of the abstract missing from the
    translation."""
    flags = []
    source = numbers_in(f"{title} {abstract}") | numbers_in(f"{title} {abstract}".replace(",", ""))
    written = numbers_in(" ".join((draft.summary, *draft.takeaways)))
    unknown = sorted(written - source, key=lambda n: (len(n), n))
    if unknown:
        flags.append("numbers not in the abstract: " + ", ".join(unknown))
    dropped = numbers_lost(abstract, draft.translation)
    if dropped:
        flags.append("numbers missing from the translation: " + ", ".join(dropped))
    squeeze = re.compile(r"\s+")
    translated_text = squeeze.sub("", draft.translation)
    lost = [m for m in _MATH.findall(abstract) if squeeze.sub("", m) not in translated_text]
    if lost:
        flags.append("math not kept verbatim: " + " ".join(lost[:3]))
    return tuple(flags)
