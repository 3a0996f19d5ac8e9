"""Pydantic models for the roundtable events (docs/protocol.md, Roundtables).

No payload names the actor: it is always the connection's joined participant.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .payloads import MAX_ID_CHARS, Payload

Identity = str
Kind = Literal["audio", "video"]


class TargetPayload(Payload):
    """`promote`, `demote`, `hand_over`, `admit`, `deny`, `remove`: whom it is about."""

    identity: Identity = Field(min_length=1, max_length=MAX_ID_CHARS)


class LobbyPayload(Payload):
    """`set_lobby`: turn the lobby on or off."""

    on: bool


class LockPayload(Payload):
    """`set_locked`: lock or unlock the room."""

    locked: bool


class HardMutePayload(Payload):
    """`hard_mute`: a host stops (or resumes) forwarding one kind of someone's media."""

    identity: Identity = Field(min_length=1, max_length=MAX_ID_CHARS)
    kind: Kind
    muted: bool


class MuteAllPayload(Payload):
    """`mute_all`: hard-mute one kind of every participant present."""

    kind: Kind


class NoFieldsPayload(Payload):
    """`end_room`, `raise_hand`, `stop_timer`: no fields."""


class LowerHandPayload(Payload):
    """`lower_hand`: your own hand (no field) or, for hosts, someone else's."""

    identity: Identity | None = Field(default=None, min_length=1, max_length=MAX_ID_CHARS)


class CallOnPayload(Payload):
    """`call_on`: give the floor to a raised hand, optionally with a speaking time."""

    identity: Identity = Field(min_length=1, max_length=MAX_ID_CHARS)
    seconds: int | None = None  # outside 1 s .. MAX_TIMER_S: `invalid_timer`


class TimerPayload(Payload):
    """`start_timer`: a speaking time box for ``identity``."""

    identity: Identity = Field(min_length=1, max_length=MAX_ID_CHARS)
    seconds: int  # outside 1 s .. MAX_TIMER_S: `invalid_timer`


class StartBreakoutPayload(Payload):
    """`start_breakout`: ``minutes`` (more than 0, up to 120), and optionally the
    ``pairs`` (each 2 or 3 participants' identities); without them the server pairs."""

    minutes: float
    pairs: list[list[Identity]] | None = Field(default=None, max_length=25)


class VisitBreakoutPayload(Payload):
    """`visit_breakout`: the pair room a host wants to visit."""

    room_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
