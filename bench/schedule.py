"""Slot finding speed: a mentor/mentee pair and a 12-person roundtable over 30 days.

Realistic inputs: weekday windows in each person's own zone (split mornings and
afternoons, a Saturday for some), a couple of days off, one-off extra slots, and existing
bookings with buffers. The 30-day range is March 2024, so New York, London, Berlin,
Sao Paulo... change clocks (or not) at different dates inside it.

The baseline runs in the same process on the same inputs: a naive minute-by-minute scan
that reads every minute of the range on every person's wall clock (``fromtimestamp`` in
their zone), checks it against their windows and bookings, then slides the session length
over the result. Both must give the same slots; the ratio is printed.

Run from the repository root::

    .venv/bin/python -m bench.schedule
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

from rooms.clock import ManualClock
from rooms.scheduling.availability import Availability, Weekday
from rooms.scheduling.slots import BusySpan, PersonSchedule, Slot, SlotFinder, SlotQuery
from rooms.scheduling.zones import load_zone

START = datetime(2024, 3, 1, tzinfo=UTC)
DAYS = 30
PAIR_TARGET_MS = 50.0
ROUNDTABLE_TARGET_MS = 500.0
WEEKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
ROUNDTABLE_ZONES = (
    "Europe/London",
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/Berlin",
    "Africa/Lagos",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Adelaide",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
)
WINDOW_CHOICES = (
    (("07:00", "10:00"), ("12:00", "14:00")),
    (("08:30", "12:00"), ("16:00", "18:00")),
    (("09:00", "17:00"),),
    (("18:00", "22:00"),),
    (("06:30", "08:30"), ("19:00", "21:30")),
)


def person(
    identity: str, zone: str, rng: random.Random, windows: tuple[tuple[str, str], ...] | None = None
) -> PersonSchedule:
    """Someone with weekday windows, a Saturday sometimes, days off, extras and bookings."""
    windows = windows or rng.choice(WINDOW_CHOICES)
    weekly: dict[str, object] = {day.value: windows for day in WEEKDAYS}
    if rng.random() < 0.5:
        weekly[Weekday.SAT.value] = (("10:00", "12:00"),)
    days_off = [START.date() + timedelta(days=rng.randrange(DAYS)) for _ in range(2)]
    extra_day = START.date() + timedelta(days=rng.randrange(DAYS))
    extra = [
        (
            datetime.combine(extra_day, datetime.min.time()) + timedelta(hours=20),
            datetime.combine(extra_day, datetime.min.time()) + timedelta(hours=22),
        )
    ]
    availability = Availability.model_validate(
        {"zone": zone, "weekly": weekly, "days_off": days_off, "extra": extra}
    )
    busy = []
    for _ in range(10):
        at = START + timedelta(minutes=15 * rng.randrange(DAYS * 96))
        busy.append(
            BusySpan(
                at,
                at + timedelta(minutes=rng.choice((30, 45, 60))),
                buffer_s=rng.choice((0, 600, 900)),
            )
        )
    return PersonSchedule(identity, availability, tuple(busy))


def naive_free(person: PersonSchedule, lo: int, hi: int, buffer_s: int) -> list[bool]:
    """The baseline's view of one person: free or not, minute by minute."""
    tz = load_zone(person.availability.zone)
    blocked = [
        (
            int(b.start.timestamp()) - max(b.buffer_s, buffer_s),
            int(b.end.timestamp()) + max(b.buffer_s, buffer_s),
        )
        for b in person.busy
    ]
    return [
        person.availability.is_free_at(datetime.fromtimestamp(t, tz).replace(tzinfo=None))
        and not any(s <= t < e for s, e in blocked)
        for t in range(lo, hi, 60)
    ]


def naive_starts(
    organiser: PersonSchedule, free: list[bool], lo: int, earliest: int, query: SlotQuery
) -> list[int]:
    """Grid starts in the organiser's zone where all of ``free`` holds for the length."""
    tz = load_zone(organiser.availability.zone)
    ones = [0, *accumulate(map(int, free))]
    length = query.length_min
    starts = []
    for i in range(math.ceil((earliest - lo) / 60), len(free) - length + 1):
        local = datetime.fromtimestamp(lo + i * 60, tz)
        if (local.hour * 60 + local.minute) % query.step_min == 0 and (
            ones[i + length] - ones[i] == length
        ):
            starts.append(lo + i * 60)
    return starts


