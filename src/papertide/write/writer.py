"""One write-up from any chat backend: two calls, a repair for what was wrong, then a recorded
failure (and a sentence of the translation translated again when it lost a number).

A backend only turns chat messages into text (`ChatBackend`); `LLMWriter` owns the prompts,
the validation and the usage counts, so the OpenAI-compatible and the local backend behave the
same way. The first call translates the abstract (plain text: nothing for the model to escape,
nothing to get wrong but the translation); the second writes Summary and Key Takeaways as JSON
from the abstract, not from the translation, so they say it in other words. Both share the
system message and the paper block, which a local model evaluates once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from papertide.errors import WriteupFailedError
from papertide.llm import ChatBackend, Completion, Message
from papertide.records import Paper, Topic, Writeup
from papertide.write.prompt import (
    PROMPT_VERSION,
    more_takeaways_messages,
    more_takeaways_schema,
    repair_messages,
    summarise_messages,
    summary_schema,
    translate_messages,
)
from papertide.write.validate import (
    MIN_TAKEAWAYS,
    Draft,
    InvalidAnswer,
    TooFewTakeaways,
    TooLong,
    TooShort,
    check_draft,
    join_sentences,
    least_tokens,
    names_to_keep,
    normalise_takeaways,
    numbers_lost,
    parse_more_takeaways,
    parse_summary,
    parse_translation,
    split_sentences,
)

T = TypeVar("T")


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

    @property
    def seconds_per_writeup(self) -> float:
        """Two calls of the backend's typical length."""
        return 2 * self.backend.typical_seconds

    def _call(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None,
        latin: tuple[str, ...] | None = None,
        strict: bool = False,
        least: int = 0,
    ) -> str:
        started = time.monotonic()
        completion = self.backend.complete(messages, schema, latin, strict, least)
        with self._lock:
            self.usage.add(completion, time.monotonic() - started)
        return completion.text

    def write(self, paper: Paper, topic: Topic | None, language: str) -> Writeup:
        """Raises WriteupFailedError when an answer stays unusable after its repair, and
        LLMError when the backend cannot be reached."""
        draft = Draft(self._translate(paper, language), *self._summarise(paper, topic, language))
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

    def _translate(self, paper: Paper, language: str) -> str:
        messages = translate_messages(paper, language, self.prompt_version)
        # In a language with its own script, English is kept only for the abstract's names.
        latin = names_to_keep(paper.abstract, language)
        # Held to a length where it can be: a small model sometimes ends after a title.
        answer = self._call(messages, None, latin, least=least_tokens(paper.abstract, language))

        def parse(_conversation: list[Message], text: str) -> str:
            return parse_translation(text, language, paper.abstract)

        try:
            translation = parse(messages, answer)
        except (TooShort, TooLong) as wrong:
            # A title, the glossary echoed or a run-on: asked again in the same conversation,
            # the model wrote the same title again.
            return self._by_sentence(paper, language, latin, wrong)
        except InvalidAnswer as first:
            return self._repaired(
                messages, answer, first, None, parse, language, "translation", latin
            )
        return self._numbers_restored(paper, translation, language, latin)

    def _sentence(
        self, paper: Paper, sentence: str, language: str, latin: tuple[str, ...] | None
    ) -> str:
        """One sentence of the abstract translated on its own (InvalidAnswer if unusable)."""
        messages = translate_messages(
            replace(paper, abstract=sentence), language, self.prompt_version
        )
        answer = self._call(messages, None, latin, least=least_tokens(sentence, language))
        return parse_translation(answer, language, sentence)

    def _by_sentence(
        self, paper: Paper, language: str, latin: tuple[str, ...] | None, wrong: InvalidAnswer
    ) -> str:
        """The repair of a translation far too short (a title, or the prompt's glossary,
        instead of the abstract) or too long (run on past its end): every sentence of the
        abstract translated on its own."""
        sentences = split_sentences(paper.abstract)
        translated = []
        for index, sentence in enumerate(sentences, 1):
            try:
                translated.append(self._sentence(paper, sentence, language, latin))
            except InvalidAnswer as problem:
                raise WriteupFailedError(
                    f"{wrong} (translated sentence by sentence, sentence {index} of "
                    f"{len(sentences)}: {problem})"
                ) from None
        return join_sentences(translated)

    def _numbers_restored(
        self, paper: Paper, translation: str, language: str, latin: tuple[str, ...] | None
    ) -> str:
        """The translation with each sentence that lost a number of the abstract translated
        again on its own, when the two texts' sentences pair up one to one (a small model
        sometimes drops a clause such as "comprising 613,078 pairs"; asked again in the same
        conversation, it repeats its sentence). The new sentence is kept when it keeps more
        of the numbers."""
        lost = set(numbers_lost(paper.abstract, translation))
        english, translated = split_sentences(paper.abstract), split_sentences(translation)
        if not lost or len(english) != len(translated):
            return translation
        for index, sentence in enumerate(english):
            missing = [n for n in numbers_lost(sentence, translated[index]) if n in lost]
            if not missing or numbers_lost(translated[index], sentence):
                continue  # nothing lost here, or a number of another sentence: not its pair
            try:
                again = self._sentence(paper, sentence, language, latin)
            except InvalidAnswer:
                continue
            if len(split_sentences(again)) <= 2 and len(numbers_lost(sentence, again)) < len(
                missing
            ):
                translated[index] = again
        return join_sentences(translated)

    def _summarise(
        self, paper: Paper, topic: Topic | None, language: str
    ) -> tuple[str, tuple[str, ...]]:
        messages = summarise_messages(paper, topic, language, self.prompt_version)
        schema = summary_schema(language)
        # Freely decoded, a summary too keeps English only for the abstract's names.
        answer = self._call(messages, schema, names_to_keep(paper.abstract, language))

        if self.backend.decodes_freely:
            try:
                return parse_summary(answer, language, paper.abstract)
            except InvalidAnswer:
                # Decoded freely for speed: an unusable answer is asked for again under the
                # schema, as every answer was before (then repaired as any other answer).
                answer = self._call(messages, schema, strict=True)

        def settled(conversation: list[Message], text: str) -> tuple[str, tuple[str, ...]]:
            """The answer parsed, and topped up when it is short of takeaways."""
            try:
                return parse_summary(text, language, paper.abstract)
            except TooFewTakeaways as short:
                return self._topped_up(conversation, text, short, language, paper.abstract)

        try:
            return settled(messages, answer)
        except InvalidAnswer as first:
            return self._repaired(messages, answer, first, schema, settled, language, "summary")

    def _topped_up(
        self,
        messages: list[Message],
        answer: str,
        short: TooFewTakeaways,
        language: str,
        abstract: str,
    ) -> tuple[str, tuple[str, ...]]:
        """A usable summary with too few takeaways: ask only for the takeaways that are
        missing, and one more, since a small model's extra point often repeats one it gave."""
        count = MIN_TAKEAWAYS - len(short.takeaways) + 1
        more = more_takeaways_messages(
            messages, answer, short.takeaways, count, language, self.prompt_version
        )
        answer = self._call(more, more_takeaways_schema(language, count), strict=True)
        try:
            added = parse_more_takeaways(answer, language, abstract)
        except InvalidAnswer as problem:
            raise WriteupFailedError(f"{short} (asking for {count} more: {problem})") from None
        takeaways = normalise_takeaways([*short.takeaways, *added])
        if len(takeaways) < MIN_TAKEAWAYS:
            raise WriteupFailedError(f"{short} (also after asking for {count} more)") from None
        return short.summary, takeaways

    def _repaired(
        self,
        messages: list[Message],
        answer: str,
        problem: InvalidAnswer,
        schema: dict[str, Any] | None,
        parse: Callable[[list[Message], str], T],
        language: str,
        part: str,
        latin: tuple[str, ...] | None = None,
    ) -> T:
        """The one repair of a rejected answer, decoded under the schema: the conversation
        goes on with the answer and what was wrong with it, and ``parse`` reads the new answer
        in it; WriteupFailedError when the new answer is unusable too."""
        retry = repair_messages(
            messages, answer, str(problem), language, self.prompt_version, f"repair {part}"
        )
        try:
            return parse(retry, self._call(retry, schema, latin, strict=True))
        except InvalidAnswer as second:
            raise WriteupFailedError(f"{second} (also before the repair: {problem})") from None
