"""Reading a programme's people from CSV or JSON, all or nothing.

Every row is checked (columns, role, IANA zone through the scheduling zones of the pinned
``tzdata``, duplicate keys, capacities, availability text); if any row is bad the import is
refused with every bad row and its reason, and nothing is written.

CSV columns (header row required; ``key``, ``name``, ``role`` and ``zone`` must be there,
the others are optional, unknown columns are refused)::

    key,name,role,zone,email,languages,skills,goals,capacity,exclusions,preferences,
    availability,coffee

Lists are separated by ``;``. ``availability`` is ``mon-thu 08:30-12:00 16:00-18:00;
fri 09:00-11:00`` (days a range, one day or ``tue+thu``; windows in the person's local
time); empty means the programme's default. Files must be UTF-8 (with or without a BOM):
other encodings are refused with ``bad_encoding`` rather than guessed.

Reading is bounded: it stops as soon as a file has more than ``MAX_PARTICIPANTS`` rows,
a refusal lists at most ``MAX_LISTED`` bad rows (and says how many more), and malformed
input (an over-long CSV field, deeply nested JSON, a huge number, an e-mail that is not
text) is a coded refusal, never an exception of the parser.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from pydantic import TypeAdapter, ValidationError

from rooms.errors import RoomError
from rooms.models import check_display_name
from rooms.programmes.errors import ProgrammeError, RowError
from rooms.programmes.model import MAX_CAPACITY, MAX_PARTICIPANTS, MAX_TAGS, Role
from rooms.scheduling.availability import Availability, Weekday, Window
from rooms.scheduling.bookings import Email
from rooms.scheduling.zones import check_zone_name

REQUIRED = ("key", "name", "role", "zone")
OPTIONAL = ("email", "languages", "skills", "goals", "capacity", "exclusions", "preferences",
            "availability", "coffee")
COLUMNS = REQUIRED + OPTIONAL
DAYS = list(Weekday)
_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
MAX_LISTED = 100  # bad rows listed in a refusal (the message counts the rest)
MAX_NUMBER_CHARS = 20  # digits of a JSON number (capacity is 0..50)
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)
TOO_MANY = f"At most {MAX_PARTICIPANTS} people per import."
MAX_SHOWN = 40  # characters of a value echoed back in a reason


def shown(value: Any) -> str:
    """``value`` quoted for a reason, cut to :data:`MAX_SHOWN` characters and "…" (a
    5,000-character cell is not echoed back whole)."""
    text = value if isinstance(value, str) else str(value)
    return repr(text) if len(text) <= MAX_SHOWN else repr(text[:MAX_SHOWN]) + "…"


@dataclass(frozen=True)
class PersonRow:
    """A checked row, not yet linked to the scheduling directory."""

    key: str
    name: str
    role: Role
    zone: str
    email: str | None
    languages: tuple[str, ...]
    skills: tuple[str, ...]
    goals: tuple[str, ...]
    capacity: int
    exclusions: tuple[str, ...]
    preferences: tuple[str, ...]
    weekly: dict[Weekday, tuple[Window, ...]] | None
    coffee: bool


def decode(raw: bytes) -> str:
    """UTF-8 text (a BOM is dropped); ``bad_encoding`` for anything else."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ProgrammeError("bad_encoding", "The file is UTF-16; save it as UTF-8 (CSV UTF-8).")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProgrammeError(
            "bad_encoding", f"The file is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset "
                            f"{exc.start}); save it as UTF-8 (CSV UTF-8).") from exc


def _listed(names: list[str], most: int = 10) -> str:
    """The first ``most`` names, each :func:`shown`, and how many more."""
    text = ", ".join(shown(n) for n in names[:most])
    return text + (f" and {len(names) - most} more" if len(names) > most else "")


def _tags(value: Any, what: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value.split(";") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ValueError(f"{what} must be a list of words")
    tags = tuple(dict.fromkeys(i.strip() for i in items if i.strip()))
    if len(tags) > MAX_TAGS or any(len(t) > 100 for t in tags):
        raise ValueError(f"at most {MAX_TAGS} {what} of at most 100 characters")
    return tags


def _clock(hours: str, minutes: str) -> time:
    h, m = int(hours), int(minutes)
    if h == 24 and m == 0:
        return time(0, 0)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"{hours}:{minutes} is not a time of day")
    return time(h, m)


def _days(text: str) -> list[Weekday]:
    names = [d.value for d in DAYS]
    if "-" in text:
        first, _, last = text.partition("-")
        if first not in names or last not in names or names.index(first) > names.index(last):
            raise ValueError(f"{shown(text)} is not a range of days such as mon-fri")
        return DAYS[names.index(first):names.index(last) + 1]
    days = text.split("+")
    if any(d not in names for d in days):
        raise ValueError(f"{shown(text)} is not a day (mon, tue, ... sun)")
    return [Weekday(d) for d in days]


