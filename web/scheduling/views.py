"""Response bodies of the scheduling API and webhooks, and how they are built.

The models here are what the server sends (and what ``web/openapi.py`` documents). UTC
instants are ISO 8601 strings with a ``Z``; local times carry their UTC offset and come
with the IANA zone they are in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from rooms.scheduling.availability import Availability
from rooms.scheduling.bookings import Attendee, Booking
from rooms.scheduling.people import Person
from rooms.scheduling.session_rooms import SessionRooms, room_kind
from rooms.scheduling.slots import Slot
from rooms.scheduling.zones import to_local

Instant = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time",
                                         "description": "UTC, with a Z"})]
LocalTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time",
                                           "description": "local wall clock with its offset"})]


class View(BaseModel):
    """Base of the response bodies."""

    model_config = ConfigDict(populate_by_name=True)


def utc_text(instant: datetime) -> str:
    """``2026-03-09T14:00:00Z``"""
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def local_text(instant: datetime, zone: str) -> str:
    """``2026-03-09T10:00:00-04:00``: the wall clock in ``zone``, with its offset."""
    return to_local(instant, zone).isoformat(timespec="seconds")


class PersonView(View):
    """A person as others see them."""

    identity: str
    display_name: str
    role: Literal["mentor", "mentee", "host"]
    zone: str
    email: str | None = None


class RegisteredPerson(PersonView):
    """A newly registered person with their private links (shown once, to the admin)."""

    schedule_link: str = Field(description="{base}/schedule#token=<person token>")
    feed_url: str = Field(description="the private ICS feed; the URL is the secret")


class AvailabilityView(View):
    """Availability as stored, in local times of ``zone``."""

    zone: str
    weekly: dict[str, list[tuple[str, str]]]
    days_off: list[str]
    extra: list[tuple[str, str]]


class MeView(PersonView):
    """``GET /api/me``: the caller, their availability and whom they schedule with."""

    availability: AvailabilityView | None
    feed_url: str
    counterparts: list[PersonView] = Field(
        description="people of the roles the caller usually meets (mentor <-> mentee; "
                    "hosts: everyone)")


class FeedView(View):
    """A newly issued feed URL (the previous one stops working)."""

    feed_url: str


class LocalSpan(View):
    """A session in one participant's zone."""

    zone: str
    start: LocalTime
    end: LocalTime


class ShownSpan(LocalSpan):
    """A session in the zone the caller shows times in (``?zone=``, default their own):
    what a page displays, so it never converts times with its own zone data."""

    opens_at: LocalTime | None = Field(default=None,
                                       description="bookings: when the join link starts "
                                                   "to work, in this zone")


class SlotView(View):
    """A suggested time: UTC, each participant's local time, who can come."""

    start: Instant
    end: Instant
    local: dict[str, LocalSpan]
    shown: ShownSpan
    available: list[str]
    unavailable: list[str]


class BookingPerson(View):
    """Someone in a booking."""

    identity: str
    display_name: str
    zone: str


# Who else saw their local time of a session move when the tz rules changed.
RulesMoved = Annotated[list[str], Field(
    description="identities of the other people whose local time of this session "
                "moved when the time-zone rules changed (the server moved the session "
                "to keep the organiser's local time); empty otherwise")]


class BookingView(View):
    """A booking as one of its people sees it (``join_link`` is their own)."""

    booking_id: str
    title: str
    kind: Literal["coffee", "roundtable"]
    start: Instant
    end: Instant
    zone: str = Field(description="the zone the booking was made in (the organiser's)")
    local: dict[str, LocalSpan]
    shown: ShownSpan
    organiser: BookingPerson
    with_: list[BookingPerson] = Field(serialization_alias="with",
                                       description="everyone but the caller")
    status: Literal["confirmed", "cancelled"]
    sequence: int
    opens_at: Instant = Field(description="when the join link starts to work")
    closes_at: Instant
    join_link: str | None = Field(description="None once the room has closed or cancelled")
    invite_url: str
    series_id: str | None
    recurrence_id: Instant | None
    rules_moved: RulesMoved


class BookingsView(View):
    """The bookings a change made or touched (the one addressed first)."""

    bookings: list[BookingView]


class WebhookPerson(BookingPerson):
    """Someone in a booking, for the programme's systems (with their e-mail)."""

    email: str | None


class WebhookBooking(View):
    """A booking in a webhook event: no join links (they are the people's secrets)."""

    booking_id: str
    title: str
    kind: Literal["coffee", "roundtable"]
    start: Instant
    end: Instant
    zone: str
    local: dict[str, LocalSpan]
    organiser: WebhookPerson
    attendees: list[WebhookPerson]
    status: Literal["confirmed", "cancelled"]
    sequence: int
    opens_at: Instant
    series_id: str | None
    recurrence_id: Instant | None
    rules_moved: RulesMoved


class ZoneView(View):
    """A zone the server knows, with its UTC offset now."""

    zone: str
    offset: str = Field(description="UTC offset now, e.g. -07:00")


