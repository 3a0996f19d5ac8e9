"""Keeping bookings on their local time when the time-zone rules change under them.

A booking is made for a wall-clock time in the organiser's zone ("09:00 in Vancouver"),
and stored as a UTC instant computed with the rules of the day. When the ``tzdata``
package is upgraded and a zone's rules change (British Columbia staying on -07:00 from
November 2026), that instant is no longer 09:00 there. :func:`follow_rule_changes`,
run at start-up, finds every future confirmed booking whose recorded wall time
(``Booking.wall_start`` in ``Booking.zone``) now resolves to another instant, or whose
other people's local time of it changed, and for each:

* moves it to the instant its wall time now is (resolved as a request would be: an
  ambiguous time keeps the recorded fold, a time that no longer exists moves later by the
  gap, policy 5 of :mod:`.zones`), one SEQUENCE on, with a new room and join tokens;
* records in ``rules_moved`` the other people whose local time moved (their calendar
  shows a new time: worth telling them in person);
* tells the listeners (``booking.changed`` webhooks) like any reschedule, so invites go
  out again; the ``.ics`` carries the new VTIMEZONE and SEQUENCE.

Only the revision read is changed (``expected_sequence``), so processes starting together
move each booking once; a move that would collide with another booking of one of its
people is left alone and logged (``slot_taken``). Bookings stored before wall times were
recorded (``wall_start`` None) keep their instant.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rooms.errors import RoomError
from rooms.scheduling import tzdb
from rooms.scheduling.booking_service import UPCOMING_DAYS, BookingChange, SchedulingService
from rooms.scheduling.bookings import Booking
from rooms.scheduling.zones import (
    LocalKind,
    classify,
    epoch_seconds,
    from_epoch,
    load_zone,
    to_utc_lenient,
)

logger = logging.getLogger(__name__)


@dataclass
class RuleChangeReport:
    """What one pass found: bookings moved (or re-stamped), and those left alone."""

    rules: str
    checked: int = 0
    changed: list[Booking] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def instant_now(booking: Booking) -> datetime | None:
    """The instant the booking's recorded wall time is under the rules in use (None if it
    has no recorded wall time)."""
    if booking.wall_start is None:
        return None
    zone = load_zone(booking.zone)
    if classify(booking.wall_start, zone) is LocalKind.AMBIGUOUS:
        return booking.wall_start.replace(tzinfo=zone, fold=booking.wall_fold).astimezone(UTC)
    return to_utc_lenient(booking.wall_start, zone)[0]


def needed_change(booking: Booking) -> tuple[datetime, tuple[str, ...]] | None:
    """Where the booking must go under the rules in use, and whose local time moves
    (other than the organiser's); None if nothing changes."""
    start = instant_now(booking)
    if start is None or not booking.is_confirmed:
        return None
    before = {w.identity: w.local for w in booking.walls}
    moved_booking = booking.model_copy(update={"start": start})
    after = {w.identity: w.local for w in moved_booking.local_walls()}
    moved = tuple(p for p in booking.people[1:]
                  if p in before and after.get(p) != before[p])
    if start == booking.start and not moved:
        return None
    return start, moved


async def follow_rule_changes(service: SchedulingService) -> RuleChangeReport:
    """Move every future booking whose wall time resolves differently under the rules in
    use (see the module docstring); the report lists what changed."""
    report = RuleChangeReport(rules=tzdb.version())
    now = from_epoch(int(service.clock.now()))
    horizon = now + timedelta(days=UPCOMING_DAYS)
    seen: set[str] = set()
    for person in await service.directory.everyone(limit=sys.maxsize):
        for booking in await service.bookings.bookings_for(person.identity, now, horizon):
            if booking.booking_id in seen or booking.start <= now:
                continue
            seen.add(booking.booking_id)
            report.checked += 1
            change = needed_change(booking)
            if change is None:
                continue
            moved = await _move(service, booking, *change)
            if moved is None:
                report.skipped.append(booking.booking_id)
            else:
                report.changed.append(moved)
    if report.changed:
        await service.announce(BookingChange.CHANGED, report.changed)
    logger.info("time-zone rules %s: %d future booking(s) checked, %d moved or re-stamped, "
                "%d left alone", report.rules, report.checked, len(report.changed),
                len(report.skipped))
    return report


async def _move(service: SchedulingService, booking: Booking, start: datetime,
                moved: tuple[str, ...]) -> Booking | None:
    end = start + (booking.end - booking.start)
    try:
        new = await service.bookings.reschedule(booking.booking_id, start, end,
                                                expected_sequence=booking.sequence,
                                                rules_moved=moved)
    except RoomError as exc:
        logger.warning("booking %s: not moved for the new time-zone rules (%s)",
                       booking.booking_id, exc.code)
        return None
    try:
        await service.rooms.open([new])
    except Exception:
        logger.exception("booking %s: the room of its new time could not be opened",
                         booking.booking_id)
    await service.rooms.close([booking])
    await service.ledger.plan(new.booking_id, epoch_seconds(new.start))
    logger.info("booking %s moved for the new time-zone rules: %s -> %s (%s); local time "
                "moved for %d other(s)", booking.booking_id, booking.start.isoformat(),
                new.start.isoformat(), booking.zone, len(moved))
    return new
