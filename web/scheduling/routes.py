"""The scheduling REST API (docs/scheduling-api.md): people, slots, bookings, calendars.

Auth: the admin key (``Authorization: Bearer``, constant-time) for registering people; a
person token (:class:`rooms.person_tokens.PersonTokens`) for everything a person does;
the feed token in the URL for the private ICS feed. Every body is a strict pydantic model
(:mod:`web.scheduling.bodies`); every answer is a model of :mod:`web.scheduling.views`;
every error is ``{"error": {"code", "message"}}`` with a stable code (see ``status_of``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from rooms.errors import RoomError, StoreUnavailable
from rooms.person_tokens import PersonTokens
from rooms.scheduling import tzdb
from rooms.scheduling.booking_service import (
    Offload,
    SchedulingService,
    run_inline,
)
from rooms.scheduling.bookings import Booking
from rooms.scheduling.directory import PeopleDirectory
from rooms.scheduling.ics import ZoneDefinitions, booking_ics, feed_ics
from rooms.scheduling.people import Person, PersonRole
from rooms.scheduling.slots import Slot, local_day_range
from rooms.scheduling.zones import HOST_SPECIFIC, from_epoch

from ..credentials import bearer, same_secret
from ..rest import Problem, api_error, read_json
from .bodies import (
    AvailabilityBody,
    BookingBody,
    BookingsParams,
    PersonBody,
    RescheduleBody,
    RoundtableBody,
    SlotsParams,
    day_span,
    describe,
)
from .limits import RequestLimits
from .views import (
    BookingsView,
    FeedView,
    MeView,
    RegisteredPerson,
    ZonesView,
    ZoneView,
    availability_view,
    booking_view,
    local_text,
    person_view,
    slot_view,
)

logger = logging.getLogger(__name__)

Body = TypeVar("Body", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CALENDAR_TYPE = "text/calendar"
STATUS_BY_CODE = {
    "unauthorized": 401, "token_missing": 401, "token_invalid": 401, "token_expired": 401,
    "token_not_yet_valid": 401, "forbidden": 403, "outside_programme": 403,
    "person_not_found": 404,
    "item_not_found": 404, "notes_not_found": 404,
    "booking_not_found": 404, "occurrence_not_found": 404, "slot_taken": 409,
    "slot_unavailable": 409, "booking_exists": 409, "booking_cancelled": 409,
    "booking_changed": 409,
    "room_exists": 409, "room_closed": 409, "body_too_large": 413, "rate_limited": 429,
    "internal_error": 500, "unavailable": 503,
}


def status_of(code: str) -> int:
    """The HTTP status of an error code (400 unless listed)."""
    return STATUS_BY_CODE.get(code, 400)


def problem(code: str, message: str) -> Problem:
    """An error answer with the status of its code."""
    return Problem(code, message, status_of(code))


def answers(handler: Handler) -> Handler:
    """Turn Problem, RoomError and ValidationError into coded JSON errors (never a 500
    for bad input); anything else goes to :func:`web.rest.json_errors` (a JSON 500)."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Problem as exc:
            return api_error(exc.status, exc.code, exc.message, exc.headers)
        except RoomError as exc:
            return api_error(status_of(exc.code), exc.code, exc.message)
        except ValidationError as exc:
            return api_error(400, "invalid_body", describe(exc.errors(include_input=False)))

    return wrapped


def json_answer(data: BaseModel | list[Any], status: int = 200) -> web.Response:
    """A response body from a view model (or a list of them), ``with_`` sent as ``with``."""
    if isinstance(data, BaseModel):
        payload: Any = data.model_dump(mode="json", by_alias=True)
    else:
        payload = [d.model_dump(mode="json", by_alias=True) for d in data]
    return web.json_response(payload, status=status)


async def read_body(request: web.Request, model: type[Body]) -> Body:
    """The request's JSON body (read by :func:`web.rest.read_json`, within its bounds)
    validated strictly, from the raw text, as ``model``."""
    body = await read_json(request)
    return model.model_validate_json(body.raw or b"{}")


async def person_of(request: web.Request, tokens: PersonTokens,
                    directory: PeopleDirectory) -> Person:
    """The registered person whose schedule-link token the request carries as
    ``Authorization: Bearer``: 401 ``unauthorized`` saying why if there is none, it is not
    valid, names no one or was replaced by a newer link; a store outage stays 503
    ``unavailable`` (the link is fine). Every API a person's link opens checks it so."""
    try:
        identity, version = tokens.verify_versioned(bearer(request))
        person = await directory.person(identity)
    except StoreUnavailable:
        raise  # 503 unavailable: the store is away, the link is fine
    except RoomError as exc:
        message = exc.message if exc.code.startswith("token_") else (
            "This scheduling link belongs to no registered person.")
        raise problem("unauthorized", message) from exc
    if version != person.token_version:
        raise problem("unauthorized", "This scheduling link has been replaced by a newer "
                                      "one. Ask your programme for it.")
    return person


