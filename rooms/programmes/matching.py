"""Matching mentors to mentees: scores, the global optimum with capacities, explanations.

Score of a (mentor, mentee) pair, when the pair is allowed::

    FIT * fit + OVERLAP * min(overlap_h, OVERLAP_CAP_H) / OVERLAP_CAP_H
        + LANGUAGE * (a shared language) + preference bonus (mentee's 1st choice 0.6,
        2nd 0.4, 3rd 0.2) + FLOOR

A pair is not allowed (hard rules) if the mentor has no capacity, they share an exclusion
group (same manager, same department...), their weekly overlap is below the programme's
minimum, or (when the programme requires it) they have no language in common.

The assignment maximises the total score under the capacities with scipy's
``linear_sum_assignment`` on a mentee x mentor-seat matrix, each mentor's column repeated
once per free seat. This is exactly the max-weight b-matching that a min-cost flow would
solve (a bipartite graph with mentor capacities and mentee capacity one), chosen over
networkx's network simplex because the C implementation solves 1,000 x 1,200 seats in well
under a second where the pure-Python flow takes tens of seconds (bench/matching.py).
Forbidden pairs weigh 0 and every allowed pair more than 0, so an assignment to a 0 entry
is "unmatched" and the optimum is the best matching. Locked pairs are kept and use up their
mentor's seats; the rest is re-run around them. A mentor gets no more seats than mentees it
may be paired with, and a solve larger than ``MAX_SEAT_CELLS`` mentee x seat cells is
refused (``matching_too_large``) rather than allowed to take gigabytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

from rooms.programmes.embedding import EmbeddingFit
from rooms.programmes.errors import ProgrammeError
from rooms.programmes.fit import FitModel
from rooms.programmes.model import Matching, Pair, Participant, Programme, Role, Unmatched
from rooms.programmes.overlap import (
    describe,
    free_week,
    minute_grid,
    overlap_intervals,
    overlap_matrix,
    week_span,
)
from rooms.scheduling.timeline import ZoneTimeline

FIT, OVERLAP, LANGUAGE, FLOOR = 1.0, 0.5, 0.2, 0.01
OVERLAP_CAP_H = 5.0
PREFERENCE_BONUS = (0.6, 0.4, 0.2)
MAX_SEAT_CELLS = 12_000_000  # mentees x usable seats of one solve (~100 MB of float64)
Array = npt.NDArray[np.float64]


@dataclass
class Scores:
    """Every pair's parts and score; ``score`` is 0 where the pair is not allowed."""

    mentors: list[Participant]
    mentees: list[Participant]
    fit: Array
    overlap_h: Array
    shared_language: npt.NDArray[np.bool_]
    excluded: npt.NDArray[np.bool_]
    preference: npt.NDArray[np.int_]  # rank 1.. or 0
    score: Array
    free: dict[str, list[tuple[int, int]]]
    fit_model: str
    link: Callable[[Sequence[str], Sequence[str]], tuple[str, str] | None]

    def index(self, mentor: str, mentee: str) -> tuple[int, int]:
        i = next((k for k, m in enumerate(self.mentors) if m.key == mentor), None)
        j = next((k for k, m in enumerate(self.mentees) if m.key == mentee), None)
        if i is None or j is None:
            raise ProgrammeError("pair_not_found", f"{mentor!r} / {mentee!r} is not a mentor "
                                                   "and a mentee of this programme.")
        return i, j


def _share(mentors: Sequence[Participant], mentees: Sequence[Participant],
           tags: Callable[[Participant], tuple[str, ...]]) -> npt.NDArray[np.bool_]:
    """Whether each (mentor, mentee) pair has a tag in common (one matrix product)."""
    index: dict[str, int] = {}
    for person in (*mentors, *mentees):
        for tag in tags(person):
            index.setdefault(tag, len(index))

    def onehot(people: Sequence[Participant]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(people), max(len(index), 1)), dtype=np.float32)
        for k, person in enumerate(people):
            out[k, [index[t] for t in tags(person)]] = 1.0
        return out

    shared: npt.NDArray[np.bool_] = (onehot(mentors) @ onehot(mentees).T) > 0
    return shared