def naive_pair(a: PersonSchedule, b: PersonSchedule, query: SlotQuery, now: float) -> list[int]:
    lo, hi = int(query.start.timestamp()), int(query.end.timestamp())
    buffer_s = query.buffer_min * 60
    both = [
        x and y
        for x, y in zip(
            naive_free(a, lo, hi, buffer_s), naive_free(b, lo, hi, buffer_s), strict=True
        )
    ]
    return naive_starts(a, both, lo, max(lo, math.ceil(now) + query.notice_min * 60), query)


def naive_roundtable(
    host: PersonSchedule,
    invitees: Sequence[PersonSchedule],
    query: SlotQuery,
    now: float,
    limit: int,
) -> list[tuple[int, int]]:
    lo, hi = int(query.start.timestamp()), int(query.end.timestamp())
    buffer_s = query.buffer_min * 60
    earliest = max(lo, math.ceil(now) + query.notice_min * 60)
    starts = naive_starts(host, naive_free(host, lo, hi, buffer_s), lo, earliest, query)
    prefix = [[0, *accumulate(map(int, naive_free(g, lo, hi, buffer_s)))] for g in invitees]
    length = query.length_min
    counted = [
        (t, sum(p[(t - lo) // 60 + length] - p[(t - lo) // 60] == length for p in prefix))
        for t in starts
    ]
    return sorted(counted, key=lambda c: (-c[1], c[0]))[:limit]


def per_call_ms(run: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``run`` in milliseconds over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def report(name: str, ours_ms: float, naive_ms: float, target_ms: float, found: int) -> None:
    verdict = "ok" if ours_ms < target_ms else "OVER TARGET"
    print(
        f"{name:<22} {ours_ms:9.2f} ms   baseline {naive_ms:9.1f} ms   "
        f"x{naive_ms / ours_ms:7.1f}   target < {target_ms:.0f} ms: {verdict}   "
        f"({found} slots)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of the fast path")
    parser.add_argument("--baseline-repeat", type=int, default=2, help="timed naive runs")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    now = (START - timedelta(days=1)).timestamp()
    finder = SlotFinder(ManualClock(now))
    end = START + timedelta(days=DAYS)
    pair_query = SlotQuery(
        start=START, end=end, length_min=30, buffer_min=10, notice_min=60, step_min=15
    )
    mentor = person("mentor", "Europe/London", rng, (("12:00", "15:00"), ("16:00", "20:00")))
    mentee = person("mentee", "America/New_York", rng, (("07:00", "10:00"), ("12:00", "14:00")))

    pair_slots: list[Slot] = finder.pair(mentor, mentee, pair_query)
    assert [int(s.start.timestamp()) for s in pair_slots] == naive_pair(
        mentor, mentee, pair_query, now
    ), "fast path and baseline disagree (pair)"
    pair_ms = per_call_ms(lambda: finder.pair(mentor, mentee, pair_query), args.repeat)
    naive_pair_ms = per_call_ms(
        lambda: naive_pair(mentor, mentee, pair_query, now), args.baseline_repeat
    )

    host, *invitees = [person(f"p{i}", zone, rng) for i, zone in enumerate(ROUNDTABLE_ZONES)]
    table_query = SlotQuery(
        start=START, end=end, length_min=60, buffer_min=10, notice_min=60, step_min=15
    )
    limit = 20
    table = finder.roundtable(host, invitees, table_query, limit=limit, min_attendees=0)
    assert [(int(s.start.timestamp()), len(s.available) - 1) for s in table] == (
        naive_roundtable(host, invitees, table_query, now, limit)
    ), "fast path and baseline disagree (roundtable)"
    table_ms = per_call_ms(
        lambda: finder.roundtable(host, invitees, table_query, limit=limit, min_attendees=0),
        args.repeat,
    )
    naive_table_ms = per_call_ms(
        lambda: naive_roundtable(host, invitees, table_query, now, limit), args.baseline_repeat
    )

    print(
        f"slot finding over {DAYS} days from {START.date()} "
        f"(median of {args.repeat} runs; baseline: minute-by-minute scan, "
        f"median of {args.baseline_repeat})"
    )
    report("pair (London/NY)", pair_ms, naive_pair_ms, PAIR_TARGET_MS, len(pair_slots))
    report("roundtable (12 zones)", table_ms, naive_table_ms, ROUNDTABLE_TARGET_MS, len(table))
    best = table[0] if table else None
    if best is not None:
        print(
            f"best roundtable slot: {best.start:%Y-%m-%d %H:%M} UTC, "
            f"{len(best.available)} of 12 can attend"
        )
    first: date | None = pair_slots[0].start.date() if pair_slots else None
    print(f"first pair slot: {first}")


if __name__ == "__main__":
    main()
