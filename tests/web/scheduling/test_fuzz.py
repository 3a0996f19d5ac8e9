"""Fuzzed booking, reschedule and availability bodies always get a 2xx or a coded 4xx."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rooms.clock import ManualClock
from rooms.errors import ERROR_CODES
from tests.live_server import LiveServer, ThreadedServer, token_of
from tests.web.scheduling.client import ALL_WEEK, T0

API_CODES = ERROR_CODES | {"unauthorized", "invalid_body", "invalid_json", "body_too_large"}
ZONES = ["UTC", "Asia/Tokyo", "America/New_York", "Pacific/Chatham", "Australia/Lord_Howe",
         "Europe/Dublin", "Pacific/Apia", "Mars/Base", "", "localtime", "../etc/passwd"]
TIMES = ["00:00", "08:30", "12:00", "23:59", "24:00", "9:5", "08:30:00", "08:30Z", "", "noon"]
DATES = ["2026-03-08", "2026-11-01", "2011-12-30", "2026-02-30", "2026-3-1", "", "tomorrow"]
LOCAL = ["2026-03-08T02:30", "2026-11-01T01:30", "2026-03-10T10:00", "2011-12-30T09:00",
         "2026-03-10T10:00:30", "2026-03-10T10:00Z", "garbage"]
INSTANTS = ["2026-03-03T00:00:00Z", "2026-03-04T10:15:00+05:45", "2026-03-01T00:00:00Z",
            "2026-03-04T10:15:00", "2026-03-04T10:15:07Z", "9999-12-31T23:59:00Z",
            "0001-01-01T00:00:00Z", "later"]

SCALARS = st.none() | st.booleans() | st.integers(-10, 10**6) | st.floats(allow_nan=False) \
    | st.text(max_size=20)
ANY = st.recursive(SCALARS, lambda c: st.lists(c, max_size=3)
                   | st.dictionaries(st.text(max_size=8), c, max_size=3), max_leaves=6)


def _call(server: LiveServer, method: str, path: str, token: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{server.base_url}{path}", data=json.dumps(body).encode(), method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


class Fixture:
    """A server with a mentor, a mentee (both free all week) and one booking to move."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        people = [self._register(name, role) for name, role in
                  (("Ada", "mentor"), ("Kenji", "mentee"), ("Hana", "host"))]
        (self.mentor, self.mentor_token), (self.mentee, self.mentee_token), \
            (self.host, self.host_token) = people
        status, made = _call(server, "POST", "/api/bookings", self.mentee_token,
                             {"with": self.mentor, "start": "2026-03-05T10:00:00Z"})
        assert status == 201, made
        self.booking_id = made["bookings"][0]["booking_id"]

    def _register(self, name: str, role: str) -> tuple[str, str]:
        status, person = _call(self.server, "POST", "/api/people", self.server.admin_key,
                               {"display_name": name, "role": role, "zone": "Asia/Tokyo"})
        assert status == 201, person
        token = token_of(person["schedule_link"])
        status, _ = _call(self.server, "PUT", "/api/me/availability", token,
                          {"zone": "Asia/Tokyo", "weekly": ALL_WEEK})
        assert status == 200
        return person["identity"], token


@pytest.fixture(scope="module")
def world() -> Iterator[Fixture]:
    # The rate limits have their own tests; here every request must reach the validation.
    with ThreadedServer(clock=ManualClock(T0.timestamp()), slot_search_burst=10_000,
                        booking_burst=10_000, pair_booking_burst=10_000) as server:
        yield Fixture(server)


def check(answer: tuple[int, Any], ok: set[int]) -> None:
    status, body = answer
    assert status in ok | {400, 401, 403, 404, 409, 413}, answer
    if status >= 400:
        assert body["error"]["code"] in API_CODES and body["error"]["message"], answer


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return strategy | ANY