def parse_weekly(text: str) -> dict[Weekday, tuple[Window, ...]] | None:
    """``mon-thu 08:30-12:00 16:00-18:00; fri 09:00-11:00`` as weekly windows."""
    if not text.strip():
        return None
    weekly: dict[Weekday, list[Window]] = {}
    for part in filter(None, (p.strip() for p in text.lower().split(";"))):
        words = part.split()
        if len(words) < 2:
            raise ValueError(f"{shown(part)} needs days and at least one window (mon 09:00-12:00)")
        windows = []
        for word in words[1:]:
            found = _WINDOW.match(word)
            if found is None:
                raise ValueError(f"{shown(word)} is not a window such as 09:00-12:30")
            windows.append((_clock(*found.group(1, 2)), _clock(*found.group(3, 4))))
        for day in _days(words[0]):
            weekly.setdefault(day, []).extend(windows)
    return {d: tuple(w) for d, w in weekly.items()}


def _capacity(value: Any, role: Role) -> int:
    if value is None or value == "":
        return 1 if role is Role.MENTOR else 0
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("capacity must be a whole number")
    if isinstance(value, str) and len(value.strip()) > 6:
        raise ValueError(f"capacity {value.strip()[:6]}... is not a whole number from 0 to "
                         f"{MAX_CAPACITY}")
    try:
        number = int(value)
    except ValueError as exc:
        raise ValueError(f"capacity {shown(value)} is not a whole number") from exc
    if number < 0:
        raise ValueError(f"capacity {number} is below zero")
    if number > MAX_CAPACITY:
        raise ValueError(f"capacity {number} is above {MAX_CAPACITY}")
    if role is Role.MENTEE and number:
        raise ValueError("only mentors have a capacity")
    return number


def _flag(value: Any) -> bool:
    if value is None or value == "" or value is True:
        return True
    if value is False:
        return False
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "1", "no",
                                                            "false", "0"):
        return value.strip().lower() in ("yes", "true", "1")
    raise ValueError(f"coffee {shown(value)} is not yes or no")


def parse_row(data: Mapping[str, Any]) -> PersonRow:
    """One row as a :class:`PersonRow` (ValueError or RoomError with the reason)."""
    for column in REQUIRED:
        if data.get(column) is not None and not isinstance(data[column], str):
            raise ValueError(f"{column} must be text")
        if not isinstance(data.get(column), str) or not data[column].strip():
            raise ValueError(f"{column} is missing")
    key = data["key"].strip()
    if len(key) > 128:
        raise ValueError("key is longer than 128 characters")
    try:
        role = Role(data["role"].strip().lower())
    except ValueError as exc:
        raise ValueError(f"role {shown(data['role'])} is not mentor or mentee") from exc
    zone = check_zone_name(data["zone"].strip())
    weekly_text = data.get("availability") or ""
    if not isinstance(weekly_text, str):
        raise ValueError("availability must be text such as 'mon-fri 09:00-12:00'")
    weekly = parse_weekly(weekly_text)
    if weekly is not None:
        Availability(zone=zone, weekly=weekly)  # window checks of the scheduling model
    email = _email(data.get("email"))
    name = check_display_name(data["name"])
    if len(name) > 100:
        raise ValueError("name is longer than 100 characters")
    return PersonRow(
        key=key, name=name, role=role, zone=zone,
        email=email, languages=tuple(t.lower() for t in _tags(data.get("languages"),
                                                              "languages")),
        skills=_tags(data.get("skills"), "skills"), goals=_tags(data.get("goals"), "goals"),
        capacity=_capacity(data.get("capacity"), role),
        exclusions=tuple(t.lower() for t in _tags(data.get("exclusions"), "exclusions")),
        preferences=_tags(data.get("preferences"), "preferences"),
        weekly=weekly, coffee=_flag(data.get("coffee")))


