"""Booking-change webhooks through the durable outbox; what counts as delivered; no
reminders for cancelled or moved sessions."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web

from rooms.clock import ManualClock
from tests.live_server import free_port, live_server
from tests.web.scheduling.client import T0, Client, wire
from tests.web.scheduling.test_webhooks import (
    SECRET,
    Receiver,
    hooked,
    one_event,
    people,
    scheduling,
)
from web.scheduling.webhooks import WebhookSender


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0.timestamp())


async def test_a_booking_change_queued_before_a_restart_is_delivered_after_it(
        redis_url: str, clock: ManualClock) -> None:
    async with Receiver(fail_first=1, stall_s=3.0) as receiver:
        settings = {"redis_url": redis_url, **hooked(receiver)}
        async with live_server(clock, **settings) as first, aiohttp.ClientSession() as http:
            api = Client(first, http)
            mentor, mentee = await people(api)
            [made] = await api.booked(mentee, {"with": mentor.identity,
                                               "start": wire(T0 + timedelta(days=1))})
            async with asyncio.timeout(10):
                while not receiver.attempts:  # noqa: ASYNC110 (the first try, in flight)
                    await asyncio.sleep(0.01)
        # The first server stopped mid-delivery; the next one (same Redis) delivers.
        async with live_server(clock, **settings) as second:
            _, sender = scheduling(second)
            await sender.drain()
    [created] = receiver.of_type("booking.created")
    assert created["booking"]["booking_id"] == made["booking_id"]
    assert len({e["id"] for e in receiver.attempts}) == 1 and receiver.duplicates == 0


async def test_a_redirect_is_not_a_delivery(clock: ManualClock) -> None:
    hits: dict[str, int] = {"hook": 0, "elsewhere": 0}

    async def redirect(request: web.Request) -> web.Response:
        hits["hook"] += 1
        raise web.HTTPFound("/elsewhere")

    async def elsewhere(request: web.Request) -> web.Response:
        hits["elsewhere"] += 1
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", redirect)
    app.router.add_route("*", "/elsewhere", elsewhere)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with Receiver() as receiver, live_server(clock, **hooked(receiver)) as server:
            event = await one_event(server)
            sched, _ = scheduling(server)
            sender = WebhookSender(f"http://127.0.0.1:{port}/hook", SECRET,
                                   sched.service.ledger, sched.service.rooms, clock,
                                   backoff_s=0.0)
            try:
                assert await sender.deliver(event) is False
                await sender.enqueue(event.model_copy(update={"id": "queued-once"}))
                await sender.drain()
            finally:
                await sender.close()
    finally:
        await runner.cleanup()
    assert hits == {"hook": 10, "elsewhere": 0}  # five tries each, never followed


async def test_cancelled_and_moved_sessions_are_never_reminded(clock: ManualClock) -> None:
    async with Receiver() as receiver, live_server(clock, **hooked(receiver)) as server, \
            aiohttp.ClientSession() as http:
        api = Client(server, http)
        sched, sender = scheduling(server)
        assert sched.reminders is not None
        ledger = sched.service.ledger
        mentor, mentee = await people(api)
        first, second = T0 + timedelta(days=1), T0 + timedelta(days=1, hours=3)
        cancelled, moved = [
            (await api.booked(mentee, {"with": mentor.identity, "start": wire(s)}))[0]
            for s in (first, second)]
        await api.call("DELETE", f"/api/bookings/{cancelled['booking_id']}", mentee.token)
        await api.call("PATCH", f"/api/bookings/{moved['booking_id']}", mentor.token,
                       {"start": wire(second + timedelta(hours=2))})
        await sender.drain()
        # The ledger forgot the cancelled session and moved the other one's reminder.
        due = await ledger.due(int(first.timestamp()) - 60, 6 * 3600)
        assert due == [(moved["booking_id"], int((second + timedelta(hours=2)).timestamp()))]
        # Stale plans (a race with another process) never remind either.
        await ledger.plan(cancelled["booking_id"], int(first.timestamp()))
        await ledger.plan(moved["booking_id"], int(second.timestamp()))
        for at in (first, second):
            assert await sched.reminders.run_due((at - timedelta(minutes=1)).timestamp()) == []
        assert receiver.of_type("session.reminder") == []
