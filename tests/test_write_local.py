"""The real local model (llama-cpp-python + the assembled Qwen2.5-Coder-1.5B GGUF) writing one
real abstract of the bulk file in Simplified Chinese. Under a minute on 2 idle cores; skips,
saying why, when llama-cpp-python or the assembled model is absent (`.ci/local-llm` sets both
up in CI)."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from papertide.config import LLMConfig
from papertide.fetch import read_papers
from papertide.llm import model as local_model
from papertide.records import Paper, Topic
from papertide.write import make_writer
from papertide.write.prompt import summary_schema, translate_messages
from papertide.write.validate import (
    MAX_TAKEAWAYS,
    MIN_TAKEAWAYS,
    TooShort,
    least_tokens,
    names_to_keep,
    numbers_in,
    parse_translation,
    script_ratio,
)
from papertide.write.writer import LLMWriter

# Read when the module is imported, before conftest points the cache at an empty folder.
REAL_MODEL = local_model.default_model_path()
PAPER_ID = "2606.14721"  # DC-Motion: text-to-motion generation, with numbers in its abstract
RSS = "arxiv/rss/aioarxiv_jmmeus/rss_mock_feed.xml"
TITLED_ID = "2411.17763"  # Reflect3D: free to end, the model translates it as a title


@pytest.fixture
def model_path() -> Path:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'papertide[local]')")
    if not local_model.is_assembled(REAL_MODEL):
        pytest.skip(
            f"the default model is not assembled at {REAL_MODEL} (papertide model assemble)"
        )
    return REAL_MODEL


def test_real_local_model_writes_valid_chinese(model_path: Path, shared_data: Path) -> None:
    bulk = shared_data / "arxiv" / "bulk" / "papers_2026-06-16_to_07-01.jsonl"
    paper = next(p for p in read_papers(bulk) if p.arxiv_id == PAPER_ID)
    writer = make_writer(LLMConfig(backend="local", model_path=model_path, temperature=0.0))
    assert writer is not None and writer.model == f"local:{model_path.stem}"
    topic = Topic(slug="motion", name="Human Motion Generation")
    writeup = writer.write(paper, topic, "zh-CN")
    assert 2 <= writer.usage.calls <= 4  # translation and summary, each repaired at most once
    assert MIN_TAKEAWAYS <= len(writeup.takeaways) <= MAX_TAKEAWAYS
    assert not any(t[:2].rstrip(".、) ").isdigit() for t in writeup.takeaways)  # no "1." left
    for text in (writeup.translation, writeup.summary, *writeup.takeaways):
        assert (script_ratio(text, "zh-CN") or 0) >= 0.35, text
    assert len(writeup.translation) > 100  # the whole abstract, not a line
    # Any number the model wrote that the abstract lacks is flagged, never silently kept.
    unknown = (
        numbers_in(" ".join((writeup.summary, *writeup.takeaways)))
        - numbers_in(f"{paper.title} {paper.abstract}".replace(",", ""))
        - numbers_in(f"{paper.title} {paper.abstract}")
    )
    assert not unknown or any("numbers not in the abstract" in f for f in writeup.flags)
    # So is any number of the abstract that the translation lost.
    translated = numbers_in(writeup.translation) | numbers_in(writeup.translation.replace(",", ""))
    dropped = numbers_in(paper.abstract) - translated
    assert not dropped or any("numbers missing from the translation" in f for f in writeup.flags)
    # English stays only where the abstract has a name, acronym, math or URL: no ordinary
    # English word is left untranslated.
    kept = " ".join(names_to_keep(paper.abstract, "zh-CN") or ())
    left = [w for w in re.findall(r"[A-Za-z]+", writeup.translation) if w not in kept]
    assert not left, left


def test_the_latin_filter_holds_the_model_to_the_names(model_path: Path) -> None:
    from papertide.llm.local import LocalBackend

    backend = LocalBackend(LLMConfig(backend="local", model_path=model_path, max_tokens=256))
    asked = [{"role": "user", "content": "用一句中文介绍 DINOv2 and C++ (answer in Chinese)."}]
    names = ("DINOv2", "C++", "$\\mathcal{L}_{KL}$")
    answer = backend.complete(asked, None, names).text
    assert answer.strip()
    # Every Latin letter it wrote belongs to an allowed name.
    allowed = " ".join(names)
    assert all(w in allowed for w in re.findall(r"[A-Za-z]+", answer)), answer
    # Without the filter the same question is answered with English words in it.
    free = backend.complete(asked, None, None).text
    assert any(w not in allowed for w in re.findall(r"[A-Za-z]+", free)), free


def test_the_real_model_held_to_a_length_translates_what_it_would_end_after_a_title(
    model_path: Path, shared_data: Path
) -> None:
    from papertide.llm.local import LocalBackend

    paper = next(p for p in read_papers(shared_data / RSS) if p.arxiv_id == TITLED_ID)
    backend = LocalBackend(LLMConfig(backend="local", model_path=model_path))
    messages = translate_messages(paper, "zh-CN")
    names = names_to_keep(paper.abstract, "zh-CN")
    free = backend.complete(messages, None, names).text
    with pytest.raises(TooShort):  # "反射3D：单图像3D生成的显著优势" and nothing more
        parse_translation(free, "zh-CN", paper.abstract)
    held = backend.complete(messages, None, names, least=least_tokens(paper.abstract, "zh-CN"))
    translation = parse_translation(held.text, "zh-CN", paper.abstract)
    assert len(translation) > len(paper.abstract) / 5  # every sentence, not a line
    assert "Reflect3D" in translation and "RGB" in translation
    assert not translation.startswith(free)  # the title it wrote first is dropped


class _ScriptedLlama:
    """Answers each completion with the next scripted text; records how it was asked. A
    scripted answer to a free JSON call is the whole object: the start the backend wrote for
    the model is taken off it, and an answer stopped before its end goes on in the next call
    while it starts as that call's prompt ends (else the next answer is taken)."""

    metadata = {
        "tokenizer.chat_template": (
            "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}<assistant>"
        )
    }

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[dict[str, object]] = []
        self.prompts: list[str] = []
        self.writing = ""
        self.stopped = False  # the first answer was stopped before its end
        self._model = self

    # A two-token vocabulary for the Latin filter: "a" and "的".
    def n_vocab(self) -> int:
        return 2

    def detokenize(self, tokens: list[int]) -> bytes:
        # Tokens from 1000 on are the characters of the answer being written.
        return "".join(self.writing[t - 1000] if t >= 1000 else "a的"[t] for t in tokens).encode()

    def tokenize(self, text: bytes, add_bos: bool, special: bool) -> list[int]:
        if special:  # a prompt
            self.prompts.append(text.decode())
        return [0] if text.strip() else []

    def token_eos(self) -> int:
        return 1

    def token_bos(self) -> int:
        return 1

    def token_get_text(self, token: int) -> str:
        return "</s>"

    def create_chat_completion(self, **kwargs: object) -> dict[str, object]:
        self.asked.append(kwargs)
        text = self.answers.pop(0)
        usage = {"prompt_tokens": 100, "completion_tokens": len(text)}
        return {"choices": [{"message": {"content": text}}], "usage": usage}

    def create_completion(self, **kwargs: object) -> dict[str, object]:
        self.asked.append({**kwargs, "response_format": None})
        start = self.prompts[-1].rpartition("<assistant>")[2]
        if self.stopped and not self.answers[0].startswith(start):
            self.answers.pop(0)
        text = self.answers[0].removeprefix(start)
        stop: Any = kwargs.get("stopping_criteria")
        # Written a character a token after the prompt's one token, until told to stop.
        self.writing = text
        self.stopped = False
        for end in range(1, len(text) + 1):
            if stop is not None and stop(np.array([0, *range(1000, 1000 + end)]), None):
                text, self.stopped = text[:end], end < len(text)
                break
        if not self.stopped:
            self.answers.pop(0)
        usage = {"prompt_tokens": 100, "completion_tokens": len(text)}
        return {"choices": [{"text": text}], "usage": usage}