def _email(value: Any) -> str | None:
    """An optional e-mail address, checked as the scheduling directory will check it."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("email must be text")
    text = value.strip()
    if not text:
        return None
    if len(text) > 254:
        raise ValueError("email is longer than 254 characters")
    try:
        return _EMAIL.validate_python(text)
    except ValidationError:
        raise ValueError(f"{shown(text)} is not an e-mail address") from None


def refusal(bad: Iterable[RowError]) -> ProgrammeError:
    """``invalid_import`` listing the first :data:`MAX_LISTED` bad rows (by row) and
    counting the rest, so a file of bad rows does not make a huge answer."""
    ordered = sorted(bad, key=lambda e: e.row)
    message = f"{len(ordered)} row(s) are wrong; nothing was imported."
    if len(ordered) > MAX_LISTED:
        message += (f" The first {MAX_LISTED} are listed, and {len(ordered) - MAX_LISTED} "
                    "more.")
    return ProgrammeError("invalid_import", message, tuple(ordered[:MAX_LISTED]))


def _reason(exc: Exception) -> str:
    if isinstance(exc, RoomError):
        return exc.message
    if isinstance(exc, ValidationError):
        return "; ".join(str(e["msg"]) for e in exc.errors(include_input=False))
    return str(exc)


def check_rows(rows: Iterable[tuple[int, Mapping[str, Any]]],
               unreadable: Iterable[RowError] = ()) -> list[PersonRow]:
    """Every row checked; ``invalid_import`` listing the bad rows (with ``unreadable``,
    the rows the reader could not even split into fields) if any is bad."""
    good: list[PersonRow] = []
    bad: list[RowError] = list(unreadable)
    seen: dict[str, int] = {}
    for number, data in rows:
        key = str(data.get("key") or "").strip()
        key = key if len(key) <= 128 else key[:MAX_SHOWN] + "…"  # too long: refused
        try:
            row = parse_row(data)
        except (ValueError, RoomError) as exc:
            bad.append(RowError(number, _reason(exc), key))
            continue
        if row.key in seen:
            bad.append(RowError(number, f"duplicate person: {shown(row.key)} is also row "
                                        f"{seen[row.key]}", row.key))
            continue
        seen[row.key] = number
        good.append(row)
    if len(good) + len(bad) > MAX_PARTICIPANTS:
        raise ProgrammeError("invalid_import", TOO_MANY)
    keys = {r.key: r for r in good}
    for row in good:
        for wanted in row.preferences:
            if wanted not in keys or keys[wanted].role is not Role.MENTOR:
                bad.append(RowError(seen[row.key], f"preference {shown(wanted)} is not a mentor "
                                                   "of this import", row.key))
    if bad:
        raise refusal(bad)
    if not good:
        raise ProgrammeError("invalid_import", "The file has no people in it.")
    return good


def _miscount(values: list[str], wanted: int, last_line: int) -> str:
    """Why a row has the wrong number of fields: a field holding a line break means a quote
    opened in it was (most likely) never closed, and the lines after it were swallowed."""
    if any("\n" in v or "\r" in v for v in values):
        return ("a quote opened in this row is never closed, so the lines after it (to line "
                f"{last_line}) were read as part of it; close the quote (or double a quote "
                "inside a quoted field)")
    return f"{len(values)} fields where the header has {wanted}"


def read_csv(raw: bytes) -> list[PersonRow]:
    """The rows of a CSV file (see the module docstring)."""
    text = decode(raw)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise ProgrammeError("wrong_columns", "The file is empty: it needs a header row.")
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    unknown = [h for h in names if h not in COLUMNS]
    doubled = sorted({h for h in names if names.count(h) > 1})
    if missing or unknown or doubled:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown {_listed(unknown)}")
        if doubled:
            parts.append(f"repeated {', '.join(doubled)}")
        raise ProgrammeError("wrong_columns", f"Wrong columns ({'; '.join(parts)}); the "
                                              f"columns are {', '.join(COLUMNS)}.")
    rows: list[tuple[int, Mapping[str, Any]]] = []
    bad: list[RowError] = []
    try:
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(rows) + len(bad) == MAX_PARTICIPANTS:
                raise ProgrammeError("invalid_import", TOO_MANY)
            if len(values) != len(names):
                bad.append(RowError(number, _miscount(values, len(names), reader.line_num)))
                continue
            rows.append((number, dict(zip(names, values, strict=True))))
    except csv.Error as exc:  # an over-long field, ...: the rest cannot be read reliably
        reason = (f"a field is longer than {csv.field_size_limit()} characters"
                  if "field limit" in str(exc) else f"unreadable CSV ({exc})")
        bad.append(RowError(reader.line_num, reason))
    return check_rows(rows, bad)


def _bounded_number(text: str) -> int | float:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"numbers are limited to {MAX_NUMBER_CHARS} characters")
    return float(text) if any(c in text for c in ".eE") else int(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_json(raw: bytes) -> list[PersonRow]:
    """The rows of a JSON import: ``{"people": [{column: value, ...}, ...]}`` (row = index+1)."""
    text = decode(raw)
    try:
        data = json.loads(text, parse_int=_bounded_number, parse_float=_bounded_number,
                          parse_constant=_no_constant)
    except json.JSONDecodeError as exc:  # not JSON: as every JSON body of the API
        raise ProgrammeError("invalid_json", f"The JSON is malformed: {exc.msg}.") from exc
    except ValueError as exc:  # a bounded number or NaN
        raise ProgrammeError("invalid_json", f"The JSON is out of bounds: {exc}.") from exc
    except RecursionError as exc:
        raise ProgrammeError("invalid_json", "The JSON nests too deep.") from exc
    people = data.get("people") if isinstance(data, dict) else None
    if not isinstance(people, list):
        raise ProgrammeError("wrong_columns", 'Send {"people": [...]}.')
    if len(people) > MAX_PARTICIPANTS:
        raise ProgrammeError("invalid_import", TOO_MANY)
    rows: list[tuple[int, Mapping[str, Any]]] = []
    bad: list[RowError] = []
    for number, item in enumerate(people, start=1):
        if not isinstance(item, dict):
            bad.append(RowError(number, "each person is an object"))
            continue
        unknown = sorted(set(item) - set(COLUMNS))
        if unknown:
            key = str(item.get("key", ""))
            bad.append(RowError(number, f"unknown fields {_listed(unknown)}",
                                key if len(key) <= 128 else key[:MAX_SHOWN] + "…"))
            continue
        rows.append((number, item))
    return check_rows(rows, bad)
