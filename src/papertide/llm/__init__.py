"""LLM backends: one small interface, the built-in backends written against it.

``openai`` is any OpenAI-compatible chat-completions endpoint, ``local`` a GGUF model run
in-process with llama-cpp-python (the default model's files: ``model``). ``auto``, the default,
is ``local`` when llama-cpp-python is installed and the default model has been assembled
(``papertide model assemble``), else ``none``. A run builds one backend and hands it to the
selection judge and the writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from papertide.config import LLMConfig

__all__ = ["ChatBackend", "Completion", "Message", "Probe", "make_backend", "resolve_backend"]

Message = dict[str, str]


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Probe:
    """Whether a backend can answer, found without spending a completion (`papertide doctor`)."""

    ok: bool
    detail: str
    fix: str = ""


class ChatBackend(Protocol):
    name: str  # the cache key's model part, e.g. "openai:gpt-4o-mini", "local:qwen2.5-..."
    concurrency: int  # how many calls may run at once

    def complete(self, messages: list[Message], schema: dict[str, Any]) -> Completion: ...

    def probe(self, timeout: float) -> Probe: ...


def resolve_backend(config: LLMConfig) -> str:
    """The backend a config means: ``auto`` becomes ``local`` or ``none``."""
    if config.backend != "auto":
        return config.backend
    from papertide.llm.local import llama_cpp_installed, local_model_path

    if llama_cpp_installed() and (
        config.model_path is not None or local_model_path(config).is_file()
    ):
        return "local"
    return "none"


def make_backend(config: LLMConfig, base_dir: Path | None = None) -> ChatBackend | None:
    """The configured chat backend (for write-ups and the selection judge), or None when no
    LLM is configured. Raises LLMError when the backend cannot be set up (llama-cpp-python
    missing, model file absent)."""
    backend = resolve_backend(config)
    if backend == "none":
        return None
    if backend == "openai":
        from papertide.llm.openai import OpenAIBackend

        return OpenAIBackend(config)
    from papertide.llm.local import LocalBackend

    return LocalBackend(config, base_dir)
