"""Value objects of the room domain: rooms, participants and their tracks.

All models are frozen pydantic models; ``to_dict()`` gives the JSON-ready wire form and
``from_dict()`` reads it back (validating).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

COFFEE_CAPACITY = 2
MIN_CAPACITY = 2
DEFAULT_ROUNDTABLE_CAPACITY = 12
MAX_CAPACITY = 50
MAX_DURATION_S = 24 * 3600
MAX_TRACKS = 8

# Room ids end up inside Redis keys and URLs, so they are kept to a url-safe alphabet.
RoomId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Identity = Annotated[str, StringConstraints(min_length=1, max_length=128)]
# Format characters that names need: zero-width (non-)joiners, left/right-to-left marks.
NAME_FORMAT_CHARACTERS = frozenset("\u200c\u200d\u200e\u200f")
NAME_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Letters (Lo) that every font draws blank: the Hangul fillers.
NAME_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# What a visible character is: a letter, number, punctuation or symbol (not a mark, space,
# or format character, which show nothing on their own).
NAME_VISIBLE_CATEGORIES = frozenset("LNPS")


def _visible(char: str) -> bool:
    return (unicodedata.category(char)[0] in NAME_VISIBLE_CATEGORIES
            and char not in NAME_BLANK_LETTERS)


def check_display_name(value: str) -> str:
    """A name people see: surrounding spaces dropped, at least one visible character, no
    control, bidi-override or other invisible format characters (ValueError otherwise)."""
    name = value.strip()
    if not name:
        raise ValueError("a display name needs at least one visible character")
    for char in name:
        if (unicodedata.category(char) in NAME_REFUSED_CATEGORIES
                and char not in NAME_FORMAT_CHARACTERS):
            raise ValueError(
                f"a display name cannot contain control characters (U+{ord(char):04X})")
    if not any(_visible(char) for char in name):
        raise ValueError("a display name needs at least one visible character")
    return name


# The one type of every display name the server accepts (REST bodies, people, bookings,
# participants, join tokens).
DisplayName = Annotated[
    str, StringConstraints(min_length=1, max_length=100), AfterValidator(check_display_name)
]
TrackId = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class RoomKind(StrEnum):
    """What sort of session a room is."""

    COFFEE = "coffee"
    ROUNDTABLE = "roundtable"


class Role(StrEnum):
    """A participant's role: mentor/mentee in coffee rooms; host, co-host, participant or
    observer (watches, never publishes) in roundtables."""

    MENTOR = "mentor"
    MENTEE = "mentee"
    HOST = "host"
    CO_HOST = "co-host"
    PARTICIPANT = "participant"
    OBSERVER = "observer"


ROLES_BY_KIND: dict[RoomKind, frozenset[Role]] = {
    RoomKind.COFFEE: frozenset({Role.MENTOR, Role.MENTEE}),
    RoomKind.ROUNDTABLE: frozenset({Role.HOST, Role.CO_HOST, Role.PARTICIPANT, Role.OBSERVER}),
}
# The roles that run a roundtable (every host control); the host alone hands hosting over
# and promotes or demotes co-hosts.
HOSTING_ROLES = frozenset({Role.HOST, Role.CO_HOST})


class TrackKind(StrEnum):
    """The media kind of a published track."""

    AUDIO = "audio"
    VIDEO = "video"


class WireModel(BaseModel):
    """Base of the domain value objects: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (enums as their string values)."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Validate and build from the form ``to_dict()`` produces."""
        return cls.model_validate(data)


class Track(WireModel):
    """A media track a participant publishes."""

    kind: TrackKind
    track_id: TrackId
    muted: bool = False


def check_tracks(tracks: Sequence[Track]) -> list[Track]:
    """``tracks`` as a list, or ValueError if too many or if track ids repeat."""
    if len(tracks) > MAX_TRACKS:
        raise ValueError(f"at most {MAX_TRACKS} tracks per participant")
    ids = [t.track_id for t in tracks]
    if len(ids) != len(set(ids)):
        raise ValueError("track ids must be unique within a participant")
    return list(tracks)


class Participant(WireModel):
    """Someone in a room, identified by ``identity`` (stable across reconnects)."""

    identity: Identity
    display_name: DisplayName
    role: Role
    joined_at: float
    tracks: list[Track] = Field(default_factory=list)

    @model_validator(mode="after")
    def _valid_tracks(self) -> Self:
        check_tracks(self.tracks)
        return self

    def with_tracks(self, tracks: list[Track]) -> Participant:
        """A copy of this participant publishing ``tracks`` instead."""
        return Participant(
            identity=self.identity,
            display_name=self.display_name,
            role=self.role,
            joined_at=self.joined_at,
            tracks=list(tracks),
        )


class Room(WireModel):
    """A scheduled session: a 1:1 coffee call or a roundtable (12 by default, up to 50)."""

    room_id: RoomId
    kind: RoomKind
    capacity: int = Field(ge=MIN_CAPACITY, le=MAX_CAPACITY)
    duration_s: int = Field(gt=0, le=MAX_DURATION_S)
    created_at: float
    expires_at: float
    title: str = Field(default="", max_length=200)
    parent: RoomId | None = None  # a breakout's pair room: the roundtable it belongs to

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind is RoomKind.COFFEE and self.capacity != COFFEE_CAPACITY:
            raise ValueError(f"a coffee room holds exactly {COFFEE_CAPACITY} people")
        if self.expires_at <= self.created_at:
            raise ValueError("expires_at must be after created_at")
        return self

    @classmethod
    def coffee(cls, room_id: str, duration_s: int, now: float, title: str = "") -> Room:
        """A 1:1 virtual-coffee room that opens at ``now`` and lasts ``duration_s``."""
        return cls(
            room_id=room_id,
            kind=RoomKind.COFFEE,
            capacity=COFFEE_CAPACITY,
            duration_s=duration_s,
            created_at=now,
            expires_at=now + duration_s,
            title=title,
        )

    @classmethod
    def roundtable(
        cls, room_id: str, capacity: int, duration_s: int, now: float, title: str = "",
        parent: str | None = None,
    ) -> Room:
        """A group roundtable for ``capacity`` people (2..50, usually
        ``DEFAULT_ROUNDTABLE_CAPACITY``), host and observers included; with ``parent``
        one pair room of that roundtable's breakout."""
        return cls(
            room_id=room_id,
            kind=RoomKind.ROUNDTABLE,
            capacity=capacity,
            duration_s=duration_s,
            created_at=now,
            expires_at=now + duration_s,
            title=title,
            parent=parent,
        )

    def is_closed(self, now: float) -> bool:
        """True once the session's time is up (joins are refused from then on)."""
        return now > self.expires_at


class RoomSnapshot(WireModel):
    """A consistent view of a room and who is in it, ordered by join time."""

    room: Room
    participants: list[Participant]

    def participant(self, identity: str) -> Participant | None:
        """The participant with ``identity``, if present."""
        for p in self.participants:
            if p.identity == identity:
                return p
        return None
