"""Property tests over every IANA zone and dates 2000-2040, against a brute-force oracle.

The oracle reads each whole minute of the range on each person's own wall clock
(``datetime.fromtimestamp(t, zone)`` and nothing else from the scheduling code) and asks
"is this local minute inside their windows, not on a day off, and clear of every booking and
its buffer?". Everything is minute-aligned (windows, offsets, transitions in 2000-2040), so
minute granularity is exact. Half of the examples start next to one of the organiser's DST
transitions, where the bugs live.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rooms.clock import ManualClock
from rooms.scheduling.availability import Availability, Weekday
from rooms.scheduling.slots import STEPS_MIN, BusySpan, PersonSchedule, SlotFinder, SlotQuery
from rooms.scheduling.zones import load_zone, to_utc_strict
from tests.rooms.scheduling.builders import ALL_ZONES, DST_ZONES, transitions_in_year

FIRST, LAST = date(2000, 1, 1), date(2040, 12, 20)
BY_NUMBER = tuple(Weekday)


@st.composite
def zone_and_start(draw: st.DrawFn) -> tuple[str, datetime]:
    """Any zone and a whole-minute UTC start; half the time a DST zone less than a day
    before one of its transitions (so a range of 2+ days crosses it)."""
    day = draw(st.dates(FIRST, LAST))
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    quarters = timedelta(minutes=15 * draw(st.integers(0, 95)))
    if draw(st.booleans()):
        zone = draw(st.sampled_from(DST_ZONES))
        near = transitions_in_year(zone, day.year)
        if near:  # the transition lies within the day after the sample
            return zone, draw(st.sampled_from(near)) - quarters
    else:
        zone = draw(st.sampled_from(ALL_ZONES))
    return zone, start + quarters


def windows() -> st.SearchStrategy[tuple[tuple[time, time], ...]]:
    def window(spec: tuple[int, int]) -> tuple[time, time]:
        start, length = spec[0] * 15, spec[1] * 15
        end = min(start + length, 1440)
        return time(start // 60, start % 60), time(end // 60 % 24, end % 60)

    pair = st.tuples(st.integers(0, 95), st.integers(2, 60)).map(window)
    return st.lists(pair, max_size=2).map(tuple)


@st.composite
def people(draw: st.DrawFn, identity: str, zone: str, start: datetime,
           days: int) -> PersonSchedule:
    weekly: dict[Weekday, tuple[tuple[time, time], ...]]
    if draw(st.integers(0, 3)) == 0:  # someone free around the clock
        weekly = {day: ((time(0), time(0)),) for day in Weekday}
    else:
        weekly = {day: draw(windows()) for day in Weekday if draw(st.integers(0, 4))}
    local_days = [start.date() + timedelta(days=d) for d in range(-1, days + 2)]
    days_off = draw(st.lists(st.sampled_from(local_days), max_size=2))
    extra = []
    for _ in range(draw(st.integers(0, 2))):
        local = datetime.combine(draw(st.sampled_from(local_days)), time()) + timedelta(
            minutes=15 * draw(st.integers(0, 95)))
        extra.append((local, local + timedelta(minutes=15 * draw(st.integers(1, 16)))))
    busy = []
    for _ in range(draw(st.integers(0, 3))):
        at = start + timedelta(minutes=5 * draw(st.integers(-24, days * 288)))
        busy.append(BusySpan(at, at + timedelta(minutes=5 * draw(st.integers(1, 24))),
                             buffer_s=300 * draw(st.integers(0, 12))))
    availability = Availability.model_validate(
        {"zone": zone, "weekly": weekly, "days_off": days_off, "extra": extra})
    return PersonSchedule(identity, availability, tuple(busy))


def inside_availability(a: Availability, local: datetime) -> bool:
    if any(s <= local < e for s, e in a.extra):
        return True
    if local.date() in a.days_off:
        return False
    minute = local.hour * 60 + local.minute
    for s, e in a.weekly.get(BY_NUMBER[local.weekday()], ()):
        if s.hour * 60 + s.minute <= minute < (e.hour * 60 + e.minute or 1440):
            return True
    return False


def free_minutes(person: PersonSchedule, lo: int, hi: int, buffer_s: int) -> list[bool]:
    """For each minute in [lo, hi): is ``person`` free, by their own wall clock?"""
    tz = load_zone(person.availability.zone)
    blocked = [
        (int(b.start.timestamp()) - max(b.buffer_s, buffer_s),
         int(b.end.timestamp()) + max(b.buffer_s, buffer_s))
        for b in person.busy
    ]
    return [
        inside_availability(person.availability,
                            datetime.fromtimestamp(t, tz).replace(tzinfo=None))
        and not any(s <= t < e for s, e in blocked)
        for t in range(lo, hi, 60)
    ]


def fits(free: list[bool], index: int, minutes: int) -> bool:
    return index + minutes <= len(free) and all(free[index:index + minutes])


def oracle_starts(organiser: PersonSchedule, free: list[bool], lo: int, earliest: int,
                  length_min: int, step_min: int) -> list[int]:
    """Grid starts (organiser's wall clock) at or after ``earliest`` where ``free`` fits."""
    tz = load_zone(organiser.availability.zone)
    ones = [0, *accumulate(map(int, free))]
    found = []
    for i in range(math.ceil((earliest - lo) / 60), len(free) - length_min + 1):
        t = lo + i * 60
        local = datetime.fromtimestamp(t, tz)
        if (local.hour * 60 + local.minute) % step_min == 0 and (
                ones[i + length_min] - ones[i] == length_min):
            found.append(t)
    return found


def check_round_trip(slot_start: datetime, slot_end: datetime, local_start: datetime,
                     local_end: datetime, zone: str) -> None:
    assert local_start.astimezone(UTC) == slot_start
    assert local_end.astimezone(UTC) == slot_end
    for local, instant in ((local_start, slot_start), (local_end, slot_end)):
        assert to_utc_strict(local.replace(tzinfo=None), zone, fold=local.fold) == instant


@st.composite
def pair_cases(draw: st.DrawFn) -> tuple[PersonSchedule, PersonSchedule, SlotQuery, float]:
    org_zone, start = draw(zone_and_start())
    other_zone = draw(st.sampled_from(ALL_ZONES))
    days = draw(st.integers(2, 4))
    organiser = draw(people("organiser", org_zone, start, days))
    other = draw(people("other", other_zone, start, days))
    query = SlotQuery(start=start, end=start + timedelta(days=days),
                      length_min=draw(st.sampled_from([15, 30, 45, 60])),
                      buffer_min=5 * draw(st.integers(0, 6)),
                      notice_min=15 * draw(st.integers(0, 8)),
                      step_min=draw(st.sampled_from(STEPS_MIN)))
    now = start + timedelta(minutes=draw(st.integers(-600, 120)))
    return organiser, other, query, now.timestamp()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair_cases())
