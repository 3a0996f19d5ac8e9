"""Time zones and the local <-> UTC policy of mentorcall's scheduling.

Every instant is stored as a UTC ``datetime`` (whole seconds) together with the IANA zone it
was meant in. Zone maths use the standard library's ``zoneinfo`` with the rules of the
pinned ``tzdata`` package, read through :mod:`.tzdb` (never the machine's zone files).

The policy for local times
--------------------------

1. **Zone names** are the zones of the ``tzdata`` package (:func:`.tzdb.load`;
   case-sensitive, e.g. ``Asia/Kathmandu``). Anything else is refused with ``unknown_zone``,
   and so are ``localtime`` and ``posixrules`` (some systems list these files among the
   zones, but they are host settings, not IANA names, and mean different things on
   different machines) and ``Factory`` (tzdata's placeholder for "no zone set").
2. A local wall-clock time in a zone is *normal* (exactly one instant), *nonexistent* (it
   falls in a spring-forward gap, or on a skipped date such as 2011-12-30 in Pacific/Apia)
   or *ambiguous* (it falls in a fall-back overlap and happens twice).
3. **Requests are strict.** A local time a person asks for (a booking, moving one
   occurrence of a series) goes through :func:`to_utc_strict`: a nonexistent time is
   refused with ``nonexistent_local_time``; an ambiguous one must say which of the two it
   means (``fold=0`` the first, earlier instant; ``fold=1`` the second) or it is refused with
   ``ambiguous_local_time``. Nothing is guessed on a person's behalf.
4. **Availability windows are sets of instants.** "Monday 08:30-12:00" means every instant
   whose wall-clock reading in the person's zone is in [08:30, 12:00) on a Monday that is
   not a day off. A window across a gap therefore loses the skipped time (01:00-04:00 on a
   US spring-forward day lasts 2 h), a window across an overlap gains the repeated time
   (01:00-02:00 on a fall-back day lasts 2 h), a window wholly inside a gap or on a skipped
   date is empty. One-off extra slots follow the same rule. See :mod:`.timeline`.
5. **Recurrences follow RFC 5545 (section 3.3.5).** An RRULE is expanded on wall-clock
   times in the organiser's zone (09:00 stays 09:00 across DST) and each occurrence is
   resolved by :func:`to_utc_lenient`: a nonexistent time is read with the UTC offset in
   force *before* the gap, which moves it later by the length of the gap (02:30 on a New
   York spring-forward day becomes 03:30 EDT; 09:00 on Apia's skipped 2011-12-30 becomes
   09:00 on 2011-12-31); an ambiguous time is the *first* occurrence (the earlier instant).
   Two occurrences that land on the same instant are kept once.
6. **UTC to local is always exact**: :func:`to_local` gives an aware datetime whose offset
   and ``fold`` say which instant it is, so converting it back gives the same instant.
7. **Slot grid**: suggested slots start on multiples of the step from local midnight in
   the *organiser's* zone (:00/:15/:30/:45 for a 15-minute step), also in zones with :30 or
   :45 offsets, using the offset in force at the slot's start.
8. **ICS**: DTSTART/DTEND carry the booking zone's TZID with a VTIMEZONE; a local time that
   is the second of an ambiguous pair is written in UTC instead, because readers take a
   TZID time in an overlap as the first one (RFC 5545), and every reader must get the same
   instant.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator

from rooms.errors import RoomError
from rooms.scheduling import tzdb

# IANA names are ASCII path-like words: "America/Argentina/Buenos_Aires", "Etc/GMT+5".
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")
MAX_ZONE_NAME = 64
# "Factory" is tzdata's placeholder for "no zone configured" (abbreviation "-00"), not a
# place: calendar programs cannot express it, so a person cannot live in it.
HOST_SPECIFIC = frozenset({"localtime", "posixrules", "Factory"})
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class LocalKind(StrEnum):
    """What a local wall-clock time is in a given zone."""

    NORMAL = "normal"
    NONEXISTENT = "nonexistent"
    AMBIGUOUS = "ambiguous"


def load_zone(name: str) -> ZoneInfo:
    """The zone called ``name``; ``unknown_zone`` if there is no such IANA zone."""
    if len(name) > MAX_ZONE_NAME or not _ZONE_NAME.match(name) or name in HOST_SPECIFIC:
        raise RoomError("unknown_zone", f"{name[:MAX_ZONE_NAME]!r} is not an IANA time zone.")
    try:
        zone = tzdb.load(name)
    except (ValueError, OSError) as exc:
        raise RoomError("unknown_zone", f"{name!r} is not an IANA time zone.") from exc
    if zone is None:
        raise RoomError("unknown_zone", f"{name!r} is not an IANA time zone.")
    return zone


def check_zone_name(name: str) -> str:
    """``name`` unchanged if it is a known zone, else ``unknown_zone`` (a pydantic validator)."""
    load_zone(name)
    return name


ZoneName = Annotated[str, AfterValidator(check_zone_name)]
"""A validated IANA zone name, for pydantic models."""


def _zone(zone: str | ZoneInfo) -> ZoneInfo:
    return zone if isinstance(zone, ZoneInfo) else load_zone(zone)


def _naive(local: datetime) -> datetime:
    if local.tzinfo is not None:
        raise ValueError("a local wall-clock time must be a naive datetime")
    return local


def require_utc(instant: datetime) -> datetime:
    """``instant`` in UTC; ``invalid_range`` if it is naive (an instant needs an offset)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise RoomError("invalid_range", "Times must carry a UTC offset or a zone.")
    return instant.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(require_utc)]
