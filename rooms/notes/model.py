"""Values of the notes capability: which document, action items, session contexts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from rooms.models import Identity, RoomId, WireModel

ItemId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
DEFAULT_MAX_DOC_BYTES = 1024 * 1024
MAX_ITEM_TEXT = 2000
PAIR_PREFIX, SERIES_PREFIX = "pair:", "series:"  # scopes of action items


class DocName(StrEnum):
    """The two documents a participant of a session reaches."""

    SHARED = "shared"  # one per session: everyone in the room reads it, writers write
    PRIVATE = "private"  # one per (session, participant): only its owner


@dataclass(frozen=True)
class DocKey:
    """One stored document: a session's shared one, or a participant's private one."""

    room_id: str
    owner: str | None = None  # the participant of a private document

    @classmethod
    def of(cls, room_id: str, name: DocName, identity: str) -> DocKey:
        return cls(room_id, identity if name is DocName.PRIVATE else None)

    @property
    def name(self) -> DocName:
        return DocName.SHARED if self.owner is None else DocName.PRIVATE

    def storage_id(self) -> str:
        """A string naming this document in a store (room ids and identities hold no '/')."""
        return self.room_id if self.owner is None else f"{self.room_id}/{self.owner}"


class ActionItem(WireModel):
    """A checklist entry with an owner and an optional due date (ISO date text)."""

    id: ItemId
    text: str = Field(default="", max_length=MAX_ITEM_TEXT)
    owner: str = Field(default="", max_length=128)
    due: str | None = Field(default=None, max_length=32)
    done: bool = False
    created_in: str = Field(default="", max_length=128)  # the room it was made in


class SessionContext(WireModel):
    """What a booked room belongs to: the scope its action items are listed under
    (``pair:<a>+<b>`` for a 1:1 pair, ``series:<id>`` for a roundtable series,
    ``booking:<id>`` for a one-off roundtable) and the people in it."""

    room_id: RoomId
    scope: str = Field(min_length=1, max_length=300)
    people: tuple[Identity, ...]
    title: str = ""
    ends_at: float = 0.0  # epoch seconds: after it, only participants and admins read
    booking_id: str | None = Field(default=None, max_length=128,
                                   description="the booking whose room this is")


class ScopeItems(WireModel):
    """Open action items of one pair or series, as a person's /schedule lists them."""

    scope: str
    kind: Literal["pair", "series"]
    other: str | None = Field(default=None, description="a pair's other person")
    series_id: str | None = Field(default=None, description="a series' id")
    title: str = Field(default="", description="the title of the scope's latest session")
    items: tuple[ActionItem, ...]


def pair_scope(a: str, b: str) -> str:
    """The scope of a mentoring pair, whoever booked."""
    first, second = sorted((a, b))
    return f"{PAIR_PREFIX}{first}+{second}"


def series_scope(series_id: str) -> str:
    return f"{SERIES_PREFIX}{series_id}"


@dataclass(frozen=True)
class NotesLimits:
    """Size cap per document and when the update log is folded into a snapshot."""

    max_doc_bytes: int = DEFAULT_MAX_DOC_BYTES
    compact_every_updates: int = 200
    compact_every_bytes: int = 256 * 1024

    def __post_init__(self) -> None:
        if self.max_doc_bytes < 1024 or self.compact_every_updates < 1 \
                or self.compact_every_bytes < 1:
            raise ValueError("max_doc_bytes >= 1024 and positive compaction thresholds")