def test_pair_slots_are_exactly_the_free_grid_starts(
    case: tuple[PersonSchedule, PersonSchedule, SlotQuery, float],
) -> None:
    organiser, other, query, now = case
    slots = SlotFinder(ManualClock(now)).pair(organiser, other, query)

    lo, hi = int(query.start.timestamp()), int(query.end.timestamp())
    buffer_s = query.buffer_min * 60
    both = [a and b for a, b in zip(free_minutes(organiser, lo, hi, buffer_s),
                                    free_minutes(other, lo, hi, buffer_s), strict=True)]
    earliest = max(lo, math.ceil(now) + query.notice_min * 60)
    expected = oracle_starts(organiser, both, lo, earliest, query.length_min, query.step_min)
    offsets = {s.local_for("organiser").start.utcoffset() for s in slots}
    event("pair: slots on both sides of a transition" if len(offsets) > 1
          else "pair: slots found" if slots else "pair: no slots")
    assert [int(s.start.timestamp()) for s in slots] == expected

    for slot in slots:
        assert slot.end - slot.start == timedelta(minutes=query.length_min)
        assert slot.available == ("organiser", "other")
        for person in (organiser, other):
            local = slot.local_for(person.identity)
            assert local.zone == person.availability.zone
            check_round_trip(slot.start, slot.end, local.start, local.end, local.zone)
            for busy in person.busy:  # never within a booking or its buffer
                pad = timedelta(seconds=max(busy.buffer_s, buffer_s))
                assert slot.end + pad <= busy.start or slot.start >= busy.end + pad


@st.composite
def roundtable_cases(
    draw: st.DrawFn,
) -> tuple[PersonSchedule, list[PersonSchedule], SlotQuery, float]:
    zones = st.sampled_from(ALL_ZONES)
    host_zone, start = draw(zone_and_start())
    days = draw(st.integers(1, 2))
    host = draw(people("host", host_zone, start, days))
    invitees = [draw(people(f"guest{i}", draw(zones), start, days)) for i in range(3)]
    query = SlotQuery(start=start, end=start + timedelta(days=days), length_min=60,
                      buffer_min=5 * draw(st.integers(0, 3)), step_min=30)
    return host, invitees, query, (start - timedelta(hours=1)).timestamp()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roundtable_cases())
def test_roundtable_ranking_matches_the_oracle(
    case: tuple[PersonSchedule, list[PersonSchedule], SlotQuery, float],
) -> None:
    host, invitees, query, now = case
    limit = 8
    slots = SlotFinder(ManualClock(now)).roundtable(host, invitees, query, limit=limit,
                                                    min_attendees=0)
    lo, hi = int(query.start.timestamp()), int(query.end.timestamp())
    buffer_s = query.buffer_min * 60
    host_free = free_minutes(host, lo, hi, buffer_s)
    guests_free = {g.identity: free_minutes(g, lo, hi, buffer_s) for g in invitees}
    candidates = oracle_starts(host, host_free, lo, lo, 60, 30)
    ranked = sorted(
        ((t, tuple(g for g, free in guests_free.items() if fits(free, (t - lo) // 60, 60)))
         for t in candidates),
        key=lambda c: (-len(c[1]), c[0]),
    )[:limit]
    assert [(int(s.start.timestamp()), s.available[1:]) for s in slots] == ranked
    for slot in slots:
        assert slot.available[0] == "host"
        assert set(slot.available[1:]) | set(slot.unavailable) == {g.identity for g in invitees}
        for person in (host, *invitees):
            local = slot.local_for(person.identity)
            check_round_trip(slot.start, slot.end, local.start, local.end, local.zone)
