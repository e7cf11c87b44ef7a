"""The prompts: versioned template files, the paper kept strictly as data, the JSON schemas.

Templates live in ``prompts/v<N>.txt``: a ``### system`` section shared by every call (so that
a local model evaluates it once for all papers), ``### translate`` (the whole abstract, plain
text), ``### summarise`` (Summary and Key Takeaways as JSON, written from the abstract, not
from the translation) and ``### repair``, with ``${name}`` placeholders. Changing a template
means adding a new file and bumping PROMPT_VERSION: the version is part of every write-up's
cache key. ``prompts/glossary.<lang>.txt`` holds standard terms of a language for English words
that small models leave untranslated; the entries an abstract uses go into its prompt.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

from papertide.llm import Message
from papertide.llm.local import MAX_CHARS
from papertide.records import Paper, Topic
from papertide.write.validate import MAX_TAKEAWAYS, MIN_TAKEAWAYS, script_letters

PROMPT_VERSION = "3"

LANGUAGE_NAMES = {
    "zh": "Simplified Chinese (简体中文)",
    "zh-cn": "Simplified Chinese (简体中文)",
    "zh-hans": "Simplified Chinese (简体中文)",
    "zh-sg": "Simplified Chinese (简体中文)",
    "zh-tw": "Traditional Chinese (繁體中文)",
    "zh-hk": "Traditional Chinese (繁體中文)",
    "zh-hant": "Traditional Chinese (繁體中文)",
    "ja": "Japanese (日本語)",
    "ko": "Korean (한국어)",
    "en": "English",
    "de": "German (Deutsch)",
    "fr": "French (français)",
    "es": "Spanish (español)",
    "pt": "Portuguese (português)",
    "it": "Italian (italiano)",
    "ru": "Russian (русский)",
    "uk": "Ukrainian (українська)",
    "ar": "Arabic (العربية)",
    "hi": "Hindi (हिन्दी)",
    "vi": "Vietnamese (Tiếng Việt)",
    "tr": "Turkish (Türkçe)",
    "pl": "Polish (polski)",
    "nl": "Dutch (Nederlands)",
}


def _text(language: str, max_chars: int) -> dict[str, Any]:
    """A JSON string in ``language``: for a language with its own script, one that starts with
    a letter of that script (small models otherwise drift into the abstract's English), at most
    ``max_chars`` long, without raw control characters."""
    letters = script_letters(language)
    if not letters:
        return {"type": "string"}
    return {
        "type": "string",
        "pattern": f'^[{letters}]([^"\\\\\\x00-\\x1f]|\\\\.){{0,{max_chars - 1}}}$',
    }


def summary_schema(language: str) -> dict[str, Any]:
    """The JSON of the second call; used for schema-constrained decoding where supported."""
    return {
        "type": "object",
        "properties": {
            "summary": _text(language, MAX_CHARS["summary"]),
            "result": _text(language, MAX_CHARS["result"]),
            "takeaways": {
                "type": "array",
                "items": _text(language, MAX_CHARS["takeaways"]),
                "minItems": MIN_TAKEAWAYS,
                "maxItems": MAX_TAKEAWAYS,
            },
        },
        "required": ["summary", "result", "takeaways"],
        "additionalProperties": False,
    }


def more_takeaways_schema(language: str, count: int) -> dict[str, Any]:
    """The JSON of the repair call that asks for ``count`` more takeaways."""
    return {
        "type": "object",
        "properties": {
            "takeaways": {
                "type": "array",
                "items": _text(language, MAX_CHARS["takeaways"]),
                "minItems": count,
                "maxItems": count,
            }
        },
        "required": ["takeaways"],
        "additionalProperties": False,
    }


def language_name(tag: str) -> str:
    """``zh-CN`` → ``Simplified Chinese (简体中文)``; an unknown tag is named as itself."""
    lower = tag.lower()
    return LANGUAGE_NAMES.get(lower) or LANGUAGE_NAMES.get(lower.split("-")[0]) or tag


_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def fill(template: str, values: dict[str, str]) -> str:
    """Replace each ``${name}``; the values are inserted as they are, never scanned again."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


@cache
def load_template(version: str = PROMPT_VERSION) -> dict[str, str]:
    """The sections of ``prompts/v<version>.txt`` by name."""
    text = (
        resources.files("papertide.write")
        .joinpath("prompts", f"v{version}.txt")
        .read_text(encoding="utf-8")
    )
    sections: dict[str, str] = {}
    for block in re.split(r"^### ", text, flags=re.M)[1:]:
        name, _, body = block.partition("\n")
        sections[name.strip()] = body.strip()
    return sections


@cache
def _glossary(language: str) -> tuple[tuple[re.Pattern[str], str, str], ...]:
    """(pattern, English term, standard term) for each entry of the language's glossary."""
    folder = resources.files("papertide.write").joinpath("prompts")
    entries = []
    for name in (
        f"glossary.{language.lower()}.txt",
        f"glossary.{language.lower().split('-')[0]}.txt",
    ):
        if folder.joinpath(name).is_file():
            for line in folder.joinpath(name).read_text(encoding="utf-8").splitlines():
                if line.startswith("#") or " = " not in line:
                    continue
                english, term = line.split(" = ", 1)
                forms = [f.strip() for f in english.split("|") if f.strip()]
                words = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
                pattern = re.compile(rf"(?<![\w-])(?:{words})(?![\w-])", flags=re.I)
                entries.append((pattern, forms[0], term.strip()))
            break
    return tuple(entries)


def glossary_for(text: str, language: str) -> list[tuple[str, str]]:
    """The glossary entries (English term, standard term) whose English occurs in ``text``."""
    return [
        (english, term) for pattern, english, term in _glossary(language) if pattern.search(text)
    ]


def as_data(text: str) -> str:
    """The paper's text, unable to close or open the <paper> block (or its <title> and
    <abstract>) it is quoted in."""
    text = " ".join(text.split())
    return re.sub(r"<\s*(/?)\s*(paper|title|abstract)\s*>", r"[\1\2]", text, flags=re.I)


def _topic_line(topic: Topic | None) -> str:
    if topic is None:
        return "general arXiv digest"
    return f"{topic.name} — {topic.description}" if topic.description else topic.name


def _values(paper: Paper, topic: Topic | None, language: str) -> dict[str, str]:
    terms = glossary_for(paper.abstract, language)
    return {
        "language": language_name(language),
        "topic": as_data(_topic_line(topic)),
        "title": as_data(paper.title),
        "abstract": as_data(paper.abstract),
        "glossary": (
            "\n- Use these standard terms: " + "; ".join(f"{e} = {t}" for e, t in terms) + "."
            if terms
            else ""
        ),
    }


def _messages(
    task: str, paper: Paper, topic: Topic | None, language: str, version: str
) -> list[Message]:
    template = load_template(version)
    values = _values(paper, topic, language)
    return [
        {"role": "system", "content": fill(template["system"], values)},
        {"role": "user", "content": fill(template[task], values)},
    ]


def translate_messages(paper: Paper, language: str, version: str = PROMPT_VERSION) -> list[Message]:
    """The first call: the whole abstract translated, as plain text."""
    return _messages("translate", paper, None, language, version)


def summarise_messages(
    paper: Paper, topic: Topic | None, language: str, version: str = PROMPT_VERSION
) -> list[Message]:
    """The second call: Summary and Key Takeaways as JSON, written from the abstract. Its
    system message and paper block are the first call's, so a local model reuses them."""
    return _messages("summarise", paper, topic, language, version)


def repair_messages(
    messages: list[Message],
    answer: str,
    problem: str,
    language: str,
    version: str = PROMPT_VERSION,
    section: str = "repair summary",
) -> list[Message]:
    """The conversation extended by the rejected answer and what was wrong with it."""
    note = fill(
        load_template(version)[section], {"problem": problem, "language": language_name(language)}
    )
    return [
        *messages,
        {"role": "assistant", "content": answer[:4000]},
        {"role": "user", "content": note},
    ]


def more_takeaways_messages(
    messages: list[Message],
    answer: str,
    takeaways: tuple[str, ...],
    count: int,
    language: str,
    version: str = PROMPT_VERSION,
) -> list[Message]:
    """The conversation extended by an answer with too few takeaways and a request for
    ``count`` more."""
    values = {
        "count": str(count),
        "language": language_name(language),
        "takeaways": "\n".join(f"- {as_data(t)}" for t in takeaways) or "- (none)",
    }
    note = fill(load_template(version)["more takeaways"], values)
    return [
        *messages,
        {"role": "assistant", "content": answer[:4000]},
        {"role": "user", "content": note},
    ]
