"""Coffee rounds: pairing a pool every week or fortnight across time zones.

Two people may be paired if they share at least 30 minutes of availability in the round's
week and have not been paired in the last ``no_repeat_rounds`` rounds. Among the allowed
pairs the round takes a maximum matching (as many people paired as possible) that prefers,
among equally large ones, people who sat out last time and pairs with more common time
(networkx's ``max_weight_matching`` with ``maxcardinality``, an exact blossom algorithm).
With an odd pool (or people nobody can meet) someone sits out; they are preferred next
round, so nobody sits out twice running while a pairing for them exists.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import networkx as nx

from rooms.programmes.overlap import overlap_intervals
from rooms.scheduling.intervals import Interval, total

MIN_COMMON_S = 30 * 60


@dataclass(frozen=True)
class CoffeePlan:
    """The pairs of one round and who sits out."""

    pairs: list[tuple[str, str]]
    sitting_out: list[str]


def recent_pairs(history: Sequence[Sequence[tuple[str, str]]],
                 no_repeat_rounds: int) -> set[frozenset[str]]:
    """The pairs met in the last ``no_repeat_rounds`` rounds."""
    recent = history[-no_repeat_rounds:] if no_repeat_rounds else []
    return {frozenset(p) for r in recent for p in r}


def plan_round(free: dict[str, list[Interval]], history: Sequence[Sequence[tuple[str, str]]],
               no_repeat_rounds: int, sat_out_last: Sequence[str] = (),
               never: Collection[frozenset[str]] = ()) -> CoffeePlan:
    """The round's pairs from everyone's free time in the round's week; ``never``: pairs
    that already meet (mentor and mentee), whatever the history."""
    people = sorted(free)
    banned = recent_pairs(history, no_repeat_rounds) | set(never)
    priority = set(sat_out_last)
    graph = nx.Graph()
    graph.add_nodes_from(people)
    for k, a in enumerate(people):
        for b in people[k + 1:]:
            if frozenset((a, b)) in banned:
                continue
            common = total(overlap_intervals(free[a], free[b]))
            if common < MIN_COMMON_S:
                continue
            weight = 1000 + 100 * ((a in priority) + (b in priority)) + min(common, 36000) / 3600
            graph.add_edge(a, b, weight=weight)
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    pairs = sorted(tuple(sorted(p)) for p in matching)
    paired = {x for p in pairs for x in p}
    return CoffeePlan([(a, b) for a, b in pairs], [p for p in people if p not in paired])
