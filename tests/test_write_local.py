"""The real local model (llama-cpp-python + the assembled Qwen2.5-Coder-1.5B GGUF) writing one
real abstract of the bulk file in Simplified Chinese. Under a minute on 2 idle cores; skips,
saying why, when llama-cpp-python or the assembled model is absent (`.ci/local-llm` sets both
up in CI)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from papertide.config import LLMConfig
from papertide.fetch import read_papers
from papertide.llm import model as local_model
from papertide.records import Topic
from papertide.write import make_writer
from papertide.write.validate import (
    MAX_TAKEAWAYS,
    MIN_TAKEAWAYS,
    names_to_keep,
    numbers_in,
    script_ratio,
)

# Read when the module is imported, before conftest points the cache at an empty folder.
REAL_MODEL = local_model.default_model_path()
PAPER_ID = "2606.14721"  # DC-Motion: text-to-motion generation, with numbers in its abstract


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
