"""The numpy all-MiniLM-L6-v2 against vectors computed with sentence-transformers.

minilm_reference.json was made once, outside this project, with sentence-transformers on
PyTorch from the same package (its ``made_with`` field says how): the numpy forward pass
must give the same unit vectors, whatever the batch and its padding.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rooms.programmes.minilm import MiniLM, model_dir

REFERENCE = json.loads((Path(__file__).parent / "minilm_reference.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def model() -> MiniLM:
    return MiniLM(model_dir())


def test_vectors_equal_sentence_transformers_ones(model: MiniLM) -> None:
    texts: list[str] = REFERENCE["texts"]
    expected = np.array(REFERENCE["embeddings"], dtype=np.float32)
    together = model.encode(texts)  # one batch: short texts padded to the longest
    assert np.abs(together - expected).max() < 1e-4
    reversed_ = model.encode(texts[::-1])[::-1]
    alone = np.stack([model.encode([t])[0] for t in texts])
    assert np.abs(reversed_ - expected).max() < 1e-4
    assert np.abs(alone - expected).max() < 1e-4
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_batches_beyond_one_keep_the_order(model: MiniLM) -> None:
    texts = [f"skill number {k} in {'long ' * (k % 9)}words" for k in range(150)]
    batched = model.encode(texts)
    for k in (0, 63, 64, 149):
        assert np.abs(batched[k] - model.encode([texts[k]])[0]).max() < 1e-4


def test_an_empty_list_gives_no_vectors(model: MiniLM) -> None:
    assert model.encode([]).shape == (0, 384)


def test_the_model_loads_with_no_network_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network used while loading the model: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    offline = MiniLM(model_dir())
    assert "site-packages" in str(model_dir())
    vector = offline.encode(["machine learning"])[0]
    assert np.abs(vector - np.array(REFERENCE["embeddings"][0])).max() < 1e-4
