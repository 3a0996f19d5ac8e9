"""Weekly overlap against a minute-by-minute brute force, in weeks with DST changes."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.programmes.overlap import (
    WEEK_MIN,
    describe,
    free_week,
    minute_grid,
    overlap_hours,
    overlap_intervals,
    overlap_matrix,
    week_span,
)
from rooms.scheduling.availability import Availability, Weekday
from rooms.scheduling.intervals import total
from rooms.scheduling.zones import from_epoch, to_local

DST_ZONES = ("America/New_York", "Europe/London", "Europe/Paris", "Australia/Sydney",
             "Australia/Lord_Howe", "America/Santiago", "Asia/Kathmandu", "Asia/Tokyo",
             "Pacific/Chatham", "America/Sao_Paulo")
# weeks holding (or next to) a DST change somewhere among the zones above
DST_WEEKS = (date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 29), date(2026, 4, 5),
             date(2026, 9, 27), date(2026, 10, 4), date(2026, 10, 25), date(2026, 11, 1))


@st.composite
def availabilities(draw: st.DrawFn) -> Availability:
    zone = draw(st.sampled_from(DST_ZONES))
    weekly: dict[Weekday, tuple[tuple[time, time], ...]] = {}
    for day in draw(st.lists(st.sampled_from(list(Weekday)), min_size=1, max_size=7,
                             unique=True)):
        start = draw(st.integers(0, 23 * 60 + 58))
        end = draw(st.integers(start + 1, 24 * 60))
        weekly[day] = ((time(start // 60, start % 60),
                        time((end // 60) % 24, end % 60)),)
    return Availability(zone=zone, weekly=weekly)


def brute_force_minutes(a: Availability, b: Availability, week_of: date) -> int:
    lo, _ = week_span(week_of)
    count = 0
    for minute in range(WEEK_MIN):
        instant = from_epoch(lo + minute * 60)
        local_a = to_local(instant, a.zone).replace(tzinfo=None)
        local_b = to_local(instant, b.zone).replace(tzinfo=None)
        count += a.is_free_at(local_a) and b.is_free_at(local_b)
    return count


@settings(max_examples=25, deadline=None)
@given(a=availabilities(), b=availabilities(), week_of=st.sampled_from(DST_WEEKS))
def test_overlap_equals_minute_by_minute_brute_force(a: Availability, b: Availability,
                                                     week_of: date) -> None:
    span = week_span(week_of)
    free_a, free_b = free_week(a, span), free_week(b, span)
    expected = brute_force_minutes(a, b, week_of)
    assert total(overlap_intervals(free_a, free_b)) == expected * 60  # seconds, exactly
    assert overlap_hours(free_a, free_b) == pytest.approx(expected / 60)
    grid = overlap_matrix(minute_grid([free_a], span), minute_grid([free_b], span))
    assert round(grid[0, 0] * 60) == expected


def test_a_dst_change_moves_the_overlap() -> None:
    """New York springs forward on 8 March 2026, London on 29 March: Monday 09:00-10:00 in
    New York and 14:00-15:00 in London are the same hour before and after, not between."""
    ny = Availability(zone="America/New_York", weekly={Weekday.MON: ((time(9), time(10)),)})
    london = Availability(zone="Europe/London", weekly={Weekday.MON: ((time(14), time(15)),)})
    hours = {}
    for week in (date(2026, 3, 2), date(2026, 3, 16), date(2026, 4, 6)):
        span = week_span(week)
        hours[week] = overlap_hours(free_week(ny, span), free_week(london, span))
    assert hours == {date(2026, 3, 2): 1.0, date(2026, 3, 16): 0.0, date(2026, 4, 6): 1.0}
    assert datetime(2026, 3, 16).weekday() == 0


def test_descriptions_name_every_part_of_the_day_in_each_zone() -> None:
    span = week_span(date(2026, 6, 10))
    tokyo = Availability(zone="Asia/Tokyo", weekly={
        Weekday.TUE: ((time(9), time(14)),), Weekday.THU: ((time(9), time(10)),)})
    free = free_week(tokyo, span)
    assert describe(free, "Asia/Tokyo") == "Tue/Thu mornings, Tue afternoons"
    # the same instants in Los Angeles (UTC-7 in June): Mon/Wed 17:00-22:00 and 17:00-18:00
    assert describe(free, "America/Los_Angeles") == "Mon/Wed evenings"
    assert describe([], "UTC") == "no common time"
