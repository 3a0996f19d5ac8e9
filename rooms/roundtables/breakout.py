"""Pair breakout ("speed mentoring"): pure changes of a :class:`RoundtableState`.

Same conventions as :mod:`rooms.roundtables.rules`: a new state, the same object when
nothing changes, or a :class:`~rooms.errors.RoomError` and nothing changed.

Who is paired: participants (not hosts, co-hosts or observers, never a banned identity).
The roundtable's roles have no mentor/mentee distinction: its host and co-hosts are the
mentors, and they stay in the main room to visit the pairs. So without explicit pairs the
people present pair in the order they joined; an odd one out joins the last pair (a trio),
so nobody waits alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rooms.errors import RoomError
from rooms.models import HOSTING_ROLES, Role
from rooms.roundtables.model import MAX_GROUP, MIN_GROUP, BreakoutPlan, RoundtableState
from rooms.roundtables.rules import require_hosting

Group = tuple[str, ...]


def pairable(state: RoundtableState, identity: str) -> bool:
    """Whether ``identity`` can be sent to a pair: a participant, not banned."""
    return state.role_of(identity) is Role.PARTICIPANT and not state.is_banned(identity)


def make_pairs(people: Sequence[str]) -> list[Group]:
    """``people`` two by two in order; an odd one out joins the last pair."""
    pairs: list[Group] = [tuple(people[k:k + 2]) for k in range(0, len(people) - 1, 2)]
    if len(people) % 2 == 1 and pairs:
        pairs[-1] = (*pairs[-1], people[-1])
    return pairs


def start(state: RoundtableState, actor: str, groups: Sequence[Sequence[str]] | None,
          present: Mapping[str, str], ends_at: float, now: float) -> RoundtableState:
    """A host starts breakout number ``breakouts_run + 1`` until ``ends_at``: ``groups``
    as given (each 2 or 3 participants), or the participants ``present`` (identity ->
    display name, in the order they joined) paired by :func:`make_pairs`.
    ``breakout_running`` while one runs, ``invalid_breakout`` for groups that are not
    distinct participants or for nobody to pair."""
    require_hosting(state, actor)
    if state.breakout is not None:
        raise RoomError("breakout_running")
    if ends_at <= now:
        raise RoomError("invalid_breakout", "A breakout must last a while.")
    if groups is None:
        chosen = make_pairs([i for i in present if pairable(state, i)])
        if not chosen:
            raise RoomError("invalid_breakout", "A breakout needs two participants here.")
    else:
        chosen = [tuple(group) for group in groups]
        if not chosen or any(not MIN_GROUP <= len(g) <= MAX_GROUP for g in chosen) or any(
                not pairable(state, i) for g in chosen for i in g):
            raise RoomError("invalid_breakout")
    try:
        names = {i: present[i] for g in chosen for i in g if i in present}
        plan = BreakoutPlan(number=state.breakouts_run + 1, pairs=chosen, ends_at=ends_at,
                            names=names)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise RoomError("invalid_breakout") from exc
    return state.model_copy(update={"breakout": plan, "breakouts_run": plan.number})


def end(state: RoundtableState, actor: str | None, now: float,
        number: int | None = None) -> RoundtableState:
    """The breakout ends: a host calls everyone back (``actor``), or its time is over
    (``actor`` None: the server). With ``number``, only that breakout (an old timer does
    not end a newer one). Idempotent. A host away visiting a pair gets a fresh grace
    period from ``now`` to come back before hosting passes on."""
    if actor is not None:
        require_hosting(state, actor)
    plan = state.breakout
    if plan is None or (number is not None and plan.number != number):
        return state
    away = None if state.host_away_since is None else now
    return state.model_copy(update={"breakout": None, "host_away_since": away})


def pair_state(parent: RoundtableState, group: Group) -> RoundtableState:
    """The state of a pair room: the group and the roundtable's hosts (who may visit),
    locked to everyone else, with the roundtable's bans and the group's hard mutes."""
    members = {i: r for i, r in parent.members.items() if r in HOSTING_ROLES}
    members.update({i: parent.members[i] for i in group if i in parent.members})
    return RoundtableState(
        members=members, locked=True, banned=list(parent.banned),
        mutes=[m for m in parent.mutes if m.identity in members])
