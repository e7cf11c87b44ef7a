"""The write stage: translation, Summary and Key Takeaways from an LLM, two calls per paper.

The backends are in ``papertide.llm``; with ``none``, pages are published without the LLM
sections and say so. Every backend is wrapped by `LLMWriter`, which builds the prompts
(``prompt.py``, versioned templates in ``prompts/``), validates and normalises the answers
(``validate.py``) and repairs what was wrong. Write-ups are cached in the store by (paper
version, backend+model, prompt version, language), so nothing is paid for twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from papertide.config import LLMConfig
from papertide.llm import make_backend, resolve_backend
from papertide.records import Paper, Topic, Writeup
from papertide.write.prompt import PROMPT_VERSION
from papertide.write.writer import LLMWriter, Usage

__all__ = [
    "PROMPT_VERSION",
    "Usage",
    "Writer",
    "disabled_note",
    "estimate",
    "make_writer",
]


class Writer(Protocol):
    model: str  # identifies the model in the cache key, e.g. "openai:gpt-4o-mini"
    concurrency: int  # how many papers may be written at once
    usage: Usage  # calls and tokens so far

    @property
    def seconds_per_writeup(self) -> float: ...  # for the estimate a run shows up front

    def write(self, paper: Paper, topic: Topic | None, language: str) -> Writeup: ...


def make_writer(config: LLMConfig, base_dir: Path | None = None) -> Writer | None:
    """The configured writer, or None when write-ups are off."""
    backend = make_backend(config, base_dir)
    return LLMWriter(backend) if backend else None


def estimate(count: int, writer: Writer) -> str:
    """What a run says before it writes: how many write-ups and about how long they take."""
    seconds = count * writer.seconds_per_writeup / max(1, writer.concurrency)
    took = f"{seconds:.0f} seconds" if seconds < 90 else f"{seconds / 60:.0f} minutes"
    each = f"{writer.seconds_per_writeup:.0f} s each"
    return f"about {took} for {count} write-up{'s' if count != 1 else ''} ({each}, {writer.model})"


def disabled_note(config: LLMConfig) -> str | None:
    """What the pages say in place of the LLM sections, or None when a backend writes them."""
    if resolve_backend(config) != "none":
        return None
    if config.backend == "auto":
        return (
            "Translation, Summary and Key Takeaways are off: no LLM is configured (set [llm]"
            " backend = \"openai\" in papertide.toml, or pip install 'papertide[local]')."
        )
    return (
        "Translation, Summary and Key Takeaways are off: no LLM is configured "
        '(llm.backend = "none" in papertide.toml).'
    )