TINY_PAPER = Paper("2606.00001", 1, "A method", (), "We propose a method.", ("cs.CV",))
GOOD = '{"summary": "本文。", "result": "结果。", "takeaways": ["一", "二", "三"]}'


def _scripted(tmp_path: Path, *answers: str) -> tuple[Any, _ScriptedLlama]:
    """A local backend whose model is the script (llama-cpp-python must be installed)."""
    from papertide.llm.local import LatinFilter, LocalBackend

    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'papertide[local]')")
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF")
    backend = LocalBackend(LLMConfig(backend="local", model_path=gguf))
    backend._llama = llama = _ScriptedLlama(*answers)
    backend._filter = LatinFilter(llama, ends=[1])
    return backend, llama


def test_an_answer_to_a_schema_is_decoded_freely_unless_strict(tmp_path: Path) -> None:
    backend, llama = _scripted(tmp_path, GOOD, GOOD)
    asked = [{"role": "user", "content": "..."}]
    assert backend.decodes_freely
    assert backend.complete(asked, summary_schema("zh-CN")).text == GOOD
    assert llama.asked[0]["response_format"] is None  # twice as fast
    backend.complete(asked, summary_schema("zh-CN"), strict=True)
    assert llama.asked[-1]["response_format"] is not None  # under the schema's grammar