def score_all(programme: Programme, people: Sequence[Participant], week_of: date,
              fit_model: FitModel | None = None) -> Scores:
    """The scores of every (mentor, mentee) pair in the week of ``week_of``."""
    model = fit_model or EmbeddingFit()
    mentors = [p for p in people if p.role is Role.MENTOR]
    mentees = [p for p in people if p.role is Role.MENTEE]
    span = week_span(week_of)
    timelines: dict[str, ZoneTimeline] = {}
    free = {p.key: free_week(p.availability(programme), span, timelines) for p in people}
    overlap = overlap_matrix(minute_grid([free[m.key] for m in mentors], span),
                             minute_grid([free[m.key] for m in mentees], span))
    fit = model.fit_matrix([m.skills for m in mentors], [m.goals for m in mentees])
    shared = _share(mentors, mentees, lambda p: p.languages)
    excluded = _share(mentors, mentees, lambda p: p.exclusions)
    prefs = np.zeros((len(mentors), len(mentees)), dtype=np.int_)
    row = {m.key: i for i, m in enumerate(mentors)}
    for j, mentee in enumerate(mentees):
        for rank, key in enumerate(mentee.preferences[: len(PREFERENCE_BONUS)], start=1):
            if key in row:
                prefs[row[key], j] = rank
    bonus = np.zeros(prefs.shape)
    for rank, value in enumerate(PREFERENCE_BONUS, start=1):
        bonus[prefs == rank] = value
    no_language = (np.array([not m.languages for m in mentors], dtype=bool)[:, None]
                   | np.array([not e.languages for e in mentees], dtype=bool)[None, :])
    language_ok = shared | no_language | (not programme.require_shared_language)
    capacity = np.array([m.capacity > 0 for m in mentors], dtype=bool)[:, None]
    allowed = (~excluded) & language_ok & (overlap >= programme.min_overlap_h) & capacity
    raw = (FIT * fit + OVERLAP * np.minimum(overlap, OVERLAP_CAP_H) / OVERLAP_CAP_H
           + LANGUAGE * shared + bonus + FLOOR)
    return Scores(mentors, mentees, fit, overlap, shared, excluded, prefs,
                  np.where(allowed, raw, 0.0), free, model.name, model.link)


def explain(scores: Scores, i: int, j: int) -> str:
    """The sentence that says why mentor ``i`` and mentee ``j`` were paired."""
    mentor, mentee = scores.mentors[i], scores.mentees[j]
    common = overlap_intervals(scores.free[mentor.key], scores.free[mentee.key])
    when_mentor, when_mentee = describe(common, mentor.zone), describe(common, mentee.zone)
    when = (f"{when_mentor} for both" if when_mentor == when_mentee
            else f"{when_mentor} for {mentor.name}, {when_mentee} for {mentee.name}")
    parts = [f"{scores.overlap_h[i, j]:.1f} h/week overlap, {when}"]
    link = scores.link(mentor.skills, mentee.goals)
    if link is not None:
        parts.append(f"skills: {link[0]} \u2194 goal: {link[1]}")
    elif scores.fit[i, j] > 0:
        parts.append(f"skills fit goals {scores.fit[i, j]:.0%}")
    languages = sorted(set(mentor.languages) & set(mentee.languages))
    if languages:
        parts.append(f"both speak {', '.join(languages)}")
    rank = int(scores.preference[i, j])
    if rank:
        parts.append(f"{mentee.name}'s choice no. {rank}")
    return "; ".join(parts)


def pair_of(scores: Scores, i: int, j: int, locked: bool = False) -> Pair:
    mentor, mentee = scores.mentors[i], scores.mentees[j]
    rank = int(scores.preference[i, j])
    link = scores.link(mentor.skills, mentee.goals)
    return Pair(mentor=mentor.key, mentee=mentee.key, score=round(float(scores.score[i, j]), 6),
                overlap_h=round(float(scores.overlap_h[i, j]), 4),
                fit=round(float(scores.fit[i, j]), 4),
                shared_languages=tuple(sorted(set(mentor.languages) & set(mentee.languages))),
                preference_rank=rank or None, explanation=explain(scores, i, j), locked=locked,
                skill=link[0] if link else None, goal=link[1] if link else None)


def why_not(programme: Programme, scores: Scores, j: int) -> str:
    """Why mentee ``j`` could not be given a mentor."""
    if not scores.mentors:
        return "the programme has no mentors"
    overlap_ok = scores.overlap_h[:, j] >= programme.min_overlap_h
    if not overlap_ok.any():
        return (f"no mentor shares {programme.min_overlap_h:g} h/week of availability "
                f"(best: {scores.overlap_h[:, j].max():.1f} h)")
    if not (overlap_ok & ~scores.excluded[:, j]).any():
        return "every mentor with enough common time is in one of their exclusion groups"
    if not (scores.score[:, j] > 0).any():
        return "no mentor with enough common time speaks one of their languages"
    return "every mentor who suits them is at capacity"


