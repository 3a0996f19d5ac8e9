"""Calendar interoperability: ``.ics`` invites and feeds, written with ``icalendar``.

* :func:`booking_ics` is the invite for one booking: ``METHOD:REQUEST`` while it is
  confirmed, ``METHOD:CANCEL`` once cancelled, with UID, SEQUENCE (the booking's), DTSTAMP
  (its last change), ORGANIZER/ATTENDEE, and DTSTART/DTEND in the booking's zone (TZID) with
  that zone's VTIMEZONE.
* :func:`feed_ics` is a person's feed: every booking given, one VTIMEZONE per zone used.
* :func:`series_ics` is a recurring series as one VEVENT with RRULE and EXDATE, plus one
  VEVENT per moved occurrence (RECURRENCE-ID).

A local time that is the *second* of an ambiguous pair (``fold=1``) is written in UTC
instead of with a TZID: RFC 5545 readers take a TZID time in an overlap as the first
instant, and every reader must see the same instant (policy 8 of :mod:`.zones`).
People without an e-mail address get a ``urn:mentorcall:`` calendar address. Given a
``viewer`` (the identity whose invite or feed it is), only the viewer's own e-mail is
written; everyone else gets their ``urn:mentorcall:`` address (the API never shows one
person's e-mail to another).

VTIMEZONEs come from :func:`~rooms.scheduling.vtimezone.build_vtimezone` (the zone's own
transitions, one RDATE per line) over one fixed span (2000-2044, widened only for dates
outside it, see :func:`zone_span`): readers that cache a TZID's first definition, or that
keep only the first date of an RDATE list (vobject does both), still get every transition.
Pass a :class:`ZoneDefinitions` to build each zone's definition once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from urllib.parse import quote

import icalendar

from rooms.scheduling import tzdb
from rooms.scheduling.bookings import Attendee, Booking
from rooms.scheduling.recurrence import Frequency, Series
from rooms.scheduling.vtimezone import build_vtimezone
from rooms.scheduling.zones import load_zone, to_local, to_utc_lenient

PRODID = "-//mentorcall//scheduling//EN"
DEFAULT_UID_DOMAIN = "mentorcall"
DEFAULT_SUMMARY = "Mentoring session"
Method = Literal["REQUEST", "CANCEL"]
OPEN_SERIES_ZONE_SPAN = timedelta(days=5 * 366)  # VTIMEZONE span for a series without end
VTIMEZONE_SPAN = (date(2000, 1, 1), date(2045, 1, 1))


def cal_address(person: Attendee, role: str | None = None,
                viewer: str | None = None) -> icalendar.vCalAddress:
    """The ORGANIZER/ATTENDEE value for ``person``, with CN (and ROLE/PARTSTAT/RSVP); the
    e-mail only if there is no ``viewer`` or ``person`` is the viewer."""
    show_email = person.email and (viewer is None or viewer == person.identity)
    uri = f"mailto:{person.email}" if show_email else f"urn:mentorcall:{quote(person.identity)}"
    address = icalendar.vCalAddress(uri)
    address.params["CN"] = person.display_name
    if role is not None:
        address.params["ROLE"] = role
        address.params["PARTSTAT"] = "NEEDS-ACTION"
        address.params["RSVP"] = "TRUE"
    return address


def ics_time(instant: datetime, zone: str) -> datetime:
    """``instant`` as written: local in ``zone`` (TZID), or UTC if it is a second fold."""
    local = to_local(instant, zone)
    return instant.astimezone(UTC) if local.fold else local


def zone_span(first: date, last: date) -> tuple[date, date]:
    """The dates a VTIMEZONE covers: ``VTIMEZONE_SPAN``, widened by whole years only if
    [first, last] does not fit in it.

    The span is the same for (nearly) every invite because some clients (and vobject) keep
    the first definition they see for a TZID: it must not vary between invites.
    """
    span_first, span_last = VTIMEZONE_SPAN
    if first < span_first:
        span_first = date(first.year - 1, 1, 1)
    if last >= span_last:
        span_last = date(last.year + 2, 1, 1)
    return span_first, span_last


class ZoneDefinitions:
    """VTIMEZONE components by zone, each built once (building one takes milliseconds).

    Pass one instance to the writers below to share the work across invites and feeds.
    """

    def __init__(self) -> None:
        self._built: dict[tuple[str, str, date, date], icalendar.Timezone] = {}

    def get(self, zone: str, first: date, last: date) -> icalendar.Timezone:
        """The VTIMEZONE of ``zone`` holding the dates [first, last]."""
        span = zone_span(first, last)
        key = (tzdb.version(), zone, *span)  # new rules, new definitions
        if key not in self._built:
            load_zone(zone)  # unknown_zone for a name that is not an IANA zone
            self._built[key] = build_vtimezone(zone, *span)
        return self._built[key]


def _calendar(method: str | None, name: str | None = None) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method is not None:
        cal.add("method", method)
    if name is not None:
        cal.add("x-wr-calname", name)
    return cal


def _people(event: icalendar.Event, organiser: Attendee, attendees: Sequence[Attendee],
            viewer: str | None = None) -> None:
    event.add("organizer", cal_address(organiser, viewer=viewer))
    for person in attendees:
        event.add("attendee", cal_address(person, role="REQ-PARTICIPANT", viewer=viewer))


def booking_event(booking: Booking, uid_domain: str = DEFAULT_UID_DOMAIN,
                  url: str | None = None, viewer: str | None = None) -> icalendar.Event:
    """The VEVENT of ``booking`` (as ``viewer`` sees it, see :func:`cal_address`)."""
    event = icalendar.Event()
    event.add("uid", f"{booking.booking_id}@{uid_domain}")
    event.add("sequence", booking.sequence)
    event.add("dtstamp", booking.updated_at)
    event.add("created", booking.created_at)
    event.add("last-modified", booking.updated_at)
    event.add("dtstart", ics_time(booking.start, booking.zone))
    event.add("dtend", ics_time(booking.end, booking.zone))
    event.add("summary", booking.title or DEFAULT_SUMMARY)
    event.add("status", "CONFIRMED" if booking.is_confirmed else "CANCELLED")
    _people(event, booking.organiser, booking.attendees, viewer)
    if url is not None:
        event.add("url", url)
        event.add("location", url)
    return event


def booking_ics(booking: Booking, method: Method | None = None,
                uid_domain: str = DEFAULT_UID_DOMAIN, url: str | None = None,
                zones: ZoneDefinitions | None = None, viewer: str | None = None) -> bytes:
    """The invite for ``booking``: REQUEST if confirmed, CANCEL if cancelled; given a
    ``viewer``, only their own e-mail is in it."""
    wanted: Method = method or ("REQUEST" if booking.is_confirmed else "CANCEL")
    if (wanted == "REQUEST") != booking.is_confirmed:
        raise ValueError(f"a {booking.status.value} booking cannot be sent as {wanted}")
    cal = _calendar(wanted)
    zones = zones or ZoneDefinitions()
    cal.add_component(zones.get(booking.zone, booking.start.date(), booking.end.date()))
    cal.add_component(booking_event(booking, uid_domain, url, viewer))
    return bytes(cal.to_ical())


def feed_ics(bookings: Sequence[Booking], name: str, uid_domain: str = DEFAULT_UID_DOMAIN,
             url_for: Callable[[Booking], str | None] | None = None,
             zones: ZoneDefinitions | None = None, viewer: str | None = None) -> bytes:
    """A feed (no METHOD) of ``bookings``, with every zone they use; given a ``viewer``
    (the feed's owner), only their own e-mail is in it."""
    cal = _calendar(None, name)
    zones = zones or ZoneDefinitions()
    groups: dict[str, list[Booking]] = {}
    for booking in bookings:
        groups.setdefault(booking.zone, []).append(booking)
    for zone, group in sorted(groups.items()):
        first = min(b.start for b in group).date()
        cal.add_component(zones.get(zone, first, max(b.end for b in group).date()))
    for booking in sorted(bookings, key=lambda b: (b.start, b.booking_id)):
        cal.add_component(booking_event(booking, uid_domain,
                                        url_for(booking) if url_for else None, viewer))
    return bytes(cal.to_ical())


def series_ics(series: Series, organiser: Attendee, attendees: Sequence[Attendee],
               stamp: datetime, sequence: int = 0, title: str = "",
               method: Method = "REQUEST", uid_domain: str = DEFAULT_UID_DOMAIN,
               zones: ZoneDefinitions | None = None) -> bytes:
    """A recurring series: VEVENT with RRULE/EXDATE plus one VEVENT per moved occurrence.

    Occurrence times written here are wall-clock times with the series' TZID; readers
    resolve gaps and overlaps by RFC 5545, the same rule :meth:`Series.occurrences` uses.
    """
    uid = f"{series.series_id}@{uid_domain}"
    tz = load_zone(series.zone)
    rec = series.recurrence
    rule: dict[str, object] = {"FREQ": rec.frequency.value.upper(), "INTERVAL": rec.interval}
    if rec.frequency is Frequency.MONTHLY:
        nth = rec.week_of_month or (series.start.day - 1) // 7 + 1
        rule["BYDAY"] = f"{nth}{('MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU')[series.start.weekday()]}"
    if rec.count is not None:
        rule["COUNT"] = rec.count
    if rec.until is not None:
        rule["UNTIL"] = to_utc_lenient(rec.until, tz)[0]

    def wall(local: datetime) -> datetime:
        return local.replace(tzinfo=tz, fold=0)

    cal = _calendar(method)
    if rec.until is not None:
        last = rec.until
    elif rec.count is not None:
        last = series.rule()[-1]
    else:
        last = series.start + OPEN_SERIES_ZONE_SPAN
    cal.add_component((zones or ZoneDefinitions()).get(series.zone, series.start.date(),
                                                       last.date()))
    main = icalendar.Event()
    main.add("uid", uid)
    main.add("sequence", sequence)
    main.add("dtstamp", stamp)
    main.add("dtstart", wall(series.start))
    main.add("duration", series.length)
    main.add("rrule", rule)
    if series.exdates:
        main.add("exdate", [wall(d) for d in series.exdates])
    main.add("summary", title or DEFAULT_SUMMARY)
    main.add("status", "CONFIRMED" if method == "REQUEST" else "CANCELLED")
    _people(main, organiser, attendees)
    cal.add_component(main)
    for moved in series.moved:
        event = icalendar.Event()
        event.add("uid", uid)
        event.add("sequence", sequence)
        event.add("dtstamp", stamp)
        event.add("recurrence-id", wall(moved.recurrence_id))
        event.add("dtstart", ics_time(moved.start, series.zone))
        event.add("dtend", ics_time(moved.end, series.zone))
        event.add("summary", title or DEFAULT_SUMMARY)
        _people(event, organiser, attendees)
        cal.add_component(event)
    return bytes(cal.to_ical())
