"""The prompt: a versioned template file, the paper kept strictly as data, the JSON schema.

Templates live in ``prompts/v<N>.txt`` with ``### system``, ``### user`` and ``### repair``
sections and ``${name}`` placeholders. Changing a template means adding a new file and bumping
PROMPT_VERSION: the version is part of every write-up's cache key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from papertide.llm import Message
from papertide.records import Paper, Topic

PROMPT_VERSION = "1"

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

# The JSON the model must return; used for schema-constrained decoding where supported.
WRITEUP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "translation": {"type": "string"},
        "summary": {"type": "string"},
        "takeaways": {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 3,
            "maxItems": 7,
        },
    },
    "required": ["translation", "summary", "takeaways"],
    "additionalProperties": False,
}


def language_name(tag: str) -> str:
    """``zh-CN`` → ``Simplified Chinese (简体中文)``; an unknown tag is named as itself."""
    lower = tag.lower()
    return LANGUAGE_NAMES.get(lower) or LANGUAGE_NAMES.get(lower.split("-")[0]) or tag


_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    version: str
    system: str
    user: str
    repair: str


def fill(template: str, values: dict[str, str]) -> str:
    """Replace each ``${name}``; the values are inserted as they are, never scanned again."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


@cache
def load_template(version: str = PROMPT_VERSION) -> PromptTemplate:
    text = (
        resources.files("papertide.write")
        .joinpath("prompts", f"v{version}.txt")
        .read_text(encoding="utf-8")
    )
    sections: dict[str, str] = {}
    for block in re.split(r"^### ", text, flags=re.M)[1:]:
        name, _, body = block.partition("\n")
        sections[name.strip()] = body.strip()
    return PromptTemplate(version, sections["system"], sections["user"], sections["repair"])


def as_data(text: str) -> str:
    """The paper's text, unable to close or open the <paper> block (or its <title> and
    <abstract>) it is quoted in."""
    text = " ".join(text.split())
    return re.sub(r"<\s*(/?)\s*(paper|title|abstract)\s*>", r"[\1\2]", text, flags=re.I)


def _topic_line(topic: Topic | None) -> str:
    if topic is None:
        return "general arXiv digest"
    return f"{topic.name} — {topic.description}" if topic.description else topic.name


def build_messages(
    paper: Paper, topic: Topic | None, language: str, version: str = PROMPT_VERSION
) -> list[Message]:
    """The chat messages for one paper: the rules in the system message, the paper as data."""
    template = load_template(version)
    values = {
        "language": language_name(language),
        "summary_rule": "2 to 3 sentences",
        "topic": as_data(_topic_line(topic)),
        "title": as_data(paper.title),
        "abstract": as_data(paper.abstract),
    }
    return [
        {"role": "system", "content": fill(template.system, values)},
        {"role": "user", "content": fill(template.user, values)},
    ]


def repair_messages(
    messages: list[Message],
    answer: str,
    problem: str,
    language: str,
    version: str = PROMPT_VERSION,
) -> list[Message]:
    """The conversation extended by the rejected answer and what was wrong with it."""
    template = load_template(version)
    note = fill(template.repair, {"problem": problem, "language": language_name(language)})
    return [
        *messages,
        {"role": "assistant", "content": answer[:4000]},
        {"role": "user", "content": note},
    ]
