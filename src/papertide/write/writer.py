"""One write-up from any chat backend: one call, one repair attempt, then a recorded failure.

A backend only turns chat messages into text (`ChatBackend`); `LLMWriter` owns the prompt,
the validation and the usage counts, so the OpenAI-compatible and the local backend behave the
same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from papertide.errors import WriteupFailedError
from papertide.llm import ChatBackend, Completion, Message
from papertide.records import Paper, Topic, Writeup
from papertide.write.prompt import (
    PROMPT_VERSION,
    WRITEUP_SCHEMA,
    build_messages,
    repair_messages,
)
from papertide.write.validate import InvalidAnswer, check_draft, parse_answer


@dataclass(slots=True)
class Usage:
    """What the LLM calls of one run cost."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    def add(self, completion: Completion, seconds: float) -> None:
        self.calls += 1
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.seconds += seconds

    def cost(self, price_input_per_1k: float, price_output_per_1k: float) -> float:
        return (
            self.prompt_tokens * price_input_per_1k + self.completion_tokens * price_output_per_1k
        ) / 1000


class LLMWriter:
    """The `Writer` for every chat backend."""

    def __init__(self, backend: ChatBackend, prompt_version: str = PROMPT_VERSION) -> None:
        self.backend = backend
        self.model = backend.name
        self.concurrency = backend.concurrency
        self.prompt_version = prompt_version
        self.usage = Usage()
        self._lock = threading.Lock()

    def _call(self, messages: list[Message]) -> Completion:
        import time

        started = time.monotonic()
        completion = self.backend.complete(messages, WRITEUP_SCHEMA)
        with self._lock:
            self.usage.add(completion, time.monotonic() - started)
        return completion

    def write(self, paper: Paper, topic: Topic | None, language: str) -> Writeup:
        """Raises WriteupFailedError when the answer stays unusable after one repair, and
        LLMError when the backend cannot be reached."""
        messages = build_messages(paper, topic, language, self.prompt_version)
        answer = self._call(messages).text
        try:
            draft = parse_answer(answer, language, paper.abstract)
        except InvalidAnswer as first:
            retry = repair_messages(messages, answer, str(first), language, self.prompt_version)
            answer = self._call(retry).text
            try:
                draft = parse_answer(answer, language, paper.abstract)
            except InvalidAnswer as second:
                raise WriteupFailedError(f"{second} (also before the repair: {first})") from None
        return Writeup(
            arxiv_id=paper.arxiv_id,
            version=paper.version,
            language=language,
            model=self.model,
            prompt_version=self.prompt_version,
            translation=draft.translation,
            summary=draft.summary,
            takeaways=draft.takeaways,
            flags=check_draft(draft, paper.abstract, paper.title),
        )