def availability_bodies() -> st.SearchStrategy[Any]:
    window = st.lists(maybe(st.sampled_from(TIMES)), min_size=0, max_size=3)
    weekly = st.dictionaries(st.sampled_from(["mon", "tue", "sun", "xyz"]) | st.text(max_size=4),
                             st.lists(window, max_size=3), max_size=3)
    body = st.fixed_dictionaries({}, optional={
        "zone": maybe(st.sampled_from(ZONES)),
        "weekly": maybe(weekly),
        "days_off": maybe(st.lists(maybe(st.sampled_from(DATES)), max_size=3)),
        "extra": maybe(st.lists(st.lists(maybe(st.sampled_from(LOCAL)), max_size=3),
                                max_size=2)),
        "other": ANY,
    })
    return body | ANY


def booking_bodies(world: Fixture) -> st.SearchStrategy[Any]:
    who = st.sampled_from([world.mentor, world.mentee, world.host, "nobody", ""])
    recurrence = st.fixed_dictionaries({}, optional={
        "frequency": maybe(st.sampled_from(["weekly", "monthly", "daily"])),
        "interval": maybe(st.sampled_from([1, 2, 3])),
        "count": maybe(st.integers(-1, 60)),
    })
    body = st.fixed_dictionaries({}, optional={
        "with": maybe(who | st.lists(who, max_size=3)),
        "start": maybe(st.sampled_from(INSTANTS)),
        "local_start": maybe(st.sampled_from(LOCAL)),
        "zone": maybe(st.sampled_from(ZONES)),
        "fold": maybe(st.sampled_from([0, 1, 2])),
        "length": maybe(st.sampled_from([15, 30, 45, 60, 20, "30"])),
        "title": maybe(st.text(max_size=30)),
        "recurrence": maybe(recurrence),
    })
    return body | ANY


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=availability_bodies())
def test_fuzzed_availability_gets_a_coded_answer(world: Fixture, body: Any) -> None:
    check(_call(world.server, "PUT", "/api/me/availability", world.host_token, body), {200})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_bookings_get_a_coded_answer(world: Fixture, data: st.DataObject) -> None:
    body = data.draw(booking_bodies(world))
    token = data.draw(st.sampled_from([world.mentee_token, world.host_token]))
    check(_call(world.server, "POST", "/api/bookings", token, body), {201})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_reschedules_get_a_coded_answer(world: Fixture, data: st.DataObject) -> None:
    body = data.draw(booking_bodies(world))
    if isinstance(body, dict):
        body.pop("with", None)
        body.pop("recurrence", None)
        body.pop("title", None)
    path = f"/api/bookings/{world.booking_id}"
    check(_call(world.server, "PATCH", path, world.mentor_token, body), {200})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_slot_queries_get_a_coded_answer(world: Fixture, data: st.DataObject) -> None:
    text = st.sampled_from([*DATES, "9999-12-31", "0001-01-01", "30", "60", "-1"]) \
        | st.text(max_size=12)
    params = data.draw(st.dictionaries(
        st.sampled_from(["with", "from", "to", "length", "other"]),
        text | st.sampled_from([world.mentor, world.mentee]), max_size=5))
    query = urllib.parse.urlencode(params)
    request = urllib.request.Request(f"{world.server.base_url}/api/slots?{query}",
                                     headers={"Authorization": f"Bearer {world.mentee_token}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            answer: tuple[int, Any] = (response.status, json.load(response))
    except urllib.error.HTTPError as exc:
        answer = (exc.code, json.load(exc))
    check(answer, {200})
    body = data.draw(st.fixed_dictionaries({}, optional={
        "invitees": maybe(st.lists(st.sampled_from([world.mentor, world.mentee, "x"]),
                                   max_size=3)),
        "from": maybe(st.sampled_from(DATES)), "to": maybe(st.sampled_from(DATES)),
        "length": maybe(st.sampled_from([15, 60, 90])), "limit": maybe(st.integers(-1, 200)),
    }) | ANY)
    check(_call(world.server, "POST", "/api/roundtable-slots", world.host_token, body), {200})