def _seats(scores: Scores, free_mentees: Sequence[int], taken: dict[str, int]) -> list[int]:
    """Each mentor's free seats, at most as many as free mentees it may be paired with (a
    seat nobody can take changes nothing in the optimum, it only costs memory)."""
    allowed = (scores.score[:, list(free_mentees)] > 0).sum(axis=1) if free_mentees else (
        np.zeros(len(scores.mentors), dtype=np.int_))
    seats: list[int] = []
    for i, mentor in enumerate(scores.mentors):
        seats.extend([i] * max(0, min(mentor.capacity - taken.get(mentor.key, 0),
                                      int(allowed[i]))))
    return seats


def optimal(scores: Scores, free_mentees: Sequence[int], taken: dict[str, int],
            max_cells: int | None = None) -> list[tuple[int, int]]:
    """The (mentor, mentee) indices of the best assignment of ``free_mentees``;
    ``matching_too_large`` if the mentee x seat matrix would pass ``max_cells``
    (default :data:`MAX_SEAT_CELLS`)."""
    seats = _seats(scores, free_mentees, taken)
    if not seats or not free_mentees:
        return []
    limit = MAX_SEAT_CELLS if max_cells is None else max_cells
    if len(seats) * len(free_mentees) > limit:
        raise ProgrammeError("matching_too_large", (
            f"This matching would weigh {len(free_mentees)} mentees against "
            f"{len(seats)} usable mentor seats, more than {limit:,} pairs at once; lower "
            "the mentors' capacities or split the programme."))
    weights = scores.score[np.ix_(seats, list(free_mentees))].T  # mentees x seats
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [(seats[c], free_mentees[r]) for r, c in zip(rows, cols, strict=True)
            if weights[r, c] > 0]


def greedy(scores: Scores, free_mentees: Sequence[int],
           taken: dict[str, int]) -> list[tuple[int, int]]:
    """The baseline: best remaining allowed pair first until nothing fits."""
    left = {m.key: m.capacity - taken.get(m.key, 0) for m in scores.mentors}
    sub = scores.score[:, list(free_mentees)]
    order = np.argsort(-sub, axis=None, kind="stable")
    done: set[int] = set()
    out = []
    for flat in order:
        i, k = divmod(int(flat), sub.shape[1])
        if sub[i, k] <= 0:
            break
        j = free_mentees[k]
        if j in done or left[scores.mentors[i].key] <= 0:
            continue
        done.add(j)
        left[scores.mentors[i].key] -= 1
        out.append((i, j))
    return out


def match(programme: Programme, scores: Scores, locked: Sequence[Pair] = (),
          week_of: date | None = None) -> Matching:
    """The best matching around the ``locked`` pairs; ``programme_infeasible`` if nobody
    at all can be paired (with the reason)."""
    if not scores.mentees:
        raise ProgrammeError("programme_infeasible", "Nobody can be paired: the programme "
                                                     "has no mentees (import people first).")
    taken: dict[str, int] = {}
    kept: list[Pair] = []
    busy: set[int] = set()
    for pair in locked:
        i, j = scores.index(pair.mentor, pair.mentee)
        taken[pair.mentor] = taken.get(pair.mentor, 0) + 1
        busy.add(j)
        kept.append(pair_of(scores, i, j, locked=True))
    free = [j for j in range(len(scores.mentees)) if j not in busy]
    chosen = optimal(scores, free, taken)
    pairs = kept + [pair_of(scores, i, j) for i, j in chosen]
    if not pairs:
        if not scores.mentors:
            reason = "it has no mentors"
        elif sum(m.capacity for m in scores.mentors) == 0:
            reason = "every mentor's capacity is 0"
        else:
            reason = why_not(programme, scores, 0) if len(scores.mentees) == 1 else (
                f"no mentor-mentee pair has {programme.min_overlap_h:g} h/week of common "
                "availability, a common language and no shared exclusion group")
        raise ProgrammeError("programme_infeasible", f"Nobody can be paired: {reason}.")
    matched = {p.mentee for p in pairs}
    unmatched = [Unmatched(mentee=m.key, reason=why_not(programme, scores, j))
                 for j, m in enumerate(scores.mentees) if m.key not in matched]
    pairs.sort(key=lambda p: p.mentee)
    return Matching(pairs=tuple(pairs), unmatched=tuple(unmatched),
                    total_score=round(sum(p.score for p in pairs), 6),
                    method="linear_sum_assignment (mentor seats)", fit_model=scores.fit_model,
                    week_of=week_of)
