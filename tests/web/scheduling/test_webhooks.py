"""Webhooks against a real receiver on 127.0.0.1: signed, retried, de-duplicated, and
reminders sent once before each session, also with two servers on one Redis."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import ValidationError

from rooms.clock import ManualClock
from rooms.scheduling import tzdb
from rooms.scheduling.availability import Availability
from rooms.scheduling.booking_service import SchedulingService
from rooms.scheduling.people import PersonRole
from tests.ics_reader import read_ics
from tests.live_server import LiveServer, free_port, live_server
from tests.rooms.scheduling.builders import rules_with
from tests.web.scheduling.client import ALL_WEEK, T0, Client, Person, wire
from web.scheduling.setup import Scheduling
from web.scheduling.webhooks import EVENT_ID_HEADER, LEASE_S, SIGNATURE_HEADER, WebhookSender
from web.settings import Settings

SECRET = "webhook-secret-0123456789"
ALL_WEEK_AVAILABILITY = Availability.model_validate(
    {"zone": "UTC", "weekly": {day: [("00:00", "00:00")] for day in ALL_WEEK}})


class Receiver:
    """A webhook receiver that fails the first ``fail_first`` requests (500, or a stall
    longer than the sender's timeout) and de-duplicates on the event id."""

    def __init__(self, fail_first: int = 0, stall_s: float = 0.0) -> None:
        self.fail_first = fail_first
        self.stall_s = stall_s
        self.attempts: list[dict[str, Any]] = []
        self.events: dict[str, dict[str, Any]] = {}  # accepted, by event id
        self.duplicates = 0
        self.bad_signatures = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get(SIGNATURE_HEADER, ""), expected):
            self.bad_signatures += 1
            return web.Response(status=401)
        event = json.loads(raw)
        assert request.headers[EVENT_ID_HEADER] == event["id"]
        self.attempts.append(event)
        if len(self.attempts) <= self.fail_first:
            if self.stall_s:
                await asyncio.sleep(self.stall_s)
            return web.Response(status=503)
        if event["id"] in self.events:
            self.duplicates += 1
        self.events[event["id"]] = event
        return web.Response(status=204)

    def reset(self, fail_first: int) -> None:
        """Forget what came so far; fail the next ``fail_first`` requests."""
        self.attempts.clear()
        self.events.clear()
        self.fail_first = fail_first

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events.values() if e["type"] == kind]

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


def hooked(receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    return {"webhook_url": receiver.url, "webhook_secret": SECRET,
            "webhook_backoff_s": 0.01, **overrides}


def scheduling(server: LiveServer) -> tuple[Scheduling, WebhookSender]:
    sched = server.services.scheduling
    assert sched.webhooks is not None and sched.reminders is not None
    return sched, sched.webhooks


async def people(api: Client) -> tuple[Person, Person]:
    mentor = await api.register("Ada", "mentor", "America/Los_Angeles", ALL_WEEK,
                                "ada@example.org")
    mentee = await api.register("Kenji", "mentee", "Asia/Tokyo", ALL_WEEK)
    return mentor, mentee


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0.timestamp())


@pytest.fixture
async def flaky() -> AsyncIterator[Receiver]:
    async with Receiver(fail_first=2) as receiver:
        yield receiver