class SchedulingApi:
    """Handlers for the scheduling endpoints."""

    def __init__(self, service: SchedulingService, tokens: PersonTokens, admin_key: str,
                 base_url: str, limits: RequestLimits, offload: Offload = run_inline) -> None:
        self._limits = limits
        self._offload = offload
        self._service = service
        self._directory = service.directory
        self._tokens = tokens
        self._admin_key = admin_key.encode()
        self._base_url = base_url
        self._zones = ZoneDefinitions()

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/api/people", answers(self.create_person)),
            web.get("/api/people", answers(self.list_people)),
            web.post("/api/people/{identity}/link", answers(self.renew_link)),
            web.get("/api/me", answers(self.me)),
            web.put("/api/me/availability", answers(self.put_availability)),
            web.post("/api/me/feed", answers(self.renew_feed)),
            web.get("/api/me/bookings", answers(self.my_bookings)),
            web.get("/api/zones", answers(self.zones)),
            web.get("/api/slots", answers(self.slots)),
            web.post("/api/roundtable-slots", answers(self.roundtable_slots)),
            web.post("/api/bookings", answers(self.create_booking)),
            web.patch("/api/bookings/{booking_id}", answers(self.reschedule)),
            web.delete("/api/bookings/{booking_id}", answers(self.cancel)),
            web.get("/api/bookings/{booking_id}/invite.ics", answers(self.invite)),
            web.get(r"/feeds/{feed_token:[A-Za-z0-9_.\-]+}.ics", answers(self.feed)),
        ]

    # ---- auth --------------------------------------------------------------------------

    def _is_admin(self, request: web.Request) -> bool:
        return same_secret(bearer(request), self._admin_key)

    def _require_admin(self, request: web.Request) -> None:
        if not self._is_admin(request):
            raise problem("unauthorized", "Send the admin key as 'Authorization: Bearer'.")

    async def caller(self, request: web.Request) -> Person:
        """The person whose token the request carries (``unauthorized`` if none)."""
        return await self._caller(request)

    async def _caller(self, request: web.Request) -> Person:
        return await person_of(request, self._tokens, self._directory)

    # ---- people ------------------------------------------------------------------------

    def _feed_url(self, person: Person) -> str:
        return f"{self._base_url}/feeds/{self._directory.feed_token(person)}.ics"

    async def create_person(self, request: web.Request) -> web.Response:
        self._require_admin(request)
        body = await read_body(request, PersonBody)
        person = await self._directory.register(body.display_name, PersonRole(body.role),
                                                body.zone, body.email)
        return json_answer(self._registered(person), status=201)

    def _registered(self, person: Person) -> RegisteredPerson:
        token = self._tokens.issue(person.identity, person.token_version)
        link = f"{self._base_url}/schedule#token={token}"
        return RegisteredPerson(**person_view(person).model_dump(), schedule_link=link,
                                feed_url=self._feed_url(person))

    async def renew_link(self, request: web.Request) -> web.Response:
        """Re-issue a person's schedule link; every earlier link stops working."""
        self._require_admin(request)
        person = await self._directory.renew_link(request.match_info["identity"])
        return json_answer(self._registered(person))

    async def list_people(self, request: web.Request) -> web.Response:
        if self._is_admin(request):
            return json_answer([person_view(p) for p in await self._directory.everyone()])
        caller = await self._caller(request)
        if caller.role is not PersonRole.HOST:
            raise problem("forbidden", "Only hosts and admins can list everyone.")
        # a host picks invitees among those they may book: their programme (circle)
        return json_answer([person_view(p, with_email=False)
                            for p in await self._service.reach.counterparts(caller)])

    async def _me(self, person: Person) -> MeView:
        record = await self._directory.record(person.identity)
        return MeView(
            **person_view(record.person).model_dump(),
            availability=availability_view(record.availability)
            if record.availability else None,
            feed_url=self._feed_url(record.person),
            counterparts=[person_view(p, with_email=False)
                          for p in await self._service.reach.counterparts(record.person)],
        )

    async def me(self, request: web.Request) -> web.Response:
        return json_answer(await self._me(await self._caller(request)))

    async def put_availability(self, request: web.Request) -> web.Response:
        caller = await self._caller(request)
        body = await read_body(request, AvailabilityBody)
        availability = body.availability()
        await self._directory.save_availability(caller.identity, availability)
        return json_answer(availability_view(availability))

    async def renew_feed(self, request: web.Request) -> web.Response:
        caller = await self._caller(request)
        person = await self._directory.renew_feed(caller.identity)
        return json_answer(FeedView(feed_url=self._feed_url(person)))

    # ---- finding a time ----------------------------------------------------------------

    async def slots(self, request: web.Request) -> web.Response:
        """One page (``limit``, default 100) of the common slots, from ``after`` on; a
        ``Link: <…>; rel="next"`` header when more follow."""
        caller = await self._caller(request)
        self._limits.slot_search(caller.identity)
        try:
            params = SlotsParams.model_validate(dict(request.query))
        except ValidationError as exc:
            raise problem("invalid_body", describe(exc.errors(include_input=False))) from exc
        first, last = day_span(params.from_, params.to, self._service.today(caller.zone))
        start, end = local_day_range(caller.zone, first, last)
        if params.after is not None:  # slots start on whole minutes: strictly after it
            start = max(start, params.after.astimezone(UTC) + timedelta(seconds=1))
            if start >= end:
                return json_answer([])
        query = self._service.query(start, end, params.length)
        found = await self._service.pair_slots(caller, params.with_, query,
                                               limit=params.limit + 1)
        page = found[:params.limit]
        response = await self._slots_answer(page, params.zone or caller.zone)
        if len(found) > len(page):
            after = page[-1].start.strftime("%Y-%m-%dT%H:%M:%SZ")
            response.headers["Link"] = (
                f'<{self._base_url}{request.rel_url.update_query(after=after)}>; rel="next"')
        return response

    async def roundtable_slots(self, request: web.Request) -> web.Response:
        caller = await self._caller(request)
        self._limits.slot_search(caller.identity)
        body = await read_body(request, RoundtableBody)
        first, last = day_span(body.from_, body.to, self._service.today(caller.zone))
        query = self._service.query(*local_day_range(caller.zone, first, last), body.length)
        found = await self._service.roundtable_slots(caller, body.invitees, query, body.limit)
        return await self._slots_answer(found, caller.zone)

    async def _slots_answer(self, slots: list[Slot], zone: str) -> web.Response:
        """Slots as JSON, built off the event loop (a page costs milliseconds of CPU)."""
        def encode() -> str:
            return json.dumps([slot_view(s, zone).model_dump(mode="json", by_alias=True)
                               for s in slots])

        return web.Response(text=await self._offload(encode), content_type="application/json")

    # ---- bookings ----------------------------------------------------------------------

    def _views(self, bookings: list[Booking], viewer: Person,
               zone: str | None = None) -> BookingsView:
        return BookingsView(bookings=[booking_view(b, viewer, self._service.rooms,
                                                   self._base_url, zone) for b in bookings])

    async def create_booking(self, request: web.Request) -> web.Response:
        caller = await self._caller(request)
        body = await read_body(request, BookingBody)
        with self._limits.booking(caller.identity, body.others):
            made = await self._service.book(
                caller, body.others, roundtable=isinstance(body.with_, list),
                start=body.instant(caller.zone), length_min=body.length, title=body.title,
                recurrence=body.recurrence.recurrence() if body.recurrence else None)
        return json_answer(self._views(made, caller), status=201)

    async def my_bookings(self, request: web.Request) -> web.Response:
        caller = await self._caller(request)
        try:
            params = BookingsParams.model_validate(dict(request.query))
        except ValidationError as exc:
            raise Problem("invalid_body", describe(exc.errors(include_input=False))) from exc
        found = await self._service.upcoming(caller.identity)
        return json_answer(self._views(found, caller, params.zone).bookings)

    async def zones(self, request: web.Request) -> web.Response:
        now = from_epoch(int(self._service.clock.now()))
        names = sorted(tzdb.available_zones() - HOST_SPECIFIC)
        return json_answer(ZonesView(tzdata=tzdb.version(), zones=[
            ZoneView(zone=z, offset=local_text(now, z)[-6:]) for z in names]))

    @staticmethod
    def _following(request: web.Request) -> bool:
        scope = request.query.get("scope", "this")
        if scope not in ("this", "following"):
            raise problem("invalid_body", "Query parameter 'scope' is 'this' or 'following'.")
        return scope == "following"

    async def reschedule(self, request: web.Request) -> web.Response:
        caller = await self._caller(request)
        following = self._following(request)
        body = await read_body(request, RescheduleBody)
        with self._limits.booking(caller.identity, []):
            booking = await self._service.booking_for(caller,
                                                      request.match_info["booking_id"])
            moved = await self._service.reschedule(
                caller, booking.booking_id, body.instant(caller.zone), body.length, following)
        return json_answer(self._views(moved, caller))

    async def cancel(self, request: web.Request) -> web.Response:
        caller = await self._caller(request)
        done = await self._service.cancel(caller, request.match_info["booking_id"],
                                          self._following(request))
        return json_answer(self._views(done, caller))

    # ---- calendars ---------------------------------------------------------------------

    async def invite(self, request: web.Request) -> web.Response:
        caller = await self._caller(request)
        booking = await self._service.booking_for(caller, request.match_info["booking_id"])
        body = booking_ics(booking, url=f"{self._base_url}/schedule", zones=self._zones,
                           viewer=caller.identity)
        return web.Response(body=body, content_type=CALENDAR_TYPE, charset="utf-8",
                            headers={"Cache-Control": "no-store"})

    async def feed(self, request: web.Request) -> web.Response:
        record = await self._directory.feed_owner(request.match_info["feed_token"])
        if record is None:
            raise problem("forbidden", "This feed URL is not valid (any more).")
        bookings = await self._service.feed(record.person.identity)
        body = feed_ics(bookings, f"mentorcall: {record.person.display_name}",
                        url_for=lambda _: f"{self._base_url}/schedule", zones=self._zones,
                        viewer=record.person.identity)
        return web.Response(body=body, content_type=CALENDAR_TYPE, charset="utf-8",
                            headers={"Cache-Control": "no-store"})

