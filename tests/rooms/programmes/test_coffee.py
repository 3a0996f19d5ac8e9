"""Coffee rounds: 10 rounds of 60 people in 12 zones, on both stores."""

from __future__ import annotations

import random
from datetime import date, timedelta
from itertools import pairwise

from rooms.programmes.coffee import MIN_COMMON_S, plan_round
from rooms.programmes.importer import PersonRow
from rooms.programmes.model import Role
from rooms.programmes.overlap import free_week, overlap_intervals, week_span
from rooms.scheduling.availability import Weekday
from rooms.scheduling.intervals import covers, total
from rooms.scheduling.zones import epoch_seconds, from_epoch

from .conftest import World
from .generated import windows_for

ZONES = ("America/Los_Angeles", "America/New_York", "America/Sao_Paulo", "Europe/London",
         "Europe/Paris", "Africa/Nairobi", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tokyo",
         "Australia/Sydney", "Pacific/Auckland", "Pacific/Honolulu")
NO_REPEAT = 4


def people(seed: int) -> list[PersonRow]:
    rng = random.Random(seed)
    rows = []
    for k in range(60):
        zone = ZONES[k % len(ZONES)]
        start = rng.choice((6, 8, 10, 13, 15)) * 60
        weekly = windows_for(start, 8 * 60, zone, date(2026, 3, 4))
        weekly = {d: w for d, w in weekly.items() if d not in (Weekday.SAT, Weekday.SUN)}
        rows.append(PersonRow(
            key=f"p{k}", name=f"Person {k}", role=Role.MENTOR if k % 2 else Role.MENTEE,
            zone=zone, email=None, languages=("en",), skills=(), goals=(),
            capacity=1 if k % 2 else 0, exclusions=(), preferences=(), weekly=weekly,
            coffee=True))
    return rows


async def test_ten_rounds_no_repeats_enough_overlap_and_booked_inside(world: World) -> None:
    service = world.service
    programme = await service.create("Coffee", coffee_no_repeat_rounds=NO_REPEAT)
    imported = {p.key: p for p in await service.import_people(programme.programme_id,
                                                              people(7))}
    rounds = []
    for _ in range(10):
        span = week_span((from_epoch(int(world.clock.now())) + timedelta(days=7)).date())
        intros = await service.coffee_round(programme.programme_id)
        rounds.append(intros)
        pairs = [i for i in intros if i.mentee]
        out = [i.mentor for i in intros if not i.mentee]
        assert len(out) <= 2 and 2 * len(pairs) + len(out) == 60
        for intro in pairs:
            a, b = imported[intro.mentor], imported[intro.mentee]
            assert intro.booking_id is not None and len(intro.slots) == 1
            slot = intro.slots[0]
            s, e = epoch_seconds(slot.start), epoch_seconds(slot.end)
            assert e - s == 30 * 60
            assert span[0] <= s and e <= span[1]
            for person in (a, b):
                free = person.availability(programme).free_intervals(s - 86400, e + 86400)
                assert covers(free, s, e)
            common = overlap_intervals(free_week(a.availability(programme), span),
                                       free_week(b.availability(programme), span))
            assert total(common) >= MIN_COMMON_S
        world.clock.advance(timedelta(days=7).total_seconds())
    met = [{frozenset((i.mentor, i.mentee)) for i in r if i.mentee} for r in rounds]
    for k in range(len(met)):
        for earlier in met[max(0, k - NO_REPEAT):k]:
            assert not met[k] & earlier
    sat_out = [[i.mentor for i in r if not i.mentee] for r in rounds]
    for before, after in pairwise(sat_out):
        assert not set(before) & set(after)


def test_an_odd_pool_leaves_one_out_and_prefers_them_next() -> None:
    free = {k: [(0, 3600)] for k in "abcde"}
    first = plan_round(free, [], 2)
    assert len(first.pairs) == 2 and len(first.sitting_out) == 1
    second = plan_round(free, [first.pairs], 2, first.sitting_out)
    assert first.sitting_out[0] not in second.sitting_out


def test_pairs_below_thirty_minutes_are_never_made() -> None:
    free = {"a": [(0, 1799)], "b": [(0, 1799)], "c": [(0, 3600)], "d": [(1800, 3600)]}
    plan = plan_round(free, [], 0)
    assert plan.pairs == [("c", "d")] and plan.sitting_out == ["a", "b"]
