"""Skills-to-goals fit from sentence embeddings (the default :class:`FitModel`).

Each skill and each goal phrase is embedded once with all-MiniLM-L6-v2 (rooms/programmes/
minilm.py) and kept in a per-instance cache keyed by the text. The fit of a (mentor,
mentee) pair is the mean, over the mentee's goals, of the best cosine similarity with one
of the mentor's skills, clipped to [0, 1]: a goal met by one skill counts fully, and a
mentor with many skills is not diluted by the ones nobody asked for. Related phrases with
no word in common ("machine learning" ~ "ML models and neural networks") score as related,
which the lexical model cannot do.

The model is loaded lazily, once per process (the weights are read-only), and never from a
network. If it cannot be loaded (package not installed, files damaged) the reason is logged
once and :class:`LexicalFit` scores instead; ``name`` then says so, and every matching
records the model that scored it.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from rooms.programmes.fit import LexicalFit
from rooms.programmes.minilm import MODEL_NAME, MiniLM, model_dir

log = logging.getLogger(__name__)

LINK_MIN = 0.45  # a skill and a goal this similar are named in the explanation
CACHE_MAX = 50_000  # texts (1.5 kB each); the cache starts over past this
Vectors = npt.NDArray[np.float32]


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> Vectors:
        ...


@functools.cache
def packaged_minilm() -> Encoder:
    """The packaged model, loaded once per process (its weights are never written)."""
    return MiniLM(model_dir())


def _phrases(lists: Sequence[Sequence[str]]) -> tuple[list[str], list[int], list[int]]:
    """Every non-blank phrase, each owner's first index, the owners that have phrases."""
    flat: list[str] = []
    starts: list[int] = []
    owners: list[int] = []
    for owner, phrases in enumerate(lists):
        kept = [p.strip() for p in phrases if p.strip()]
        if kept:
            starts.append(len(flat))
            owners.append(owner)
            flat.extend(kept)
    return flat, starts, owners


class EmbeddingFit:
    """Mean over goals of the best skill's cosine similarity, from sentence embeddings."""

    def __init__(self, load: Callable[[], Encoder] = packaged_minilm) -> None:
        self._load = load
        self._encoder: Encoder | None = None
        self.unavailable: str | None = None  # why the model could not be loaded
        self._fallback = LexicalFit()
        self._cache: dict[str, Vectors] = {}
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        if self.unavailable is not None:
            return f"{self._fallback.name} (embedding model unavailable)"
        return f"embedding {MODEL_NAME}"

    def encoder(self) -> Encoder | None:
        """The model, loading it on first use; None (reason logged once) if it cannot."""
        with self._lock:
            if self._encoder is None and self.unavailable is None:
                try:
                    self._encoder = self._load()
                except Exception as failure:  # any reason at all means: use the fallback
                    self.unavailable = f"{type(failure).__name__}: {failure}"
                    log.warning("sentence-embedding model not loaded (%s); skills are "
                                "matched to goals by shared words instead", self.unavailable)
            return self._encoder

    def embed(self, texts: Sequence[str]) -> Vectors:
        """The unit vectors of ``texts``, computing only the ones not cached yet."""
        encoder = self.encoder()
        if encoder is None:
            raise RuntimeError(f"the embedding model is unavailable: {self.unavailable}")
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                if len(self._cache) + len(missing) > CACHE_MAX:
                    self._cache.clear()
                for text, vector in zip(missing, encoder.encode(missing), strict=True):
                    self._cache[text] = vector
            out = np.zeros((len(texts), 384), dtype=np.float32)
            for row, text in enumerate(texts):
                out[row] = self._cache[text]
        return out

    def fit_matrix(self, skills: Sequence[Sequence[str]],
                   goals: Sequence[Sequence[str]]) -> npt.NDArray[np.float64]:
        if self.encoder() is None:
            return self._fallback.fit_matrix(skills, goals)
        fit = np.zeros((len(skills), len(goals)), dtype=np.float64)
        skill_texts, skill_starts, mentors = _phrases(skills)
        goal_texts, goal_starts, mentees = _phrases(goals)
        if not mentors or not mentees:
            return fit
        similar = np.clip(self.embed(goal_texts) @ self.embed(skill_texts).T, 0.0, 1.0)
        best = np.maximum.reduceat(similar, skill_starts, axis=1)  # goal x mentor
        counts = np.diff([*goal_starts, len(goal_texts)])
        mean = np.add.reduceat(best, goal_starts, axis=0) / counts[:, None]  # mentee x mentor
        fit[np.ix_(mentors, mentees)] = mean.T
        return fit

    def link(self, skills: Sequence[str], goals: Sequence[str]) -> tuple[str, str] | None:
        """The most similar (skill, goal), if they are clearly related."""
        if self.encoder() is None:
            return self._fallback.link(skills, goals)
        skill_texts = [s for s in skills if s.strip()]
        goal_texts = [g for g in goals if g.strip()]
        if not skill_texts or not goal_texts:
            return None
        similar = self.embed(skill_texts) @ self.embed(goal_texts).T
        i, j = np.unravel_index(int(np.argmax(similar)), similar.shape)
        if similar[i, j] < LINK_MIN:
            return None
        return skill_texts[int(i)], goal_texts[int(j)]
