"""Request bodies of the programmes API: strict models, unknown fields refused."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rooms.models import DisplayName
from rooms.programmes.importer import parse_weekly
from rooms.scheduling.availability import Availability, Weekday, Window
from rooms.scheduling.zones import UtcDatetime, ZoneName

from ..scheduling.bodies import StrictBody

MAX_LISTED = 200  # programmes in one answer of GET /api/programmes


class CreateProgrammeBody(StrictBody):
    """A new programme and its settings."""

    name: DisplayName
    default_availability: str = Field(
        default="", max_length=500,
        description="weekly windows used for people without their own, in their own zone: "
                    "`mon-fri 09:00-12:00; tue+thu 16:00-18:00`")
    min_overlap_h: float = Field(default=1.0, ge=0, le=40)
    require_shared_language: bool = True
    auto_book: bool = False
    coffee_every_weeks: int = Field(default=1, ge=1, le=2)
    coffee_no_repeat_rounds: int = Field(default=4, ge=0, le=52)

    def settings(self) -> dict[str, Any]:
        """The programme's settings (ValueError: the default availability is not usable)."""
        return {"default_weekly": default_weekly(self.default_availability),
                "min_overlap_h": self.min_overlap_h,
                "require_shared_language": self.require_shared_language,
                "auto_book": self.auto_book, "coffee_every_weeks": self.coffee_every_weeks,
                "coffee_no_repeat_rounds": self.coffee_no_repeat_rounds}


class UpdateProgrammeBody(StrictBody):
    """The settings to change (``PATCH``); the ones left out stay as they are."""

    name: DisplayName | None = None
    default_availability: str | None = Field(default=None, max_length=500)
    min_overlap_h: float | None = Field(default=None, ge=0, le=40)
    require_shared_language: bool | None = None
    auto_book: bool | None = None
    coffee_every_weeks: int | None = Field(default=None, ge=1, le=2)
    coffee_no_repeat_rounds: int | None = Field(default=None, ge=0, le=52)

    def changes(self) -> dict[str, Any]:
        """The programme fields to update (ValueError: an unusable default availability)."""
        changed = {k: v for k, v in self.model_dump(exclude_unset=True).items()
                   if v is not None and k != "default_availability"}
        if self.default_availability is not None:
            changed["default_weekly"] = default_weekly(self.default_availability)
        return changed


def default_weekly(text: str) -> dict[Weekday, tuple[Window, ...]]:
    """``default_availability`` as weekly windows, checked as each person's will be (the
    order of each window) so that no import trips on it later."""
    weekly: dict[Weekday, tuple[Window, ...]] = parse_weekly(text) or {}
    try:
        Availability(zone="UTC", weekly=weekly)
    except ValidationError as exc:
        raise ValueError("; ".join(str(e["msg"]).removeprefix("Value error, ")
                                   for e in exc.errors(include_input=False))) from None
    return weekly


class ImportPerson(StrictBody):
    """One person of a JSON import (the CSV columns; lists as arrays)."""

    key: str
    name: str
    role: str
    zone: str
    email: str | None = None
    languages: list[str] = []
    skills: list[str] = []
    goals: list[str] = []
    capacity: int | None = None
    exclusions: list[str] = []
    preferences: list[str] = []
    availability: str = ""
    coffee: bool = True


class ImportBody(StrictBody):
    """``{"people": [...]}``; checked row by row (see docs/programmes-api.md)."""

    people: list[ImportPerson]


class MatchBody(StrictBody):
    """Which week's availability to match on (default: a week from now)."""

    week_of: date | None = None


class LockBody(StrictBody):
    mentee: str
    locked: bool = True


class SwapBody(StrictBody):
    mentee_a: str
    mentee_b: str


class AcceptBody(StrictBody):
    """One of the offered start times (UTC, as offered)."""

    start: UtcDatetime
    weekly_sessions: int = Field(default=1, ge=1, le=52,
                                 description="more than 1: a weekly series from that time")


class IntroParams(BaseModel):
    """Query of the intro endpoints."""

    model_config = ConfigDict(extra="forbid")

    zone: ZoneName | None = Field(default=None, description="show the caller's times in "
                                                            "this zone (default: theirs)")


class ListParams(BaseModel):
    """Query of the list of programmes."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=MAX_LISTED, ge=1, le=MAX_LISTED,
                       description=f"at most this many, newest first (1 to {MAX_LISTED})")


class CoffeeBody(StrictBody):
    """Which week to pair for (default: one round period from now)."""

    week_of: date | None = None


def day_or_none(value: datetime | None) -> date | None:
    return None if value is None else value.date()