class ZonesView(View):
    """``GET /api/zones``: the zones of the server's tz database (for zone pickers)."""

    tzdata: str = Field(description="IANA version of the rules, e.g. 2026f")
    zones: list[ZoneView]


class WebhookEvent(View):
    """The JSON body of a webhook ``POST``."""

    id: str
    type: Literal["booking.created", "booking.rescheduled", "booking.cancelled",
                  "booking.changed", "session.reminder"]
    created_at: Instant
    booking: WebhookBooking


def person_view(person: Person, with_email: bool = True) -> PersonView:
    return PersonView(identity=person.identity, display_name=person.display_name,
                      role=person.role.value, zone=person.zone,
                      email=person.email if with_email else None)


def availability_view(availability: Availability) -> AvailabilityView:
    return AvailabilityView(
        zone=availability.zone,
        weekly={day.value: [(f"{s:%H:%M}", f"{e:%H:%M}") for s, e in windows]
                for day, windows in availability.weekly.items()},
        days_off=[d.isoformat() for d in availability.days_off],
        extra=[(s.isoformat(timespec="minutes"), e.isoformat(timespec="minutes"))
               for s, e in availability.extra],
    )


def shown_span(start: datetime, end: datetime, zone: str,
               opens_at: datetime | None = None) -> ShownSpan:
    return ShownSpan(zone=zone, start=local_text(start, zone), end=local_text(end, zone),
                     opens_at=local_text(opens_at, zone) if opens_at else None)


def slot_view(slot: Slot, zone: str) -> SlotView:
    """``slot``, with its times also in ``zone`` (where the caller shows them)."""
    return SlotView(
        start=utc_text(slot.start), end=utc_text(slot.end),
        local={t.identity: LocalSpan(zone=t.zone, start=t.start.isoformat(),
                                     end=t.end.isoformat()) for t in slot.local},
        shown=shown_span(slot.start, slot.end, zone),
        available=list(slot.available), unavailable=list(slot.unavailable))


def _local(booking: Booking) -> dict[str, LocalSpan]:
    people: Sequence[Attendee] = (booking.organiser, *booking.attendees)
    return {p.identity: LocalSpan(zone=p.zone, start=local_text(booking.start, p.zone),
                                  end=local_text(booking.end, p.zone)) for p in people}


def _who(person: Attendee) -> BookingPerson:
    return BookingPerson(identity=person.identity, display_name=person.display_name,
                         zone=person.zone)


def join_link(base_url: str, token: str, opens_at: datetime, zone: str) -> str:
    """The join page's link: the token, and the opening in the person's zone as the
    server computes it (the page shows that, not its own conversion)."""
    return f"{base_url}/join#token={token}&opens={quote(local_text(opens_at, zone))}"


def booking_view(booking: Booking, viewer: Person, rooms: SessionRooms,
                 base_url: str, zone: str | None = None) -> BookingView:
    """``booking`` as ``viewer`` sees it, with their own join link; ``shown`` in ``zone``
    (default: the viewer's)."""
    token = rooms.join_token(booking, viewer)
    others = [a for a in (booking.organiser, *booking.attendees)
              if a.identity != viewer.identity]
    opens_at = rooms.opens_at(booking)
    return BookingView(
        booking_id=booking.booking_id, title=booking.title, kind=room_kind(booking).value,
        start=utc_text(booking.start), end=utc_text(booking.end), zone=booking.zone,
        local=_local(booking),
        shown=shown_span(booking.start, booking.end, zone or viewer.zone, opens_at),
        organiser=_who(booking.organiser),
        with_=[_who(a) for a in others], status=booking.status.value,
        sequence=booking.sequence, opens_at=utc_text(rooms.opens_at(booking)),
        closes_at=utc_text(rooms.closes_at(booking)),
        join_link=join_link(base_url, token, opens_at, viewer.zone) if token else None,
        invite_url=f"{base_url}/api/bookings/{booking.booking_id}/invite.ics",
        series_id=booking.series_id,
        recurrence_id=utc_text(booking.recurrence_id) if booking.recurrence_id else None,
        rules_moved=list(booking.rules_moved),
    )


def _with_email(person: Attendee) -> WebhookPerson:
    return WebhookPerson(identity=person.identity, display_name=person.display_name,
                         zone=person.zone, email=person.email)


def webhook_booking(booking: Booking, rooms: SessionRooms) -> WebhookBooking:
    """``booking`` for a webhook event."""
    return WebhookBooking(
        booking_id=booking.booking_id, title=booking.title, kind=room_kind(booking).value,
        start=utc_text(booking.start), end=utc_text(booking.end), zone=booking.zone,
        local=_local(booking), organiser=_with_email(booking.organiser),
        attendees=[_with_email(a) for a in booking.attendees], status=booking.status.value,
        sequence=booking.sequence, opens_at=utc_text(rooms.opens_at(booking)),
        series_id=booking.series_id,
        recurrence_id=utc_text(booking.recurrence_id) if booking.recurrence_id else None,
        rules_moved=list(booking.rules_moved),
    )
