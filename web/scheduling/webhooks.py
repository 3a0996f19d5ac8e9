"""Webhooks: signed, retried, idempotent notices of booking changes and session reminders.

Each event is a JSON ``POST`` (:class:`web.scheduling.views.WebhookEvent`) to
``MENTORCALL_WEBHOOK_URL`` with

* ``X-Mentorcall-Signature: sha256=<hex>``: HMAC-SHA256 of the raw body with
  ``MENTORCALL_WEBHOOK_SECRET``;
* ``X-Mentorcall-Event-Id``: the event's id, the same on every retry, for receivers to
  de-duplicate on.

Delivery: up to ``TRIES`` attempts, waiting ``backoff_s * 2**n`` (at most
``MAX_BACKOFF_S``) after the n-th failure (a non-2xx answer, 3xx included: redirects are
not followed; a timeout; a refused connection).

Booking changes go through the durable outbox (:mod:`rooms.scheduling.outbox`, in Redis
when configured): :meth:`WebhookSender.booking_changed` queues the event in the same
request that changed the booking, and the sender of every process claims due events with
a lease (one attempt each), then finishes them (delivered, or given up after the last
try) or puts them back due after the backoff. A process that stops puts its in-flight
events back due at once; one that dies loses its leases when they run out. So every
change is delivered once by some process, across restarts.

Reminders are not queued (the next round of any process derives them again): before the
first attempt the sender takes a short *lease* on the event id
in the reminder ledger (atomic across processes; long enough for every try), so an event
is sent by one process at a time. Only after a 2xx is the event marked delivered (kept
``CLAIM_TTL_S``) and never sent again; if every try fails the lease is released, and if
the process dies the lease expires. Reminder ids are derived from the booking and its
start, so every process running :class:`ReminderTask` names the same reminder with the
same id: exactly one sends it, and a reminder that could not be delivered is tried again
by the next round (of any process) while the session's start is still ahead.

Neither the secret nor anything in the URL is logged; events carry no join tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import math
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

import aiohttp

from rooms.clock import Clock, SystemClock
from rooms.errors import StoreUnavailable
from rooms.scheduling.booking_service import BookingChange, SchedulingService
from rooms.scheduling.bookings import Booking
from rooms.scheduling.outbox import MemoryWebhookOutbox, OutboxItem, WebhookOutbox
from rooms.scheduling.reminders import ReminderLedger
from rooms.scheduling.session_rooms import SessionRooms
from rooms.scheduling.zones import epoch_seconds

from .views import WebhookEvent, utc_text, webhook_booking

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Mentorcall-Signature"
EVENT_ID_HEADER = "X-Mentorcall-Event-Id"
TRIES = 5
MAX_BACKOFF_S = 60.0
TIMEOUT_S = 10.0
CLAIM_TTL_S = 7 * 24 * 3600  # a delivered event is remembered this long
LEASE_S = 120  # the shortest lease on an event being delivered
MAX_PARALLEL = 8
REMINDER_EVENT = "session.reminder"
_REMINDER_NAMESPACE = uuid.UUID("6f1c9a52-4d0e-4b8e-9a57-0d6c2b1f3e10")


class QueuedEvent(Protocol):
    """Any webhook body the outbox carries: a booking event, a programme intro..."""

    @property
    def id(self) -> str: ...

    @property
    def type(self) -> str: ...

    def model_dump_json(self) -> str: ...


def sign(body: bytes, secret: str) -> str:
    """The signature header value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def reminder_id(booking: Booking) -> str:
    """The reminder event id of this booking at its current start (the same everywhere)."""
    name = f"{booking.booking_id}:{epoch_seconds(booking.start)}"
    return str(uuid.uuid5(_REMINDER_NAMESPACE, name))


