"""The local <-> UTC policy, zone by zone: gaps, overlaps, odd offsets, skipped dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.scheduling.zones import (
    LocalKind,
    classify,
    epoch_seconds,
    from_epoch,
    load_zone,
    local_to_utc_roundtrip,
    require_utc,
    to_local,
    to_utc_lenient,
    to_utc_strict,
)
from tests.rooms.scheduling.builders import ALL_ZONES, expect_code, utc

H = timedelta(hours=1)


def test_every_iana_zone_loads() -> None:
    assert len(ALL_ZONES) > 400
    assert {"Asia/Kathmandu", "Pacific/Chatham", "Etc/GMT+5", "UTC"} <= set(ALL_ZONES)
    assert "Factory" not in ALL_ZONES
    for name in ALL_ZONES:
        assert load_zone(name).key == name


@pytest.mark.parametrize(
    "name",
    ["Mars/Olympus_Mons", "europe/london", "Europe/London ", "", "Europe", "../etc/passwd",
     "/etc/localtime", "Europe/London\x00", "posixrules", "localtime", "Factory", "A" * 200,
     "Europe//London"],
)
def test_unknown_zones_are_refused(name: str) -> None:
    with expect_code("unknown_zone"):
        load_zone(name)


def test_naive_instants_are_refused() -> None:
    with expect_code("invalid_range"):
        require_utc(datetime(2024, 1, 1))


def test_epoch_round_trip() -> None:
    assert from_epoch(epoch_seconds(utc(2031, 5, 6, 7, 8, 9))) == utc(2031, 5, 6, 7, 8, 9)


# --- a gap and a repeated hour (New York, 2024) --------------------------------------------


def test_spring_forward_gap_is_refused_for_requests() -> None:
    local = datetime(2024, 3, 10, 2, 30)
    assert classify(local, "America/New_York") is LocalKind.NONEXISTENT
    with expect_code("nonexistent_local_time") as info:
        to_utc_strict(local, "America/New_York")
    assert "2024-03-10 02:30 in America/New_York" in info.value.message


def test_gap_edges_exist() -> None:
    assert to_utc_strict(datetime(2024, 3, 10, 1, 59), "America/New_York") == utc(
        2024, 3, 10, 6, 59)
    assert to_utc_strict(datetime(2024, 3, 10, 3, 0), "America/New_York") == utc(2024, 3, 10, 7)


def test_gap_time_moves_later_by_the_gap_for_recurrences() -> None:
    at, kind = to_utc_lenient(datetime(2024, 3, 10, 2, 30), "America/New_York")
    assert kind is LocalKind.NONEXISTENT
    assert at == utc(2024, 3, 10, 7, 30)
    assert to_local(at, "America/New_York").replace(tzinfo=None) == datetime(2024, 3, 10, 3, 30)


def test_repeated_hour_needs_a_fold() -> None:
    local = datetime(2024, 11, 3, 1, 30)
    assert classify(local, "America/New_York") is LocalKind.AMBIGUOUS
    with expect_code("ambiguous_local_time"):
        to_utc_strict(local, "America/New_York")
    assert to_utc_strict(local, "America/New_York", fold=0) == utc(2024, 11, 3, 5, 30)
    assert to_utc_strict(local, "America/New_York", fold=1) == utc(2024, 11, 3, 6, 30)


def test_repeated_hour_is_the_first_for_recurrences() -> None:
    at, kind = to_utc_lenient(datetime(2024, 11, 3, 1, 30), "America/New_York")
    assert (at, kind) == (utc(2024, 11, 3, 5, 30), LocalKind.AMBIGUOUS)


def test_second_of_a_repeated_hour_round_trips_through_its_fold() -> None:
    local = to_local(utc(2024, 11, 3, 6, 30), "America/New_York")
    assert (local.hour, local.minute, local.fold) == (1, 30, 1)
    assert local.utcoffset() == -5 * H
    assert local_to_utc_roundtrip(local) == utc(2024, 11, 3, 6, 30)


# --- zones with 30- and 45-minute offsets ----------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "winter", "summer"),
    [
        ("Asia/Kolkata", timedelta(hours=5, minutes=30), timedelta(hours=5, minutes=30)),
        ("Asia/Kathmandu", timedelta(hours=5, minutes=45), timedelta(hours=5, minutes=45)),
        # Southern hemisphere: January is summer (DST), July winter.
        ("Australia/Adelaide", timedelta(hours=10, minutes=30), timedelta(hours=9, minutes=30)),
        ("Pacific/Chatham", timedelta(hours=13, minutes=45), timedelta(hours=12, minutes=45)),
        ("Australia/Lord_Howe", timedelta(hours=11), timedelta(hours=10, minutes=30)),
    ],
)
def test_offsets_in_january_and_july(zone: str, winter: timedelta, summer: timedelta) -> None:
    assert to_local(utc(2024, 1, 15, 12), zone).utcoffset() == winter
    assert to_local(utc(2024, 7, 15, 12), zone).utcoffset() == summer


def test_kathmandu_and_kolkata_local_times() -> None:
    assert to_utc_strict(datetime(2024, 5, 1, 9, 0), "Asia/Kathmandu") == utc(2024, 5, 1, 3, 15)
    assert to_utc_strict(datetime(2024, 5, 1, 9, 0), "Asia/Kolkata") == utc(2024, 5, 1, 3, 30)


@pytest.mark.parametrize(
    ("zone", "gap_time", "repeated_time", "first", "second"),
    [
        # Adelaide: 02:00 -> 03:00 on 2024-10-06; 03:00 -> 02:00 on 2024-04-07.
        ("Australia/Adelaide", datetime(2024, 10, 6, 2, 30), datetime(2024, 4, 7, 2, 30),
         utc(2024, 4, 6, 16), utc(2024, 4, 6, 17)),
        # Chatham: 02:45 -> 03:45 on 2024-09-29; 03:45 -> 02:45 on 2024-04-07.
        ("Pacific/Chatham", datetime(2024, 9, 29, 3, 0), datetime(2024, 4, 7, 3, 0),
         utc(2024, 4, 6, 13, 15), utc(2024, 4, 6, 14, 15)),
        # Lord Howe moves by 30 minutes: 02:00 -> 02:30 and 02:00 -> 01:30.
        ("Australia/Lord_Howe", datetime(2024, 10, 6, 2, 15), datetime(2024, 4, 7, 1, 45),
         utc(2024, 4, 6, 14, 45), utc(2024, 4, 6, 15, 15)),
        # Dublin: GMT -> IST 01:00 -> 02:00 on 2024-03-31; back 02:00 -> 01:00 on 2024-10-27.
        ("Europe/Dublin", datetime(2024, 3, 31, 1, 30), datetime(2024, 10, 27, 1, 30),
         utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 1, 30)),
    ],
)
def test_gaps_and_overlaps_in_hard_zones(
    zone: str, gap_time: datetime, repeated_time: datetime, first: datetime, second: datetime
) -> None:
    assert classify(gap_time, zone) is LocalKind.NONEXISTENT
    with expect_code("nonexistent_local_time"):
        to_utc_strict(gap_time, zone)
    assert classify(repeated_time, zone) is LocalKind.AMBIGUOUS
    assert to_utc_strict(repeated_time, zone, fold=0) == first
    assert to_utc_strict(repeated_time, zone, fold=1) == second
    assert to_utc_lenient(repeated_time, zone)[0] == first


def test_lord_howe_gap_is_thirty_minutes() -> None:
    at, _ = to_utc_lenient(datetime(2024, 10, 6, 2, 15), "Australia/Lord_Howe")
    assert to_local(at, "Australia/Lord_Howe").replace(tzinfo=None) == datetime(
        2024, 10, 6, 2, 45)


def test_dublin_negative_dst_offsets_on_both_sides() -> None:
    """tzdata calls Irish winter time the "DST" (save -1h): the offsets must still be right."""
    winter = to_local(utc(2024, 1, 15, 12), "Europe/Dublin")
    summer = to_local(utc(2024, 7, 15, 12), "Europe/Dublin")
    assert (winter.utcoffset(), winter.hour) == (timedelta(0), 12)
    assert (summer.utcoffset(), summer.hour) == (H, 13)
    assert winter.dst() == -H and summer.dst() == timedelta(0)  # negative DST in winter
    # Same wall times as London all year round.
    for instant in (utc(2024, 1, 15, 12), utc(2024, 7, 15, 12), utc(2024, 10, 27, 1, 30)):
        assert to_local(instant, "Europe/Dublin").replace(tzinfo=None) == to_local(
            instant, "Europe/London").replace(tzinfo=None)


def test_apia_skipped_a_whole_day() -> None:
    for hour in (0, 9, 23):
        assert classify(datetime(2011, 12, 30, hour), "Pacific/Apia") is LocalKind.NONEXISTENT
    with expect_code("nonexistent_local_time"):
        to_utc_strict(datetime(2011, 12, 30, 9), "Pacific/Apia")
    assert classify(datetime(2011, 12, 29, 23, 59), "Pacific/Apia") is LocalKind.NORMAL
    assert classify(datetime(2011, 12, 31, 0, 0), "Pacific/Apia") is LocalKind.NORMAL
    at, _ = to_utc_lenient(datetime(2011, 12, 30, 9), "Pacific/Apia")
    assert to_local(at, "Pacific/Apia").replace(tzinfo=None) == datetime(2011, 12, 31, 9)


# --- every zone, 2000-2040 ---------------------------------------------------------------------

instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31))


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ALL_ZONES), naive_utc=instants)
def test_utc_to_local_and_back_is_exact_everywhere(zone: str, naive_utc: datetime) -> None:
    instant = naive_utc.replace(microsecond=0, tzinfo=UTC)
    local = to_local(instant, zone)
    assert local_to_utc_roundtrip(local) == instant
    kind = classify(local.replace(tzinfo=None), zone)
    assert kind is not LocalKind.NONEXISTENT  # a reading of a real clock exists
    if kind is LocalKind.NORMAL:
        assert to_utc_strict(local.replace(tzinfo=None), zone) == instant


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ALL_ZONES), local=instants)
def test_strict_and_lenient_agree_or_strict_refuses(zone: str, local: datetime) -> None:
    local = local.replace(second=0, microsecond=0)
    lenient, kind = to_utc_lenient(local, zone)
    if kind is LocalKind.NORMAL:
        assert to_utc_strict(local, zone) == lenient
    elif kind is LocalKind.AMBIGUOUS:
        assert to_utc_strict(local, zone, fold=0) == lenient
        assert to_utc_strict(local, zone, fold=1) > lenient
    else:
        with expect_code("nonexistent_local_time"):
            to_utc_strict(local, zone)
        assert to_local(lenient, zone).replace(tzinfo=None) > local  # moved later