def test_a_plain_answer_held_to_a_length_cannot_end_before_it(tmp_path: Path) -> None:
    backend, llama = _scripted(tmp_path, "本文提出了一种新方法。", "本文。")
    backend.complete([{"role": "user", "content": "..."}], None, None, least=2)
    (hold,) = llama.asked[0]["logits_processor"]  # type: ignore[misc]
    # Token 1 ends an answer: barred for the first two tokens, then free.
    steps = [list(hold(None, np.ones(2))) for _ in range(3)]
    assert steps == [[1.0, -np.inf], [1.0, -np.inf], [1.0, 1.0]]
    backend.complete([{"role": "user", "content": "..."}], None, None)
    assert not llama.asked[1]["logits_processor"]  # not held, unless asked


def test_a_free_answer_starts_as_the_schema_does(tmp_path: Path) -> None:
    backend, llama = _scripted(tmp_path, GOOD)
    asked = [{"role": "user", "content": "..."}]
    assert backend.complete(asked, summary_schema("zh-CN")).text == GOOD
    # The model's answer starts after the object's first key, written in its prompt...
    assert llama.prompts[0] == '<user>...<assistant>{"summary": "'
    # ...and its first token must be a letter of the language's script, as under the schema;
    # the tokens after it are free.
    (first,) = llama.asked[0]["logits_processor"]  # type: ignore[misc]
    assert list(first(None, np.ones(2))) == [-np.inf, 1.0]  # "a" barred, "的" kept
    assert list(first(None, np.ones(2))) == [1.0, 1.0]


@pytest.mark.parametrize(
    "free",
    [
        [
            '{"summary": "本文。", "result": "好。", "takeaways": ["一", "二", "三三三三三三'
        ],  # loops
        ['{"summary": "本文", "takeaways": "一、二、三"}'],  # closed by itself, the wrong shape
        [
            '{"summary": "This paper.", "result": "好。", "takeaways": ["一", "二", "三"]}'
        ],  # English
        [  # too few takeaways, and another point written in English
            '{"summary": "本文。", "result": "好。", "takeaways": ["一"]}',
            '{"summary": "本文。", "result": "好。", "takeaways": ["一", "Two"]}',
        ],
    ],
)
def test_an_unusable_free_answer_is_asked_for_again_under_the_schema(
    tmp_path: Path, free: list[str]
) -> None:
    backend, llama = _scripted(tmp_path, "本文提出了一种新方法。", *free, GOOD)
    writer = LLMWriter(backend)
    writeup = writer.write(TINY_PAPER, None, "zh-CN")
    assert writeup.summary == "本文。结果。" and writeup.takeaways == ("一", "二", "三")
    strict = [a["response_format"] is not None for a in llama.asked]
    assert strict[-1] and not any(strict[:-1])  # the translation and the free answer: free
    assert writer.usage.calls == 3


def test_a_usable_free_answer_is_kept(tmp_path: Path) -> None:
    free = '{"summary": "本文。", "result": "好。", "takeaways": ["MINT 是一种方法。", "二", "三"]}'
    backend, llama = _scripted(tmp_path, "本文提出了一种新方法。", free)
    writer = LLMWriter(backend)
    writeup = writer.write(TINY_PAPER, None, "zh-CN")
    assert writeup.takeaways[0] == "MINT 是一种方法。"  # a name may come first
    assert writer.usage.calls == 2


def test_a_free_summary_and_result_are_closed_after_a_sentence_each(tmp_path: Path) -> None:
    # Asked for one sentence each, the model writes on: each string is closed for it after
    # its first sentence, and the next property opened, its first token held to the script as
    # the summary's was. (The model here writes on differently each time.)
    long = '{"summary": "一。二。三。", "result": "四。", "takeaways": ["甲", "乙", "丙"]}'
    more = '{"summary": "一。", "result": "五。六。", "takeaways": ["甲", "乙", "丙"]}'
    rest = '{"summary": "一。", "result": "五。", "takeaways": ["甲", "乙", "丙"]}'
    backend, llama = _scripted(tmp_path, long, more, rest)
    asked = [{"role": "user", "content": "..."}]
    answer = backend.complete(asked, summary_schema("zh-CN"))
    assert answer.text == rest
    assert llama.prompts[-2].endswith('<assistant>{"summary": "一。", "result": "')
    assert llama.prompts[-1].endswith('{"summary": "一。", "result": "五。", "takeaways": ["')
    assert all(a["logits_processor"] for a in llama.asked)
    assert answer.completion_tokens == len("一。") + len("五。") + len('甲", "乙", "丙"]}')


