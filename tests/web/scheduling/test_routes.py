"""The scheduling REST API over a real server on a ManualClock: people, availability,
slots, bookings, reschedules, series, calendars, and every error with its code."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.grants import JoinGrant, TokenSigner
from rooms.models import Role
from rooms.scheduling import tzdb
from rooms.scheduling.zones import load_zone
from tests.ics_reader import read_ics
from tests.live_server import live_server, token_of
from tests.web.scheduling.client import ALL_WEEK, T0, Client, Person, code, instant, wire

LA, TOKYO, NEW_YORK, LONDON = (
    "America/Los_Angeles", "Asia/Tokyo", "America/New_York", "Europe/London")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0.timestamp())


@pytest.fixture
async def api(clock: ManualClock) -> AsyncIterator[Client]:
    async with live_server(clock) as server, aiohttp.ClientSession() as http:
        yield Client(server, http)


async def pair(api: Client, mentor_zone: str = LA, mentee_zone: str = TOKYO,
               ) -> tuple[Person, Person]:
    """A mentor and a mentee who are free all week."""
    mentor = await api.register("Ada", "mentor", mentor_zone, ALL_WEEK, "ada@example.org")
    mentee = await api.register("Kenji", "mentee", mentee_zone, ALL_WEEK)
    return mentor, mentee


def join_grant(api: Client, link: str) -> JoinGrant:
    return api.server.services.service.verify(token_of(link))


# ---- people and auth ------------------------------------------------------------------


async def test_people_register_and_see_themselves(api: Client, clock: ManualClock) -> None:
    mentor, mentee = await pair(api)
    host = await api.register("Hana", "host", "Asia/Kathmandu")
    assert mentor.data["schedule_link"].startswith(f"{api.server.base_url}/schedule#token=")
    assert mentor.data["email"] == "ada@example.org"
    status, me = await api.call("GET", "/api/me", mentee.token)
    assert status == 200
    assert (me["identity"], me["role"], me["zone"]) == (mentee.identity, "mentee", TOKYO)
    assert me["availability"]["weekly"]["mon"] == [["00:00", "00:00"]]
    assert me["feed_url"] == mentee.feed_url
    assert [p["identity"] for p in me["counterparts"]] == [mentor.identity]
    status, everyone = await api.admin("GET", "/api/people")
    assert status == 200 and len(everyone) == 3
    status, listed = await api.call("GET", "/api/people", host.token)
    assert status == 200 and all(p["email"] is None for p in listed)
    assert code(await api.call("GET", "/api/people", mentee.token)) == (403, "forbidden")
    # A zone change with the availability moves the person.
    status, _ = await api.call("PUT", "/api/me/availability", mentee.token,
                               {"zone": "Europe/Dublin", "weekly": {}})
    assert status == 200
    assert (await api.call("GET", "/api/me", mentee.token))[1]["zone"] == "Europe/Dublin"
    # Person tokens last 90 days.
    clock.advance(91 * 86400)
    assert code(await api.call("GET", "/api/me", mentee.token)) == (401, "unauthorized")


async def test_only_person_tokens_open_person_endpoints(api: Client) -> None:
    mentor, _ = await pair(api)
    room = await api.server.create_room()
    join_token = token_of(room["links"]["mentor"])
    for token in (None, "", "garbage", api.server.admin_key, join_token, mentor.token + "x"):
        assert code(await api.call("GET", "/api/me", token)) == (401, "unauthorized"), token
    # ... and a person token opens no room.
    with pytest.raises(RoomError, match="token_invalid"):
        api.server.services.service.verify(mentor.token)
    for body in ({"display_name": "X", "role": "mentor", "zone": LA},):
        assert code(await api.call("POST", "/api/people", mentor.token, body)) == (
            401, "unauthorized")


async def test_registration_refuses_bad_people(api: Client) -> None:
    cases = [
        ({"display_name": "X", "role": "mentor", "zone": "Mars/Olympus"}, "unknown_zone"),
        ({"display_name": "X", "role": "mentor", "zone": "localtime"}, "unknown_zone"),
        ({"display_name": "X", "role": "boss", "zone": LA}, "invalid_body"),
        ({"display_name": "", "role": "mentor", "zone": LA}, "invalid_body"),
        ({"display_name": "X", "role": "mentor", "zone": LA, "admin": True}, "invalid_body"),
        ({"display_name": "X", "role": "mentor", "zone": LA, "email": "no"}, "invalid_body"),
        ([1, 2], "invalid_body"),
    ]
    for body, expected in cases:
        assert code(await api.admin("POST", "/api/people", body)) == (400, expected), body
    assert code(await api.call("POST", "/api/people", api.server.admin_key,
                               raw=b"{oops")) == (400, "invalid_json")
    assert code(await api.call("POST", "/api/people", api.server.admin_key,
                               raw=b'{"x": "' + b"y" * 70_000 + b'"}')) == (413, "body_too_large")
    assert (await api.admin("GET", "/api/people"))[1] == []


# ---- availability ---------------------------------------------------------------------


async def test_availability_is_stored_in_local_time(api: Client) -> None:
    mentor, _ = await pair(api)
    body = {"zone": "Asia/Kolkata", "weekly": {"thu": [["16:00", "18:00"], ["08:30", "12:00"]]},
            "days_off": ["2026-12-25"], "extra": [["2026-12-27T10:00", "2026-12-27T12:00"]]}
    status, saved = await api.call("PUT", "/api/me/availability", mentor.token, body)
    assert status == 200
    assert saved == {"zone": "Asia/Kolkata",
                     "weekly": {"thu": [["08:30", "12:00"], ["16:00", "18:00"]]},
                     "days_off": ["2026-12-25"],
                     "extra": [["2026-12-27T10:00", "2026-12-27T12:00"]]}
    assert (await api.call("GET", "/api/me", mentor.token))[1]["availability"] == saved


async def test_availability_errors_have_codes(api: Client) -> None:
    mentor, _ = await pair(api)
    cases = [
        ({"zone": "Europe/Atlantis"}, "unknown_zone"),
        ({"zone": LA, "weekly": {"mon": [["18:00", "16:00"]]}}, "invalid_range"),
        ({"zone": LA, "extra": [["2026-03-10T12:00", "2026-03-10T10:00"]]}, "invalid_range"),
        ({"zone": LA, "extra": [["2026-03-01T00:00", "2026-03-20T00:00"]]}, "range_too_long"),
        ({"zone": LA, "extra": [["9999-12-31T10:00", "9999-12-31T12:00"]]}, "invalid_range"),
        ({"zone": LA, "extra": [["0001-01-01T10:00", "0001-01-01T12:00"]]}, "invalid_range"),
        ({"zone": LA, "days_off": ["9999-12-31"]}, "invalid_range"),
        ({"zone": LA, "days_off": ["1999-12-31"]}, "invalid_range"),
        ({"zone": LA, "weekly": {"mon": [["25:00", "26:00"]]}}, "invalid_body"),
        ({"zone": LA, "weekly": {"mon": [["08:00:30", "09:00"]]}}, "invalid_body"),
        ({"zone": LA, "weekly": {"funday": [["08:00", "09:00"]]}}, "invalid_body"),
        ({"zone": LA, "days_off": ["2026-02-30"]}, "invalid_body"),
        ({"zone": LA, "extra": [["2026-03-10T10:00Z", "2026-03-10T12:00Z"]]}, "invalid_body"),
        ({"zone": LA, "weekly": {"mon": [["08:00", "09:00"]] * 13}}, "invalid_body"),
        ({"zone": LA, "colour": "blue"}, "invalid_body"),
        ({}, "invalid_body"),
    ]
    for body, expected in cases:
        answer = await api.call("PUT", "/api/me/availability", mentor.token, body)
        assert code(answer) == (400, expected), body
    assert code(await api.call("PUT", "/api/me/availability", None, {"zone": LA})) == (
        401, "unauthorized")


async def test_availability_across_a_gap_follows_the_documented_policy(api: Client) -> None:
    """Policy 4: a window across the spring-forward gap is accepted and simply loses the
    skipped hour; one across the repeated hour gains it."""
    ny = await api.register("Nia", "mentor", NEW_YORK, {"sun": [["01:00", "04:00"]]})
    other = await api.register("Oli", "mentee", "UTC", ALL_WEEK)
    params = {"with": ny.identity, "from": "2026-03-08", "to": "2026-03-08", "length": "60"}
    status, slots = await api.call("GET", "/api/slots", other.token, params=params)
    assert status == 200
    # 01:00-04:00 on 8 March is 01:00-02:00 EST + 03:00-04:00 EDT = 06:00-08:00 UTC.
    assert [s["start"] for s in slots] == ["2026-03-08T06:00:00Z", "2026-03-08T06:15:00Z",
                                           "2026-03-08T06:30:00Z", "2026-03-08T06:45:00Z",
                                           "2026-03-08T07:00:00Z"]
    assert slots[-1]["local"][ny.identity]["start"] == "2026-03-08T03:00:00-04:00"
    ny_fall = await api.register("Fay", "mentor", NEW_YORK, {"sun": [["01:00", "02:00"]]})
    params = {"with": ny_fall.identity, "from": "2026-11-01", "to": "2026-11-01",
              "length": "60"}
    status, slots = await api.call("GET", "/api/slots", other.token, params=params)
    # 01:00-02:00 happens twice: 05:00-07:00 UTC is free, 2 h long.
    assert [s["start"] for s in slots][0::4] == ["2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z"]


# ---- finding a time -------------------------------------------------------------------


async def test_slots_show_every_participant_local_time(api: Client) -> None:
    mentor = await api.register("Ada", "mentor", LA, {"mon": [["16:00", "18:00"]]})
    mentee = await api.register("Kenji", "mentee", TOKYO, {"tue": [["08:30", "12:00"]]})
    status, slots = await api.call("GET", "/api/slots", mentee.token,
                                   params={"with": mentor.identity})
    assert status == 200
    starts = [instant(s["start"]) for s in slots]
    first_week = [datetime(2026, 3, 3, tzinfo=UTC) + k * timedelta(minutes=15) for k in range(7)]
    after_dst = [datetime(2026, 3, 9, 23, 30, tzinfo=UTC) + k * timedelta(minutes=15)
                 for k in range(5)]
    assert starts == first_week + after_dst
    for slot in slots:
        for person, zone in ((mentor, LA), (mentee, TOKYO)):
            local = slot["local"][person.identity]
            assert local["zone"] == zone
            assert datetime.fromisoformat(local["start"]) == instant(slot["start"])
            assert local["start"] == instant(slot["start"]).astimezone(
                load_zone(zone)).isoformat()


async def test_slot_queries_refuse_bad_ranges(api: Client) -> None:
    mentor, mentee = await pair(api)
    cases = [
        ({"with": mentor.identity, "from": "2026-03-10", "to": "2026-03-01"}, 400,
         "invalid_range"),
        ({"with": mentor.identity, "from": "2026-03-01", "to": "2026-07-01"}, 400,
         "range_too_long"),
        ({"with": mentor.identity, "length": "20"}, 400, "invalid_duration"),
        ({"with": mentor.identity, "length": "half"}, 400, "invalid_body"),
        ({"with": mentor.identity, "from": "yesterday"}, 400, "invalid_body"),
        ({}, 400, "invalid_body"),
        ({"with": "nobody"}, 404, "person_not_found"),
        ({"with": mentee.identity}, 403, "forbidden"),
    ]
    for params, status, expected in cases:
        answer = await api.call("GET", "/api/slots", mentee.token, params=params)
        assert code(answer) == (status, expected), params


async def test_roundtable_slots_rank_by_attendance(api: Client) -> None:
    host = await api.register("Hana", "host", LONDON, {"tue": [["09:00", "11:00"]]})
    both = await api.register("Bo", "mentee", LONDON, {"tue": [["09:00", "10:00"]]})
    late = await api.register("La", "mentee", LONDON, {"tue": [["10:00", "11:00"]]})
    none = await api.register("No", "mentee", LONDON)
    body = {"invitees": [both.identity, late.identity, none.identity],
            "from": "2026-03-03", "to": "2026-03-03", "length": 60, "limit": 3}
    status, slots = await api.call("POST", "/api/roundtable-slots", host.token, body)
    assert status == 200
    # Slots nobody else can make are left out.
    assert [s["start"] for s in slots] == ["2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z"]
    assert slots[0]["available"] == [host.identity, both.identity]
    assert set(slots[0]["unavailable"]) == {late.identity, none.identity}
    assert code(await api.call("POST", "/api/roundtable-slots", both.token, body)) == (
        403, "forbidden")
    assert code(await api.call("POST", "/api/roundtable-slots", host.token,
                               {**body, "invitees": []})) == (400, "invalid_body")
    for invitees in ([both.identity, both.identity], [host.identity]):
        assert code(await api.call("POST", "/api/roundtable-slots", host.token,
                                   {**body, "invitees": invitees})) == (403, "forbidden")


# ---- booking --------------------------------------------------------------------------


async def test_a_booking_makes_a_room_that_opens_five_minutes_early(
        api: Client, clock: ManualClock) -> None:
    mentor, mentee = await pair(api)
    start = T0 + timedelta(days=1, hours=3)
    [made] = await api.booked(mentee, {"with": mentor.identity, "start": wire(start),
                                       "length": 45, "title": "Career chat"})
    assert (made["start"], made["end"]) == (wire(start), wire(start + timedelta(minutes=45)))
    assert made["opens_at"] == wire(start - timedelta(minutes=5))
    assert made["kind"] == "coffee" and made["status"] == "confirmed"
    assert made["organiser"]["identity"] == mentee.identity
    assert [p["identity"] for p in made["with"]] == [mentor.identity]
    assert made["local"][mentor.identity]["start"] == start.astimezone(load_zone(LA)).isoformat()
    # The link is the mentee's own and is refused until the room opens.
    with pytest.raises(RoomError) as early:
        join_grant(api, made["join_link"])
    assert early.value.code == "token_not_yet_valid"
    clock.set((start - timedelta(minutes=5)).timestamp())
    grant = join_grant(api, made["join_link"])
    assert (grant.identity, grant.role, grant.display_name) == (mentee.identity, Role.MENTEE,
                                                                "Kenji")
    room = await api.server.services.store.get_room(grant.room_id)
    assert room is not None and room.kind.value == "coffee"
    assert room.expires_at >= (start + timedelta(minutes=45)).timestamp()
    snapshot = await api.server.services.service.join(grant)
    assert [p.identity for p in snapshot.participants] == [mentee.identity]
    # The mentor sees the same session with their own link.
    status, theirs = await api.call("GET", "/api/me/bookings", mentor.token)
    assert status == 200 and [b["booking_id"] for b in theirs] == [made["booking_id"]]
    mentor_grant = join_grant(api, theirs[0]["join_link"])
    assert (mentor_grant.role, mentor_grant.room_id) == (Role.MENTOR, grant.room_id)
    # Once the room has closed the session leaves the list.
    clock.set((start + timedelta(hours=2)).timestamp())
    assert (await api.call("GET", "/api/me/bookings", mentor.token))[1] == []


async def test_booking_refusals_have_codes(api: Client) -> None:
    mentor, mentee = await pair(api, NEW_YORK, LONDON)
    busy = await api.register("Bea", "mentor", NEW_YORK, {"mon": [["09:00", "10:00"]]})
    start = wire(T0 + timedelta(days=2))
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"with": mentor.identity, "local_start": "2026-03-08T02:30", "zone": NEW_YORK},
         400, "nonexistent_local_time"),
        ({"with": mentor.identity, "local_start": "2026-11-01T01:30", "zone": NEW_YORK},
         400, "ambiguous_local_time"),
        ({"with": mentor.identity, "local_start": "2026-03-29T01:30"}, 400,
         "nonexistent_local_time"),  # the caller's zone: London springs forward at 01:00
        ({"with": mentor.identity, "local_start": "2026-03-10T10:00", "zone": "Nowhere/City"},
         400, "unknown_zone"),
        ({"with": mentor.identity, "start": wire(T0 - timedelta(hours=1))}, 400,
         "slot_in_past"),
        ({"with": busy.identity, "start": start}, 409, "slot_unavailable"),
        ({"with": mentee.identity, "start": start}, 403, "forbidden"),
        ({"with": "nobody", "start": start}, 404, "person_not_found"),
        ({"with": [mentor.identity], "start": start}, 403, "forbidden"),  # not a host
        ({"with": mentor.identity, "start": start, "length": 20}, 400, "invalid_body"),
        ({"with": mentor.identity, "start": "2026-03-04T00:00:00"}, 400, "invalid_body"),
        ({"with": mentor.identity, "start": "2026-03-04T00:00:30Z"}, 400, "invalid_body"),
        ({"with": mentor.identity, "start": start, "local_start": "2026-03-10T10:00"}, 400,
         "invalid_body"),
        ({"with": mentor.identity}, 400, "invalid_body"),
        ({"with": mentor.identity, "start": start, "recurrence": {"frequency": "weekly",
                                                                 "interval": 2,
                                                                 "count": 52}},
         400, "range_too_long"),
        ({"with": mentor.identity, "start": start, "recurrence": {"frequency": "daily",
                                                                 "count": 3}},
         400, "invalid_body"),
    ]
    for body, status, expected in cases:
        assert code(await api.book(mentee, body)) == (status, expected), body
    assert code(await api.call("POST", "/api/bookings", None, {"with": mentor.identity,
                                                               "start": start})) == (
        401, "unauthorized")
    assert (await api.call("GET", "/api/me/bookings", mentee.token))[1] == []
    # Saying which of the two 01:30s is meant books it.
    [second] = await api.booked(mentee, {"with": mentor.identity, "zone": NEW_YORK,
                                         "local_start": "2026-11-01T01:30", "fold": 1})
    assert second["start"] == "2026-11-01T06:30:00Z"


async def test_reschedule_issues_new_links_and_cancel_frees_the_time(
        api: Client, clock: ManualClock) -> None:
    mentor, mentee = await pair(api)
    outsider = await api.register("Eve", "mentee", LONDON, ALL_WEEK)
    start = T0 + timedelta(days=1)
    [made] = await api.booked(mentee, {"with": mentor.identity, "start": wire(start)})
    path = f"/api/bookings/{made['booking_id']}"
    old_link = made["join_link"]
    for method in ("PATCH", "DELETE"):
        answer = await api.call(method, path, outsider.token, {"start": wire(start)}
                                if method == "PATCH" else None)
        assert code(answer) == (403, "forbidden")
    assert code(await api.call("GET", f"{path}/invite.ics", outsider.token)) == (403,
                                                                               "forbidden")
    assert code(await api.call("PATCH", "/api/bookings/nope", mentor.token,
                               {"start": wire(start)})) == (404, "booking_not_found")
    assert code(await api.call("PATCH", path, mentor.token, {"start": wire(start),
                                                             "scope": "all"})) == (
        400, "invalid_body")
    later = start + timedelta(hours=2)
    status, moved = await api.call("PATCH", path, mentor.token,
                                   {"start": wire(later), "length": 15})
    assert status == 200
    [booking] = moved["bookings"]
    assert (booking["start"], booking["end"], booking["sequence"]) == (
        wire(later), wire(later + timedelta(minutes=15)), 1)
    clock.set((later - timedelta(minutes=4)).timestamp())
    new_grant = join_grant(api, booking["join_link"])
    with pytest.raises(RoomError):  # the old link opens nothing any more
        await api.server.services.service.join_with_token(token_of(old_link))
    assert await api.server.services.service.join(new_grant)
    status, ics = await api.call("GET", f"{path}/invite.ics", mentee.token)
    event = read_ics(ics).vevent
    assert (event.sequence.value, event.dtstart.value.astimezone(UTC)) == ("1", later)
    status, cancelled = await api.call("DELETE", path, mentee.token)
    assert status == 200 and cancelled["bookings"][0]["status"] == "cancelled"
    assert cancelled["bookings"][0]["join_link"] is None
    assert code(await api.call("DELETE", path, mentee.token)) == (409, "booking_cancelled")
    status, ics = await api.call("GET", f"{path}/invite.ics", mentor.token)
    calendar = read_ics(ics)
    assert calendar.method.value == "CANCEL" and calendar.vevent.sequence.value == "2"
    # The time is free again (booked, as it must be, at least two hours ahead).
    clock.set(T0.timestamp())
    await api.booked(outsider, {"with": mentor.identity, "start": wire(later)})


async def test_invites_and_feeds_parse_with_an_independent_reader(api: Client) -> None:
    mentor, mentee = await pair(api, NEW_YORK, LONDON)
    # Across the weeks when only New York has changed its clocks.
    starts = [datetime(2026, 3, 6, 14, tzinfo=UTC), datetime(2026, 3, 10, 13, tzinfo=UTC),
              datetime(2026, 3, 30, 13, tzinfo=UTC)]
    made = [(await api.booked(mentor, {"with": mentee.identity, "start": wire(s)}))[0]
            for s in starts]
    status, ics = await api.call("GET", f"/api/bookings/{made[1]['booking_id']}/invite.ics",
                                 mentee.token)
    assert status == 200
    calendar = read_ics(ics)
    assert calendar.method.value == "REQUEST"
    event = calendar.vevent
    assert event.uid.value.startswith(made[1]["booking_id"])
    assert event.dtstart.value.astimezone(UTC) == starts[1]
    assert event.dtstart.value.tzinfo is not None
    status, feed = await api.call("GET", mentee.feed_url)
    assert status == 200
    events = read_ics(feed).vevent_list
    assert sorted(e.dtstart.value.astimezone(UTC) for e in events) == starts
    # A new feed URL revokes the old one.
    status, renewed = await api.call("POST", "/api/me/feed", mentee.token)
    assert status == 200 and renewed["feed_url"] != mentee.feed_url
    assert code(await api.call("GET", mentee.feed_url)) == (403, "forbidden")
    assert (await api.call("GET", renewed["feed_url"]))[0] == 200
    bad = mentee.feed_url.replace(".ics", "0.ics")
    assert code(await api.call("GET", bad)) == (403, "forbidden")


async def test_a_cancelled_session_stays_in_the_feed_as_cancelled(api: Client) -> None:
    mentor, mentee = await pair(api)
    starts = [T0 + timedelta(days=1), T0 + timedelta(days=2)]
    made = [(await api.booked(mentee, {"with": mentor.identity, "start": wire(s)}))[0]
            for s in starts]
    assert (await api.call("DELETE", f"/api/bookings/{made[0]['booking_id']}",
                           mentor.token))[0] == 200
    for person in (mentor, mentee):
        status, feed = await api.call("GET", person.feed_url)
        assert status == 200
        events = {e.uid.value.split("@")[0]: e for e in read_ics(feed).vevent_list}
        gone, kept = events[made[0]["booking_id"]], events[made[1]["booking_id"]]
        assert (gone.status.value, gone.sequence.value) == ("CANCELLED", "1")
        assert gone.dtstart.value.astimezone(UTC) == starts[0]
        assert (kept.status.value, kept.sequence.value) == ("CONFIRMED", "0")
    # Cancelled sessions are not upcoming ones.
    status, mine = await api.call("GET", "/api/me/bookings", mentee.token)
    assert [b["booking_id"] for b in mine] == [made[1]["booking_id"]]


async def test_pages_get_every_time_computed_in_the_zone_they_show(api: Client) -> None:
    mentor = await api.register("Ada", "mentor", LA, {"mon": [["16:00", "18:00"]]})
    mentee = await api.register("Kenji", "mentee", TOKYO, {"tue": [["08:30", "12:00"]]})
    status, slots = await api.call("GET", "/api/slots", mentee.token,
                                   params={"with": mentor.identity})
    assert status == 200 and slots[0]["shown"] == {
        "zone": TOKYO, "start": "2026-03-03T09:00:00+09:00",
        "end": "2026-03-03T09:30:00+09:00", "opens_at": None}
    status, slots = await api.call("GET", "/api/slots", mentee.token,
                                   params={"with": mentor.identity, "zone": "Asia/Kolkata"})
    assert status == 200 and slots[0]["shown"]["start"] == "2026-03-03T05:30:00+05:30"
    assert code(await api.call("GET", "/api/slots", mentee.token, params={
        "with": mentor.identity, "zone": "Mars/Olympus"})) == (400, "unknown_zone")
    [made] = await api.booked(mentee, {"with": mentor.identity, "start": slots[0]["start"]})
    assert made["shown"] == {"zone": TOKYO, "start": "2026-03-03T09:00:00+09:00",
                             "end": "2026-03-03T09:30:00+09:00",
                             "opens_at": "2026-03-03T08:55:00+09:00"}
    # The join link carries the opening in the person's zone for the join page to show.
    assert made["join_link"].endswith("&opens=2026-03-03T08%3A55%3A00%2B09%3A00")
    assert token_of(made["join_link"]) + "&opens=" in made["join_link"]
    status, mine = await api.call("GET", "/api/me/bookings", mentor.token,
                                  params={"zone": "Europe/Berlin"})
    assert status == 200 and mine[0]["shown"]["opens_at"] == "2026-03-03T00:55:00+01:00"
    assert code(await api.call("GET", "/api/me/bookings", mentor.token,
                               params={"zone": "Nowhere"})) == (400, "unknown_zone")
    # The zone picker's list: the zones of the server's tz database, offsets now.
    status, zones = await api.call("GET", "/api/zones")
    assert status == 200 and zones["tzdata"] == tzdb.version()
    offsets = {z["zone"]: z["offset"] for z in zones["zones"]}
    assert set(offsets) == tzdb.available_zones() - {"Factory", "localtime", "posixrules"}
    assert (offsets[TOKYO], offsets[LA], offsets["Asia/Kathmandu"]) == (
        "+09:00", "-08:00", "+05:45")


# ---- series and roundtables ------------------------------------------------------------


async def test_a_fortnightly_series_keeps_the_organisers_wall_clock(api: Client) -> None:
    mentor, mentee = await pair(api, NEW_YORK, LONDON)
    first = datetime(2026, 3, 3, 14, tzinfo=UTC)  # 09:00 in New York (EST)
    made = await api.booked(mentor, {"with": mentee.identity, "start": wire(first),
                                     "recurrence": {"frequency": "weekly", "interval": 2,
                                                    "count": 4}})
    assert len(made) == 4 and len({b["series_id"] for b in made}) == 1
    ny_times = [b["local"][mentor.identity]["start"][11:16] for b in made]
    london_times = [b["local"][mentee.identity]["start"][11:16] for b in made]
    assert ny_times == ["09:00"] * 4
    assert london_times == ["14:00", "13:00", "14:00", "14:00"]  # NY moves 8 Mar, UK 29 Mar
    # Moving the second and all following by one hour keeps the first.
    second = made[1]
    moved_to = instant(second["start"]) + timedelta(hours=1)
    status, moved = await api.call(
        "PATCH", f"/api/bookings/{second['booking_id']}?scope=following", mentee.token,
        {"start": wire(moved_to)})
    assert status == 200, moved
    assert moved["bookings"][0]["booking_id"] == second["booking_id"]
    status, upcoming = await api.call("GET", "/api/me/bookings", mentor.token)
    assert [b["local"][mentor.identity]["start"][11:16] for b in upcoming] == [
        "09:00", "10:00", "10:00", "10:00"]
    # Cancelling the third and following leaves two.
    status, done = await api.call("DELETE", f"/api/bookings/{made[2]['booking_id']}"
                                  "?scope=following", mentor.token)
    assert status == 200 and len(done["bookings"]) == 2
    assert len((await api.call("GET", "/api/me/bookings", mentee.token))[1]) == 2


async def test_a_series_is_booked_whole_or_not_at_all(api: Client) -> None:
    mentor, mentee = await pair(api)
    other = await api.register("Ola", "mentee", LONDON, ALL_WEEK)
    first = T0 + timedelta(days=1)
    await api.booked(other, {"with": mentor.identity, "start": wire(first + timedelta(weeks=2))})
    answer = await api.book(mentee, {"with": mentor.identity, "start": wire(first),
                                     "recurrence": {"frequency": "weekly", "count": 4}})
    assert code(answer) == (409, "slot_taken")
    assert (await api.call("GET", "/api/me/bookings", mentee.token))[1] == []


async def test_a_monthly_series_stays_on_its_weekday(api: Client) -> None:
    mentor, mentee = await pair(api, LONDON, TOKYO)
    first = datetime(2026, 3, 10, 9, tzinfo=UTC)  # the second Tuesday of March
    made = await api.booked(mentor, {"with": mentee.identity, "start": wire(first),
                                     "recurrence": {"frequency": "monthly", "count": 3}})
    days = [datetime.fromisoformat(b["local"][mentor.identity]["start"]) for b in made]
    assert [(d.month, d.day, d.weekday(), d.hour) for d in days] == [
        (3, 10, 1, 9), (4, 14, 1, 9), (5, 12, 1, 9)]


async def test_a_roundtable_gives_the_host_the_controls(api: Client) -> None:
    host = await api.register("Hana", "host", LONDON, ALL_WEEK)
    guests = [await api.register(f"G{i}", "mentee", TOKYO) for i in range(3)]
    start = T0 + timedelta(days=3)
    [made] = await api.booked(host, {"with": [g.identity for g in guests],
                                     "start": wire(start), "length": 60})
    assert made["kind"] == "roundtable" and len(made["with"]) == 3
    signer = TokenSigner(api.server.secret, ManualClock(start.timestamp()))
    host_grant = signer.verify(token_of(made["join_link"]))
    assert (host_grant.role, host_grant.admin) == (Role.HOST, True)
    status, theirs = await api.call("GET", "/api/me/bookings", guests[0].token)
    assert status == 200
    guest_grant = signer.verify(token_of(theirs[0]["join_link"]))
    assert (guest_grant.role, guest_grant.admin) == (Role.PARTICIPANT, False)
    room = await api.server.services.store.get_room(host_grant.room_id)
    assert room is not None and (room.kind.value, room.capacity) == ("roundtable", 4)
    # The booked room runs as a roundtable: the organiser's token takes the host's seat.
    service = api.server.services.service
    await service.join(guest_grant)
    await service.join(host_grant)
    state = await service.roundtables.state(host_grant.room_id)
    assert state.host == host_grant.identity
    assert state.role_of(guest_grant.identity) is Role.PARTICIPANT
    await service.roundtables.set_locked(host_grant, True)
    with pytest.raises(RoomError) as refused:
        await service.roundtables.set_locked(guest_grant, False)
    assert refused.value.code == "not_host"


# ---- concurrency ----------------------------------------------------------------------


async def test_fifty_concurrent_bookings_of_one_slot_make_one(redis_url: str) -> None:
    clock = ManualClock(T0.timestamp())
    async with live_server(clock, redis_url=redis_url) as server, \
            aiohttp.ClientSession() as http:
        api = Client(server, http)
        mentor = await api.register("Ada", "mentor", LA, ALL_WEEK)
        mentees = [await api.register(f"M{i}", "mentee", TOKYO, ALL_WEEK) for i in range(50)]
        start = wire(T0 + timedelta(days=2))
        answers = await asyncio.gather(*(
            api.book(m, {"with": mentor.identity, "start": start}) for m in mentees))
        statuses = sorted(status for status, _ in answers)
        assert statuses == [201] + [409] * 49
        assert all(body["error"]["code"] == "slot_taken"
                   for status, body in answers if status == 409)
        status, booked = await api.call("GET", "/api/me/bookings", mentor.token)
        assert status == 200 and len(booked) == 1
        # Only the winner's room was kept.
        rooms = [k async for k in server.services.redis.scan_iter(  # type: ignore[union-attr]
            "mentorcall:room:{*}")]
        assert len(rooms) == 1, rooms


# ---- who may do what --------------------------------------------------------------------


async def test_people_find_and_book_only_their_counterparts(api: Client) -> None:
    mentor, mentee = await pair(api)
    other_mentee = await api.register("Ola", "mentee", LONDON, ALL_WEEK)
    other_mentor = await api.register("Ben", "mentor", LONDON, ALL_WEEK)
    host = await api.register("Hana", "host", LONDON, ALL_WEEK)
    start = wire(T0 + timedelta(days=1))
    for caller, other in [(mentee, other_mentee), (mentee, host), (mentor, other_mentor),
                          (mentor, host)]:
        answer = await api.call("GET", "/api/slots", caller.token,
                                params={"with": other.identity})
        assert code(answer) == (403, "forbidden")
        assert code(await api.book(caller, {"with": other.identity, "start": start})) == (
            403, "forbidden")
    assert (await api.call("GET", "/api/slots", mentee.token,
                           params={"with": mentor.identity}))[0] == 200
    assert (await api.call("GET", "/api/slots", host.token,
                           params={"with": mentee.identity}))[0] == 200
    await api.booked(host, {"with": other_mentee.identity, "start": start})


async def test_only_the_organiser_changes_a_roundtable(api: Client) -> None:
    host = await api.register("Hana", "host", LONDON, ALL_WEEK)
    guests = [await api.register(f"G{i}", "mentee", TOKYO) for i in range(2)]
    start = T0 + timedelta(days=3)
    made = await api.booked(host, {"with": [g.identity for g in guests],
                                   "start": wire(start), "length": 60,
                                   "recurrence": {"frequency": "weekly", "count": 2}})
    path = f"/api/bookings/{made[0]['booking_id']}"
    later = {"start": wire(start + timedelta(hours=2))}
    assert code(await api.call("PATCH", path, guests[0].token, later)) == (403, "forbidden")
    assert code(await api.call("PATCH", f"{path}?scope=following", guests[0].token,
                               later)) == (403, "forbidden")
    assert code(await api.call("DELETE", f"{path}?scope=following", guests[1].token)) == (
        403, "forbidden")
    assert (await api.call("GET", f"{path}/invite.ics", guests[0].token))[0] == 200
    status, done = await api.call("DELETE", f"{path}?scope=following", host.token)
    assert status == 200 and len(done["bookings"]) == 2


async def test_invites_and_feeds_show_only_the_readers_own_email(api: Client) -> None:
    mentor, _ = await pair(api)
    mentee = await api.register("Mia", "mentee", TOKYO, ALL_WEEK, "mia@example.org")
    [made] = await api.booked(mentee, {"with": mentor.identity,
                                       "start": wire(T0 + timedelta(days=1))})
    path = f"/api/bookings/{made['booking_id']}/invite.ics"
    for reader, own, others in [(mentee, "mia@example.org", "ada@example.org"),
                                (mentor, "ada@example.org", "mia@example.org")]:
        for _, text in [await api.call("GET", path, reader.token),
                        await api.call("GET", reader.feed_url)]:
            event = read_ics(text).vevent
            addresses = [event.organizer.value, *(a.value for a in event.attendee_list)]
            assert f"mailto:{own}" in addresses
            assert others not in text
            assert len([a for a in addresses if a.startswith("urn:mentorcall:")]) == 1


async def test_a_failing_feed_logs_no_feed_token(
        api: Client, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, mentee = await pair(api)

    async def broken(identity: str) -> list[Any]:
        raise RuntimeError("the store is down")

    monkeypatch.setattr(api.server.services.scheduling.service, "feed", broken)
    feed_token = mentee.feed_url.rsplit("/", 1)[1].removesuffix(".ics")
    with caplog.at_level(logging.ERROR):
        assert code(await api.call("GET", mentee.feed_url)) == (500, "internal_error")
    logged = [r for r in caplog.records if "failed" in r.getMessage()]
    assert logged and all(feed_token not in r.getMessage() for r in logged)


async def test_an_admin_reissues_a_schedule_link(api: Client) -> None:
    mentor, mentee = await pair(api)
    path = f"/api/people/{mentee.identity}/link"
    assert code(await api.call("POST", path, mentee.token)) == (401, "unauthorized")
    assert code(await api.admin("POST", "/api/people/nobody/link")) == (404,
                                                                       "person_not_found")
    status, renewed = await api.admin("POST", path)
    assert status == 200 and renewed["identity"] == mentee.identity
    assert renewed["feed_url"] == mentee.feed_url  # the feed is not affected
    new_token = token_of(renewed["schedule_link"])
    assert new_token != mentee.token
    assert code(await api.call("GET", "/api/me", mentee.token)) == (401, "unauthorized")
    assert (await api.call("GET", "/api/me", new_token))[0] == 200
    assert (await api.call("GET", "/api/me", mentor.token))[0] == 200  # others unaffected
    status, again = await api.admin("POST", path)
    assert code(await api.call("GET", "/api/me", new_token)) == (401, "unauthorized")
    assert (await api.call("GET", "/api/me", token_of(again["schedule_link"])))[0] == 200