async def test_booking_changes_are_signed_retried_and_sent_once(
        flaky: Receiver, clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with live_server(clock, **hooked(flaky)) as server, aiohttp.ClientSession() as http:
        api = Client(server, http)
        _, sender = scheduling(server)
        mentor, mentee = await people(api)
        start = T0 + timedelta(days=1)
        [made] = await api.booked(mentee, {"with": mentor.identity, "start": wire(start)})
        await sender.drain()
        # Two failures, then the same event (same id) got through once.
        assert len(flaky.attempts) == 3
        assert len({e["id"] for e in flaky.attempts}) == 1
        [created] = flaky.of_type("booking.created")
        booking = created["booking"]
        assert (booking["booking_id"], booking["start"], booking["sequence"]) == (
            made["booking_id"], wire(start), 0)
        assert booking["organiser"]["identity"] == mentee.identity
        assert booking["attendees"][0]["email"] == "ada@example.org"
        assert "join" not in json.dumps(created)  # no join links (or tokens) in events
        path = f"/api/bookings/{made['booking_id']}"
        await api.call("PATCH", path, mentor.token, {"start": wire(start + timedelta(hours=1))})
        await api.call("DELETE", path, mentor.token)
        await sender.drain()
        assert [len(flaky.of_type(t)) for t in ("booking.rescheduled", "booking.cancelled")] == [
            1, 1]
        assert flaky.of_type("booking.cancelled")[0]["booking"]["sequence"] == 2
        assert flaky.duplicates == 0 and flaky.bad_signatures == 0
    assert SECRET not in caplog.text
    assert mentee.token not in caplog.text


async def test_delivery_gives_up_after_five_tries(clock: ManualClock) -> None:
    async with Receiver() as down, live_server(clock, **hooked(down)) as server:
        _, sender = scheduling(server)
        event = await one_event(server)
        down.reset(fail_first=100)
        assert await sender.deliver(event) is False
        assert len(down.attempts) == 5 and not down.events


async def test_a_stalled_receiver_is_retried_after_a_timeout(clock: ManualClock) -> None:
    async with Receiver(stall_s=5.0) as slow, live_server(clock, **hooked(slow)) as server:
        sched, _ = scheduling(server)
        sender = WebhookSender(slow.url, SECRET, sched.service.ledger, sched.service.rooms,
                               clock, backoff_s=0.01, timeout_s=1.0)
        event = await one_event(server)
        slow.reset(fail_first=1)
        try:
            assert await sender.deliver(event) is True
        finally:
            await sender.close()
        assert len(slow.attempts) == 2 and len(slow.events) == 1


async def test_an_event_is_delivered_at_most_once(clock: ManualClock) -> None:
    async with Receiver() as receiver, live_server(clock, **hooked(receiver)) as server:
        _, sender = scheduling(server)
        event = await one_event(server)
        receiver.reset(fail_first=0)
        results = await asyncio.gather(*(sender.deliver(event) for _ in range(5)))
        assert sorted(results) == [False] * 4 + [True]
        assert await sender.deliver(event) is False
        assert len(receiver.attempts) == 1


async def one_event(server: LiveServer) -> Any:
    """A booking.created event for a fresh booking (made directly on the service)."""
    service: SchedulingService = server.services.scheduling.service
    directory = service.directory
    mentor = await directory.register("Ada", PersonRole.MENTOR, "UTC")
    mentee = await directory.register("Kenji", PersonRole.MENTEE, "UTC")
    await directory.save_availability(mentor.identity, ALL_WEEK_AVAILABILITY)
    await directory.save_availability(mentee.identity, ALL_WEEK_AVAILABILITY)
    [booking] = await service.book(mentee, [mentor.identity], roundtable=False,
                                   start=T0 + timedelta(days=1), length_min=30)
    sender = server.services.scheduling.webhooks
    assert sender is not None
    await sender.drain()
    return sender.event("booking.created", booking)


async def test_reminders_fire_once_before_each_session(clock: ManualClock) -> None:
    async with Receiver() as receiver, live_server(clock, **hooked(receiver)) as server, \
            aiohttp.ClientSession() as http:
        api = Client(server, http)
        sched, sender = scheduling(server)
        assert sched.reminders is not None
        mentor, mentee = await people(api)
        first, second, third = (T0 + timedelta(days=1, hours=h) for h in (0, 2, 4))
        booked = [(await api.booked(mentee, {"with": mentor.identity, "start": wire(s)}))[0]
                  for s in (first, second, third)]
        await api.call("DELETE", f"/api/bookings/{booked[2]['booking_id']}", mentee.token)
        await sender.drain()
        reminders = sched.reminders
        assert await reminders.run_due((first - timedelta(minutes=16)).timestamp()) == []
        sent = await reminders.run_due((first - timedelta(minutes=15)).timestamp())
        assert [e.booking.booking_id for e in sent] == [booked[0]["booking_id"]]
        assert await reminders.run_due((first - timedelta(minutes=10)).timestamp()) == []
        # Moving the second session moves its reminder.
        moved_to = second + timedelta(hours=1)
        await api.call("PATCH", f"/api/bookings/{booked[1]['booking_id']}", mentor.token,
                       {"start": wire(moved_to)})
        assert await reminders.run_due((second - timedelta(minutes=5)).timestamp()) == []
        sent = await reminders.run_due((moved_to - timedelta(minutes=1)).timestamp())
        assert [e.booking.start for e in sent] == [wire(moved_to)]
        # The cancelled third one never reminds; nothing is left to send.
        assert await reminders.run_due((third - timedelta(minutes=1)).timestamp()) == []
        assert [e["booking"]["booking_id"] for e in receiver.of_type("session.reminder")] == [
            booked[0]["booking_id"], booked[1]["booking_id"]]
        assert receiver.duplicates == 0


async def test_two_servers_on_one_redis_send_each_reminder_once(
        redis_url: str, clock: ManualClock) -> None:
    async with Receiver() as receiver, \
            live_server(clock, redis_url=redis_url, **hooked(receiver)) as one, \
            live_server(clock, redis_url=redis_url, **hooked(receiver)) as two, \
            aiohttp.ClientSession() as http:
        api = Client(one, http)
        mentor, mentee = await people(api)
        starts = [T0 + timedelta(days=1, minutes=m) for m in (0, 60)]
        for start in starts:
            await api.booked(mentee, {"with": mentor.identity, "start": wire(start)})
        at = (starts[1] - timedelta(minutes=1)).timestamp()
        tasks = [scheduling(s)[0].reminders for s in (one, two)]
        rounds = await asyncio.gather(*(t.run_due(at) for t in tasks if t is not None))
        assert sum(len(r) for r in rounds) == 1  # the first session has started: no reminder
        assert len(receiver.of_type("session.reminder")) == 1
        assert receiver.duplicates == 0


def test_a_webhook_url_needs_a_secret() -> None:
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET"):
        Settings(webhook_url="http://127.0.0.1:9/hook")
    with pytest.raises(ValidationError, match="http"):
        Settings(webhook_url="file:///etc/passwd", webhook_secret=SECRET)
    assert Settings().join_early_s == 300 and Settings().reminder_minutes == 15



async def test_an_undelivered_event_is_released_for_a_later_try(clock: ManualClock) -> None:
    async with Receiver() as down, live_server(clock, **hooked(down)) as server:
        _, sender = scheduling(server)
        event = await one_event(server)
        down.reset(fail_first=5)  # every try of the first delivery fails
        assert await sender.deliver(event) is False
        assert await sender.deliver(event) is True  # the lease was released
        assert await sender.deliver(event) is False  # and now it is delivered for good
        assert len(down.attempts) == 6 and len(down.events) == 1


async def test_a_failed_reminder_is_sent_by_the_next_round(clock: ManualClock) -> None:
    async with Receiver() as receiver, live_server(clock, **hooked(receiver)) as server, \
            aiohttp.ClientSession() as http:
        api = Client(server, http)
        sched, sender = scheduling(server)
        assert sched.reminders is not None
        mentor, mentee = await people(api)
        start = T0 + timedelta(days=1)
        [made] = await api.booked(mentee, {"with": mentor.identity, "start": wire(start)})
        await sender.drain()
        receiver.reset(fail_first=5)
        assert await sched.reminders.run_due((start - timedelta(minutes=15)).timestamp()) == []
        sent = await sched.reminders.run_due((start - timedelta(minutes=14)).timestamp())
        assert [e.booking.booking_id for e in sent] == [made["booking_id"]]
        assert await sched.reminders.run_due((start - timedelta(minutes=13)).timestamp()) == []
        assert len(receiver.of_type("session.reminder")) == 1 and receiver.duplicates == 0


async def test_the_lease_of_a_dead_sender_expires(clock: ManualClock) -> None:
    async with Receiver() as receiver, live_server(clock, **hooked(receiver)) as server:
        sched, sender = scheduling(server)
        event = await one_event(server)
        receiver.reset(fail_first=0)
        # Another process leased the event and died before delivering it.
        assert await sched.service.ledger.claim(f"webhook:{event.id}", LEASE_S, "dead")
        assert await sender.deliver(event) is False
        clock.advance(LEASE_S)
        assert await sender.deliver(event) is True
        assert len(receiver.events) == 1


async def test_a_restart_under_new_tz_rules_moves_bookings_and_tells_the_webhook(
        redis_url: str, clock: ManualClock) -> None:
    clock.set(datetime(2026, 6, 1, tzinfo=UTC).timestamp())
    old_rules = rules_with({"America/Vancouver": "America/Los_Angeles"}, "2025b-like")
    async with Receiver() as receiver:
        with tzdb.use(old_rules):  # the server ran with rules from before Vancouver's change
            async with live_server(clock, redis_url=redis_url, **hooked(receiver)) as before, \
                    aiohttp.ClientSession() as http:
                api = Client(before, http)
                mentor = await api.register("Ada", "mentor", "America/Vancouver", ALL_WEEK)
                mentee = await api.register("Kenji", "mentee", "Europe/London", ALL_WEEK)
                [made] = await api.booked(mentor, {"with": mentee.identity,
                                                   "start": "2026-12-07T17:00:00Z"})
                assert made["local"][mentor.identity]["start"] == "2026-12-07T09:00:00-08:00"
                await scheduling(before)[1].drain()
        receiver.reset(fail_first=0)
        async with live_server(clock, redis_url=redis_url, **hooked(receiver)) as after, \
                aiohttp.ClientSession() as http:
            sched, sender = scheduling(after)
            assert sched.rules_check is not None
            await sched.rules_check
            await sender.drain()
            [changed] = receiver.of_type("booking.changed")
            booking = changed["booking"]
            assert (booking["booking_id"], booking["start"], booking["sequence"]) == (
                made["booking_id"], "2026-12-07T16:00:00Z", 1)
            assert booking["local"][mentor.identity]["start"] == "2026-12-07T09:00:00-07:00"
            assert booking["rules_moved"] == [mentee.identity]
            api = Client(after, http)
            status, mine = await api.call("GET", "/api/me/bookings", mentee.token)
            assert status == 200 and mine[0]["rules_moved"] == [mentee.identity]
            assert mine[0]["local"][mentee.identity]["start"] == "2026-12-07T16:00:00+00:00"
            status, ics = await api.call(
                "GET", f"/api/bookings/{made['booking_id']}/invite.ics", mentee.token)
            event = read_ics(ics).vevent
            assert event.sequence.value == "1"
            assert event.dtstart.value.astimezone(UTC) == datetime(2026, 12, 7, 16, tzinfo=UTC)
