"""Request and answer bodies of roundtable creation (``POST /api/rooms``, kind roundtable)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rooms.models import DEFAULT_ROUNDTABLE_CAPACITY, MAX_CAPACITY, MIN_CAPACITY, DisplayName


class Invitee(BaseModel):
    """One named person to invite: they get a link of their own."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: DisplayName
    role: Literal["co-host", "participant", "observer"] = "participant"


class CreateRoundtableRequest(BaseModel):
    """Body of ``POST /api/rooms`` with ``"kind": "roundtable"``.

    Name the people (``participants``: one link each) and/or ask for one ``shareable``
    participant link that anyone may open (each joiner gets an identity of their own).
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Literal["roundtable"]
    host_name: DisplayName
    participants: list[Invitee] = Field(default_factory=list, max_length=MAX_CAPACITY - 1)
    shareable: bool = False
    capacity: int = Field(default=DEFAULT_ROUNDTABLE_CAPACITY, ge=MIN_CAPACITY,
                          le=MAX_CAPACITY, description="people at once, host included")
    lobby: bool = Field(default=False, description="joiners wait until a host admits them")
    title: str = Field(default="", max_length=120)
    duration_minutes: int = Field(default=60, ge=5, le=240)

    @model_validator(mode="after")
    def _someone_to_invite(self) -> CreateRoundtableRequest:
        if not self.participants and not self.shareable:
            raise ValueError("name participants, ask for a shareable link, or both")
        if 1 + len(self.participants) > self.capacity:
            raise ValueError(f"the host and {len(self.participants)} participants do not "
                             f"fit a capacity of {self.capacity}")
        return self


class InviteLink(BaseModel):
    """A named person's link."""

    name: str
    role: Literal["co-host", "participant", "observer"]
    link: str


class RoundtableLinks(BaseModel):
    host: str
    participants: list[InviteLink]
    shareable: str | None = Field(description="one participant link for anyone, if asked")


class CreatedRoundtable(BaseModel):
    """Answer of ``POST /api/rooms`` for a roundtable."""

    room_id: str
    kind: Literal["roundtable"]
    title: str
    capacity: int
    lobby: bool
    expires_at: float = Field(description="epoch seconds")
    links: RoundtableLinks
