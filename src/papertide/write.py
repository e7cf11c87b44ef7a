"""The write stage: translation, Summary and Key Takeaways from an LLM, one call per paper.

Only the `none` backend exists so far: pages are published without the LLM sections and say
so. LLM backends implement `Writer`; their write-ups are cached in the store by
(paper version, model, prompt version, language).
"""

from __future__ import annotations

from typing import Protocol

from papertide.config import LLMConfig
from papertide.records import Paper, Topic, Writeup

PROMPT_VERSION = "1"


class Writer(Protocol):
    model: str  # identifies the model in the cache key, e.g. "openai:gpt-4o-mini"

    def write(self, paper: Paper, topic: Topic, language: str) -> Writeup: ...


def make_writer(config: LLMConfig) -> Writer | None:
    """The configured backend, or None when write-ups are off."""
    if config.backend == "none":
        return None
    raise NotImplementedError(config.backend)


def disabled_note(config: LLMConfig) -> str | None:
    """What the pages say in place of the LLM sections, or None when a backend writes them."""
    if config.backend == "none":
        return (
            "Translation, Summary and Key Takeaways are off: no LLM is configured "
            '(llm.backend = "none" in papertide.toml).'
        )
    return None
