"""Matching speed: 1,000 mentees x 300 mentors in 25 zones, against the greedy baseline.

The programme is generated as in the matching tests (tests/rooms/programmes/generated.py):
each mentee has a planted mentor with a clear skill/goal fit and common time, and mentors
have capacities (ceil(mentees / mentors) + 1: 5 each, 1,500 seats). A second, contested
case uses the same people with skills and goals drawn from 40 shared topics and random
capacities of 2 to 4 (about 900 seats for 1,000 mentees), where greedy goes wrong.

The whole match is timed: every person's free instants in the week (scheduling engine,
each zone's rules of that week), the overlap and fit matrices, the hard rules, the optimal
assignment (scipy ``linear_sum_assignment`` on mentees x mentor seats) and the
explanations of the chosen pairs. The greedy baseline (best remaining pair first) runs in
the same process on the same scores; the bench prints both totals (the optimum must not be
lower), both times and the planted pairs recovered. The process is pinned to one core
with ``os.sched_setaffinity`` where available; the CPU time of the process is printed
beside the wall time (on a busy machine the wall time counts other processes' turns).

Skills and goals are scored by the default fit model, the sentence embeddings of
all-MiniLM-L6-v2 (rooms/programmes/embedding.py). Each run starts with an empty text cache
(the weights are loaded once per process, and that load is timed apart), so every run
pays for embedding its programme's distinct phrases. Generated programmes repeat phrases
(fields, industries), so the bench also embeds 1,300 distinct short texts on a cold cache:
the cost of a programme whose every skill and goal is different.

Run from the repository root::

    .venv/bin/python -m bench.matching
"""

from __future__ import annotations

import os

# Pinned to one core (main), OpenBLAS's second thread would only spin on the same core and
# double the CPU time of the embeddings: one BLAS thread, set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import random
import statistics
import time

from rooms.programmes.embedding import EmbeddingFit, packaged_minilm
from rooms.programmes.matching import greedy, match, score_all
from rooms.programmes.model import Participant, Role
from tests.rooms.programmes.generated import PROGRAMME, WEEK_OF, generate
from tests.rooms.programmes.phrases import FIELDS, INDUSTRIES

TARGET_S = 5.0


def contested(people: list[Participant], seed: int = 5) -> list[Participant]:
    """The same people, with shared topics and tight capacities."""
    rng = random.Random(seed)
    topics = [f"topic{k} area{k % 7}" for k in range(40)]
    out = []
    for p in people:
        if p.role is Role.MENTOR:
            out.append(p.model_copy(update={"skills": tuple(rng.sample(topics, 3)),
                                            "capacity": rng.randrange(2, 5)}))
        else:
            out.append(p.model_copy(update={"goals": tuple(rng.sample(topics, 2))}))
    return out


def run(name: str, people: list[Participant], planted: dict[str, str], runs: int) -> float:
    """Time the whole match ``runs`` times; print it against greedy; the median time."""
    times, score_times, cpu = [], [], []
    result = None
    scores = None
    for _ in range(runs):
        began, cpu_began = time.perf_counter(), time.process_time()
        scores = score_all(PROGRAMME, people, WEEK_OF, EmbeddingFit())
        scored = time.perf_counter()
        result = match(PROGRAMME, scores, week_of=WEEK_OF)
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - cpu_began)
        score_times.append(scored - began)
    assert result is not None and scores is not None
    began = time.perf_counter()
    base = greedy(scores, list(range(len(scores.mentees))), {})
    greedy_s = time.perf_counter() - began
    greedy_total = sum(float(scores.score[i, j]) for i, j in base)
    recovered = sum(planted.get(p.mentee) == p.mentor for p in result.pairs)
    total = statistics.median(times)
    print(f"{name}: {len(scores.mentees)} mentees x {len(scores.mentors)} mentors, "
          f"{sum(m.capacity for m in scores.mentors)} seats, median of {runs}, "
          f"fit: {scores.fit_model}")
    print(f"  whole match      {total:6.2f} s (scores {statistics.median(score_times):.2f} s,"
          f" assignment + explanations {total - statistics.median(score_times):.2f} s;"
          f" CPU {statistics.median(cpu):.2f} s)")
    print(f"  greedy (on the same scores) {greedy_s:6.2f} s")
    print(f"  total score      optimum {result.total_score:.3f} ({len(result.pairs)} pairs)"
          f"  greedy {greedy_total:.3f} ({len(base)} pairs)"
          f"  ratio {result.total_score / greedy_total:.4f}")
    if planted:
        print(f"  planted pairs    {recovered}/{len(planted)} recovered; "
              f"{len(result.unmatched)} unmatched")
    if result.total_score + 1e-6 < greedy_total:
        raise SystemExit("the optimum scored below greedy")
    return total


def embedding_speed(count: int = 1300) -> None:
    """Load the model once, then embed ``count`` distinct short texts on a cold cache."""
    began = time.perf_counter()
    packaged_minilm()
    loaded = time.perf_counter() - began
    texts = [f"{field} for {industry}" for field, _ in FIELDS for industry, _ in INDUSTRIES]
    texts += [f"{goal} in {industry}" for _, goal in FIELDS for industry, _ in INDUSTRIES]
    texts = texts[:count]
    began, cpu_began = time.perf_counter(), time.process_time()
    EmbeddingFit().embed(texts)
    spent, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    print(f"embedding model: loaded in {loaded:.2f} s; {len(texts)} distinct texts "
          f"embedded in {spent:.2f} s (CPU {cpu:.2f} s, {len(texts) / spent:.0f} texts/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentees", type=int, default=1000)
    parser.add_argument("--mentors", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    embedding_speed()
    people, planted = generate(11, mentees=args.mentees, mentors=args.mentors)
    slowest = max(run("planted", people, planted, args.runs),
                  run("contested", contested(people), {}, args.runs))
    print(f"target < {TARGET_S:.0f} s for the whole match: "
          f"{'met' if slowest < TARGET_S else 'NOT met'} (slowest {slowest:.2f} s)")

if __name__ == "__main__":
    main()