def test_a_sentence_ends_where_the_writer_would_split_it() -> None:
    from papertide.llm.local import sentence_cut

    start = len('{"summary": "')
    text = '{"summary": "We train on data, e.g. images, as in Li et al. 2024. It works. More'
    assert text[: sentence_cut(text, start, 2)].endswith("It works.")
    assert sentence_cut('{"summary": "一。二", "takeaways": ["三。四。', start, 2) is None  # closed


@pytest.mark.parametrize(
    ("free", "then", "resumed"),
    [
        (  # the model's third point is its first again, word for word
            '{"summary": "本文。", "result": "好。", "takeaways": ["的一", "二", "的一"]}',
            '{"summary": "本文。", "result": "好。", "takeaways": ["的一", "二", "三"]}',
            '"takeaways": ["的一", "二", "',
        ),
        (  # the model closed its takeaways after one point
            '{"summary": "本文。", "result": "好。", "takeaways": ["的一"]}',
            '{"summary": "本文。", "result": "好。", "takeaways": ["的一", "二", "三"]}',
            '"takeaways": ["的一", "',
        ),
    ],
)
def test_a_free_takeaway_written_again_or_missing_is_written_anew(
    tmp_path: Path, free: str, then: str, resumed: str
) -> None:
    # The answer goes on, once, from before the repeated point or the array's end, and the new
    # point may not begin as an earlier one did ("的" is barred for its first token, as "a"
    # always is in Chinese), instead of the whole answer being asked for again under the
    # grammar.
    backend, llama = _scripted(tmp_path, free, then)
    answer = backend.complete([{"role": "user", "content": "..."}], summary_schema("zh-CN"))
    assert answer.text == then
    assert llama.prompts[-1].endswith(resumed)
    (resumed_first,) = llama.asked[-1]["logits_processor"]  # type: ignore[misc]
    assert list(resumed_first(None, np.ones(2))) == [-np.inf, -np.inf]
    (free_first,) = llama.asked[0]["logits_processor"]  # type: ignore[misc]
    assert list(free_first(None, np.ones(2))) == [-np.inf, 1.0]
    assert all(a["response_format"] is None for a in llama.asked)
    items = '"takeaways": ["'
    written = len("本文。") + len("好。") + len(free) - free.index(items) - len(items)
    assert answer.completion_tokens == written + len(then) - then.index(resumed) - len(resumed)


def test_a_short_array_is_found_only_once_it_is_closed() -> None:
    from papertide.llm.local import short_array

    text = '{"t": ["一", "二"]}'
    assert short_array(text, text.index("一"), 3) == (text.index('"]'), ["一", "二"])
    assert short_array(text, text.index("一"), 2) is None
    assert short_array('{"t": ["一", "二', 7, 3) is None  # still being written


def test_repeated_points_are_found_only_when_a_whole_point_repeats() -> None:
    from papertide.llm.local import repeated_item

    text = '{"s": "x", "t": ["一", "二 三", "二  三", "四"]}'
    start = text.index("一")
    assert repeated_item(text, start) == (text.index("二  三"), ["一", "二 三"])
    assert repeated_item('["一", "二", "一', 2) is None  # still being written
    assert repeated_item('["一", "二"]', 2) is None


def test_a_free_summary_keeps_english_to_the_abstracts_names(tmp_path: Path) -> None:
    # The writer gives the summary call the abstract's names: decoded freely, the answer is
    # held to them (and to the keys it may write itself) by the same mask a translation is.
    backend, llama = _scripted(tmp_path, "本文提出了一种新方法。", GOOD)
    latin = backend._latin_filter()
    allowed: list[list[str]] = []
    build = latin.processor

    def recorded(names: Sequence[str]) -> Any:
        allowed.append(list(names))
        return build(names)

    latin.processor = recorded
    paper = Paper("2606.00001", 1, "A method", (), "We propose MINT, a method.", ("cs.CV",))
    LLMWriter(backend).write(paper, None, "zh-CN")
    assert allowed == [["MINT"], ["MINT", "summary", "result", "takeaways"]]  # translation, summary
    assert len(llama.asked[1]["logits_processor"]) == 2  # type: ignore[arg-type]