"""An aware datetime, normalised to UTC, for pydantic models (naive: ``invalid_range``)."""


def classify(local: datetime, zone: str | ZoneInfo) -> LocalKind:
    """Whether the naive wall-clock time ``local`` is normal, nonexistent or ambiguous."""
    tz = _zone(zone)
    first = _naive(local).replace(tzinfo=tz, fold=0)
    second = local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return LocalKind.NORMAL
    # In a gap neither offset gives back the same wall time; in an overlap both do.
    back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return LocalKind.AMBIGUOUS if back == local else LocalKind.NONEXISTENT


def to_utc_strict(local: datetime, zone: str | ZoneInfo, fold: int | None = None) -> datetime:
    """The UTC instant of wall-clock ``local`` in ``zone``, refusing to guess (policy 3).

    Raises ``nonexistent_local_time`` for a time in a gap, and ``ambiguous_local_time`` for
    a time in an overlap unless ``fold`` (0 first, 1 second) says which one is meant.
    """
    tz = _zone(zone)
    kind = classify(local, tz)
    shown = f"{local.isoformat(sep=' ', timespec='minutes')} in {tz.key}"
    if kind is LocalKind.NONEXISTENT:
        raise RoomError(
            "nonexistent_local_time", f"{shown} does not exist: the clocks skip over it."
        )
    if kind is LocalKind.AMBIGUOUS:
        if fold not in (0, 1):
            raise RoomError(
                "ambiguous_local_time",
                f"{shown} happens twice (clocks go back): choose the first or the second.",
            )
        return local.replace(tzinfo=tz, fold=fold).astimezone(UTC)
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def to_utc_lenient(local: datetime, zone: str | ZoneInfo) -> tuple[datetime, LocalKind]:
    """The instant of ``local`` in ``zone`` by the RFC 5545 rule (policy 5), and its kind.

    A nonexistent time takes the offset before the gap (so it moves later by the gap's
    length); an ambiguous time is the first of the two. zoneinfo's ``fold=0`` is exactly
    that rule for both cases.
    """
    tz = _zone(zone)
    kind = classify(local, tz)
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC), kind


def to_local(instant: datetime, zone: str | ZoneInfo) -> datetime:
    """``instant`` as an aware local time in ``zone`` (offset and ``fold`` set; exact)."""
    return require_utc(instant).astimezone(_zone(zone))


def local_to_utc_roundtrip(local: datetime) -> datetime:
    """The instant of an aware local time produced by :func:`to_local` (inverse, exact)."""
    if not isinstance(local.tzinfo, ZoneInfo):
        return require_utc(local)
    return to_utc_strict(local.replace(tzinfo=None), local.tzinfo, fold=local.fold)


def epoch_seconds(instant: datetime) -> int:
    """Whole seconds since the Unix epoch (``instant`` must be aware)."""
    return (require_utc(instant) - EPOCH) // timedelta(seconds=1)


def from_epoch(seconds: int) -> datetime:
    """The UTC datetime ``seconds`` after the Unix epoch."""
    return EPOCH + timedelta(seconds=seconds)
