"""The state of one roundtable: who runs it, who may come in, and who has the floor.

A :class:`RoundtableState` is an immutable value; every change makes a new one (see
:mod:`rooms.roundtables.rules`), and a store swaps it in as one atomic step. ``members``
is authoritative for roles: a token's role only counts the first time its identity comes
in, so a demoted co-host who reconnects with the old token stays a participant.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from rooms.models import (
    HOSTING_ROLES,
    DisplayName,
    Identity,
    Role,
    TrackKind,
    WireModel,
)

MAX_KNOCKS = 200  # people waiting in the lobby at once
MAX_BANS = 500
MAX_TIMER_S = 3600
MAX_PAIRS = 25
MIN_GROUP = 2  # a pair
MAX_GROUP = 3  # a pair with the odd one out


class Knock(WireModel):
    """Someone waiting in the lobby, with the role their token gave them."""

    identity: Identity
    display_name: DisplayName
    role: Role
    knocked_at: float
    guest: bool = False  # came through the shareable link (admitting them counts them)


class Hand(WireModel):
    """A raised hand; the queue is ordered by raising."""

    identity: Identity
    raised_at: float


class HardMute(WireModel):
    """A host's mute of one kind of track of one participant: only a host lifts it."""

    identity: Identity
    kind: TrackKind


class SpeakingTimer(WireModel):
    """A time box for one speaker: ``seconds`` from ``started_at`` (epoch seconds)."""

    identity: Identity
    started_at: float
    seconds: int = Field(ge=1, le=MAX_TIMER_S)

    @property
    def ends_at(self) -> float:
        return self.started_at + self.seconds


class BreakoutPlan(WireModel):
    """Pair breakout ("speed mentoring"): who is with whom until ``ends_at``.

    Each group (a pair, or a trio for an odd one out) meets in a room of its own,
    :func:`pair_room_id` of the roundtable's id, ``number`` and the group's place (1..).
    ``number`` counts the roundtable's breakouts, so a new breakout never reuses the
    rooms (or the tokens) of an earlier one.
    """

    number: int = Field(default=1, ge=1)
    pairs: list[tuple[Identity, ...]] = Field(max_length=MAX_PAIRS)
    ends_at: float
    names: dict[Identity, DisplayName] = Field(default_factory=dict)  # of those present

    @model_validator(mode="after")
    def _distinct(self) -> BreakoutPlan:
        people = [identity for pair in self.pairs for identity in pair]
        if len(people) != len(set(people)):
            raise ValueError("each participant is in at most one pair, never with themself")
        if any(not MIN_GROUP <= len(pair) <= MAX_GROUP for pair in self.pairs):
            raise ValueError(f"a group has {MIN_GROUP} or {MAX_GROUP} people")
        return self

    def room_ids(self, parent: str) -> list[str]:
        """The rooms of the groups, in the order of ``pairs``."""
        return [pair_room_id(parent, self.number, k) for k in range(1, len(self.pairs) + 1)]

    def group_of_room(self, parent: str, room_id: str) -> tuple[str, ...] | None:
        """The people of the pair room ``room_id`` (None: not one of this plan's rooms)."""
        rooms = self.room_ids(parent)
        return self.pairs[rooms.index(room_id)] if room_id in rooms else None

    def room_of(self, parent: str, identity: str) -> str | None:
        """The pair room of ``identity`` (None: not paired)."""
        for room_id, pair in zip(self.room_ids(parent), self.pairs, strict=True):
            if identity in pair:
                return room_id
        return None


def pair_room_id(parent: str, number: int, k: int) -> str:
    """The id of pair room ``k`` of breakout ``number`` of roundtable ``parent``
    (``<parent>_b<number>-<k>``: still a room id, as long as ``parent`` leaves room)."""
    return f"{pair_room_prefix(parent, number)}{k}"


def pair_room_prefix(parent: str, number: int) -> str:
    """What the ids of every pair room of breakout ``number`` start with (and no other)."""
    return f"{parent}_b{number}-"


class RoundtableState(WireModel):
    """Everything the server enforces in one roundtable (``revision`` counts the writes)."""

    revision: int = 0
    members: dict[Identity, Role] = Field(default_factory=dict)  # everyone let in
    host_away_since: float | None = None  # the host dropped and nobody took over yet
    lobby: bool = False
    locked: bool = False
    knocking: list[Knock] = Field(default_factory=list)
    banned: list[Identity] = Field(default_factory=list)
    mutes: list[HardMute] = Field(default_factory=list)
    hands: list[Hand] = Field(default_factory=list)
    called_on: Identity | None = None
    timer: SpeakingTimer | None = None
    breakout: BreakoutPlan | None = None
    breakouts_run: int = 0  # how many breakouts were started (numbers the next one)
    # identities minted by the shareable link that took a seat (see rules.seat_guest)
    guests: list[Identity] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _drop_redemption_count(cls, data: Any) -> Any:
        """States stored before guests were counted by seat counted redemptions
        (``shared_guests``): that count is dropped, not carried over."""
        if isinstance(data, dict) and "shared_guests" in data:
            return {k: v for k, v in data.items() if k != "shared_guests"}
        return data

    @property
    def host(self) -> str | None:
        """The identity of the host, if there is one."""
        return next((i for i, role in self.members.items() if role is Role.HOST), None)

    @property
    def co_hosts(self) -> list[str]:
        return [i for i, role in self.members.items() if role is Role.CO_HOST]

    def role_of(self, identity: str) -> Role | None:
        """The identity's role here, or None if it was never let in."""
        return self.members.get(identity)

    def is_hosting(self, identity: str) -> bool:
        """True for the host and the co-hosts."""
        return self.members.get(identity) in HOSTING_ROLES

    def is_banned(self, identity: str) -> bool:
        return identity in self.banned

    def knock_of(self, identity: str) -> Knock | None:
        return next((k for k in self.knocking if k.identity == identity), None)

    def hand_queue(self) -> list[str]:
        """Identities with a raised hand, first raised first."""
        return [h.identity for h in self.hands]

    def is_muted(self, identity: str, kind: TrackKind) -> bool:
        """Whether a host hard-muted this kind of the identity's tracks."""
        return HardMute(identity=identity, kind=kind) in self.mutes
