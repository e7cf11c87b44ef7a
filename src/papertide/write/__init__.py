"""The write stage: translation, Summary and Key Takeaways from an LLM, one call per paper.

Backends: ``openai`` (any OpenAI-compatible chat-completions endpoint), ``local`` (a GGUF
model run with llama-cpp-python) and ``none`` (pages are published without the LLM sections
and say so). ``auto``, the default, is ``local`` when llama-cpp-python is installed and the
default model has been assembled (``papertide model assemble``), else ``none``.

Every backend is wrapped by `LLMWriter`, which builds the prompt (``prompt.py``, versioned
templates in ``prompts/``), validates and normalises the JSON answer (``validate.py``) and
makes one repair attempt. Write-ups are cached in the store by (paper version, backend+model,
prompt version, language), so nothing is paid for twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from papertide.config import LLMConfig
from papertide.records import Paper, Topic, Writeup
from papertide.write.prompt import PROMPT_VERSION
from papertide.write.writer import ChatBackend, LLMWriter, Usage

__all__ = [
    "PROMPT_VERSION",
    "Usage",
    "Writer",
    "disabled_note",
    "make_chat_backend",
    "make_writer",
    "resolve_backend",
]


class Writer(Protocol):
    model: str  # identifies the model in the cache key, e.g. "openai:gpt-4o-mini"
    concurrency: int  # how many papers may be written at once
    usage: Usage  # calls and tokens so far

    def write(self, paper: Paper, topic: Topic | None, language: str) -> Writeup: ...


def resolve_backend(config: LLMConfig) -> str:
    """The backend a config means: ``auto`` becomes ``local`` or ``none``."""
    if config.backend != "auto":
        return config.backend
    from papertide.write.local import llama_cpp_installed, local_model_path

    if llama_cpp_installed() and (
        config.model_path is not None or local_model_path(config).is_file()
    ):
        return "local"
    return "none"


def make_chat_backend(config: LLMConfig, base_dir: Path | None = None) -> ChatBackend | None:
    """The configured chat backend (for write-ups and the selection judge), or None when no
    LLM is configured. Raises LLMError when the backend cannot be set up (llama-cpp-python
    missing, model file absent)."""
    backend = resolve_backend(config)
    if backend == "none":
        return None
    if backend == "openai":
        from papertide.write.openai import OpenAIBackend

        return OpenAIBackend(config)
    from papertide.write.local import LocalBackend

    return LocalBackend(config, base_dir)


def make_writer(config: LLMConfig, base_dir: Path | None = None) -> Writer | None:
    """The configured writer, or None when write-ups are off."""
    backend = make_chat_backend(config, base_dir)
    return LLMWriter(backend) if backend else None


def disabled_note(config: LLMConfig) -> str | None:
    """What the pages say in place of the LLM sections, or None when a backend writes them."""
    if resolve_backend(config) != "none":
        return None
    if config.backend == "auto":
        return (
            "Translation, Summary and Key Takeaways are off: no LLM is configured (set [llm]"
            ' backend = "openai" in papertide.toml, or install papertide[local] and run'
            " `papertide model assemble`)."
        )
    return (
        "Translation, Summary and Key Takeaways are off: no LLM is configured "
        '(llm.backend = "none" in papertide.toml).'
    )