class WebhookSender:
    """Sends events to one URL in the background; listens to booking changes."""

    def __init__(self, url: str, secret: str, ledger: ReminderLedger, rooms: SessionRooms,
                 clock: Clock | None = None, *, outbox: WebhookOutbox | None = None,
                 tries: int = TRIES, backoff_s: float = 1.0,
                 timeout_s: float = TIMEOUT_S) -> None:
        if tries < 1 or backoff_s < 0 or timeout_s <= 0:
            raise ValueError("tries >= 1, backoff_s >= 0 and timeout_s > 0")
        self._url = url
        self._secret = secret
        self._ledger = ledger
        self._rooms = rooms
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._tries = tries
        self._backoff_s = backoff_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        worst_s = tries * timeout_s + sum(min(backoff_s * 2 ** n, MAX_BACKOFF_S)
                                          for n in range(tries - 1))
        self._lease_s = max(LEASE_S, math.ceil(worst_s) + 30)
        self._session: aiohttp.ClientSession | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._parallel = asyncio.Semaphore(MAX_PARALLEL)
        self._outbox: WebhookOutbox = outbox if outbox is not None else MemoryWebhookOutbox()
        # Outbox times are the machine's: every process must agree on them.
        self._wall: Clock = SystemClock()
        self._holder = uuid.uuid4().hex
        self._attempt_lease_s = timeout_s + 30
        self._poll_s = max(0.05, min(1.0, backoff_s))
        self._wake = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None

    def event(self, kind: str, booking: Booking, event_id: str | None = None) -> WebhookEvent:
        """The event ``kind`` about ``booking`` (a fresh id unless one is given)."""
        return WebhookEvent(
            id=event_id or str(uuid.uuid4()),
            type=kind,  # type: ignore[arg-type]  # checked by pydantic
            created_at=utc_text(datetime.fromtimestamp(int(self._clock.now()), UTC)),
            booking=webhook_booking(booking, self._rooms),
        )

    async def booking_changed(self, change: BookingChange, bookings: Sequence[Booking]) -> None:
        """Queue one event per booking (the :class:`BookingListener` hook)."""
        for booking in bookings:
            await self.enqueue(self.event(change.value, booking))

    async def enqueue(self, event: QueuedEvent) -> None:
        """Put ``event`` in the durable outbox; a sender of some process delivers it."""
        try:
            await self._outbox.add(event.id, event.model_dump_json(), self._wall.now())
        except Exception:
            logger.exception("webhook %s (%s) could not be queued", event.id, event.type)
            return
        self._wake.set()

    def send_later(self, event: WebhookEvent) -> None:
        """Queue ``event`` from synchronous code (see :meth:`enqueue`)."""
        task = asyncio.get_running_loop().create_task(self.enqueue(event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def start(self) -> None:
        """Deliver queued events in the background until :meth:`close`."""
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                busy = await self.pump_once()
            except StoreUnavailable:
                logger.warning("webhook outbox: store unavailable")
                busy = False
            except Exception:
                logger.exception("webhook outbox round failed")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._poll_s):
                        await self._wake.wait()

    async def pump_once(self) -> bool:
        """Claim the events due now and attempt each once; False if none was due."""
        items = await self._outbox.claim(self._wall.now(), self._attempt_lease_s,
                                         self._holder, MAX_PARALLEL)
        await asyncio.gather(*(self._attempt_queued(item) for item in items))
        return bool(items)

    async def _attempt_queued(self, item: OutboxItem) -> None:
        body = item.body.encode()
        try:
            delivered = await self._post(body, self._headers(body, item.event_id))
            if delivered:
                logger.info("webhook %s delivered", item.event_id)
                await self._outbox.finish(item.event_id, self._holder)
            elif item.attempt >= self._tries:
                logger.warning("webhook %s given up after %d tries", item.event_id,
                               item.attempt)
                await self._outbox.finish(item.event_id, self._holder)
            else:
                wait_s = min(self._backoff_s * 2 ** (item.attempt - 1), MAX_BACKOFF_S)
                await self._outbox.retry(item.event_id, self._holder,
                                         self._wall.now() + wait_s)
        except asyncio.CancelledError:
            # Stopping: leave the event due at once for whichever process runs next.
            with contextlib.suppress(Exception):
                await self._outbox.retry(item.event_id, self._holder, self._wall.now())
            raise
        except Exception:
            logger.exception("webhook %s: could not record the outcome", item.event_id)

    async def drain(self) -> None:
        """Wait until every queued event is delivered or given up (pumping from here)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
        while await self._outbox.pending() > 0:
            if not await self.pump_once():
                await asyncio.sleep(min(self._poll_s, 0.05))

    async def deliver(self, event: WebhookEvent) -> bool:
        """Send ``event`` with retries; True once a receiver answered 2xx.

        False if another sender holds (or has delivered) this event id, or if every try
        failed; then the lease is released, so a later call may try again.
        """
        key = f"webhook:{event.id}"
        holder = uuid.uuid4().hex
        async with self._parallel:  # the lease starts when the tries can start
            if not await self._ledger.claim(key, self._lease_s, holder):
                return False
            delivered = False
            try:
                delivered = await self._attempts(event)
            finally:
                try:
                    if delivered:
                        await self._ledger.settle(key, CLAIM_TTL_S)
                    else:
                        await self._ledger.release(key, holder)
                except Exception:
                    logger.exception("webhook %s: could not record the outcome", event.id)
            return delivered

    def _headers(self, body: bytes, event_id: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, self._secret),
            EVENT_ID_HEADER: event_id,
            "User-Agent": "mentorcall-webhooks",
        }

    async def _attempts(self, event: WebhookEvent) -> bool:
        body = event.model_dump_json().encode()
        headers = self._headers(body, event.id)
        for attempt in range(self._tries):
            if await self._post(body, headers):
                logger.info("webhook %s (%s) delivered", event.id, event.type)
                return True
            if attempt + 1 < self._tries:
                await asyncio.sleep(min(self._backoff_s * 2 ** attempt, MAX_BACKOFF_S))
        logger.warning("webhook %s (%s) given up after %d tries", event.id, event.type,
                       self._tries)
        return False

    async def _post(self, body: bytes, headers: dict[str, str]) -> bool:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(self._url, data=body, headers=headers,
                                          allow_redirects=False) as response:
                return 200 <= response.status < 300
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def close(self) -> None:
        """Stop delivering (in-flight events go back to the outbox, due now) and close
        the HTTP session."""
        tasks = [*self._pending, *([self._pump] if self._pump is not None else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._pump = None
        await self._outbox.close()
        if self._session is not None:
            await self._session.close()
            self._session = None


class ReminderTask:
    """Sends ``session.reminder`` ``lead_s`` before each booked session.

    :meth:`run_due` does one round at a given "now"; :meth:`start` runs rounds every
    ``interval_s`` seconds with the injected clock's time (tests call ``run_due`` with a
    ManualClock instead of waiting).
    """

    def __init__(self, service: SchedulingService, sender: WebhookSender, lead_s: int,
                 clock: Clock | None = None, interval_s: float = 30.0) -> None:
        self._service = service
        self._sender = sender
        self._lead_s = lead_s
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def run_due(self, now: float | None = None) -> list[WebhookEvent]:
        """Send the reminders due at ``now`` (default: the clock's); the events this
        process claimed and delivered."""
        at = int(self._clock.now() if now is None else now)
        events = []
        for booking_id, start in await self._service.ledger.due(at, self._lead_s):
            try:
                booking = await self._service.bookings.get(booking_id)
            except Exception:
                logger.exception("reminder: booking %s could not be read", booking_id)
                continue
            if not booking.is_confirmed or epoch_seconds(booking.start) != start:
                continue  # cancelled, or moved (planned again at its new start)
            events.append(self._sender.event(REMINDER_EVENT, booking, reminder_id(booking)))
        delivered = await asyncio.gather(*(self._sender.deliver(e) for e in events))
        return [e for e, ok in zip(events, delivered, strict=True) if ok]

    def start(self) -> None:
        """Run rounds in the background until :meth:`stop`."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_due()
            except StoreUnavailable:
                logger.warning("reminder round: store unavailable")
            except Exception:
                logger.exception("reminder round failed")
            await asyncio.sleep(self._interval_s)

    async def stop(self) -> None:
        """Stop the background rounds."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
