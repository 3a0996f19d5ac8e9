"""Who has the floor: hard mutes, raised hands, the speaking timer and the breakout plan.

Pure changes of a :class:`RoundtableState`, like :mod:`rooms.roundtables.rules` (same
conventions: a new state, the same object when nothing changes, or a RoomError).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rooms.errors import RoomError
from rooms.models import Role, TrackKind
from rooms.roundtables.model import (
    MAX_TIMER_S,
    BreakoutPlan,
    Hand,
    HardMute,
    RoundtableState,
    SpeakingTimer,
)
from rooms.roundtables.rules import require_hosting, require_member


def mute(state: RoundtableState, actor: str, target: str, kind: TrackKind) -> RoundtableState:
    """A host hard-mutes one kind of the target's tracks (idempotent); never the host."""
    require_hosting(state, actor)
    if require_member(state, target) is Role.HOST:
        raise RoomError("target_is_host")
    entry = HardMute(identity=target, kind=kind)
    if entry in state.mutes:
        return state
    return state.model_copy(update={"mutes": [*state.mutes, entry]})


def unmute(state: RoundtableState, actor: str, target: str,
           kind: TrackKind) -> RoundtableState:
    """A host lifts a hard mute (idempotent). The muted person cannot: ``not_host``."""
    require_hosting(state, actor)
    entry = HardMute(identity=target, kind=kind)
    if entry not in state.mutes:
        return state
    return state.model_copy(update={"mutes": [m for m in state.mutes if m != entry]})


def mute_all(state: RoundtableState, actor: str, kind: TrackKind,
             present: Iterable[str]) -> RoundtableState:
    """Hard-mute ``kind`` for every participant present (hosts, co-hosts and observers
    are left alone)."""
    require_hosting(state, actor)
    new = [HardMute(identity=i, kind=kind) for i in present
           if state.role_of(i) is Role.PARTICIPANT]
    added = [m for m in new if m not in state.mutes]
    return state.model_copy(update={"mutes": [*state.mutes, *added]}) if added else state


def raise_hand(state: RoundtableState, actor: str, now: float) -> RoundtableState:
    """Put the actor's hand up at the end of the queue (idempotent: keeps its place)."""
    require_member(state, actor)
    if any(h.identity == actor for h in state.hands):
        return state
    return state.model_copy(update={"hands": [*state.hands, Hand(identity=actor,
                                                                   raised_at=now)]})


def lower_hand(state: RoundtableState, actor: str, target: str) -> RoundtableState:
    """Take a hand down: one's own, or anyone's for a host (idempotent)."""
    if actor != target:
        require_hosting(state, actor)
    if all(h.identity != target for h in state.hands):
        return state
    return state.model_copy(update={"hands": [h for h in state.hands if h.identity != target]})


def call_on(state: RoundtableState, actor: str, target: str, now: float,
            seconds: int | None = None) -> RoundtableState:
    """A host gives the floor to a raised hand: the hand goes down, ``called_on`` names the
    speaker, and with ``seconds`` their speaking timer starts."""
    require_hosting(state, actor)
    if all(h.identity != target for h in state.hands):
        raise RoomError("hand_not_raised")
    timer = state.timer if seconds is None else _timer(target, now, seconds)
    return state.model_copy(update={
        "hands": [h for h in state.hands if h.identity != target],
        "called_on": target,
        "timer": timer,
    })


def start_timer(state: RoundtableState, actor: str, target: str, now: float,
                seconds: int) -> RoundtableState:
    """A host gives ``target`` a time box of ``seconds`` starting now (replacing any)."""
    require_hosting(state, actor)
    require_member(state, target)
    return state.model_copy(update={"timer": _timer(target, now, seconds)})


def stop_timer(state: RoundtableState, actor: str) -> RoundtableState:
    """A host clears the speaking timer (idempotent)."""
    require_hosting(state, actor)
    return state if state.timer is None else state.model_copy(update={"timer": None})


def set_breakout(state: RoundtableState, actor: str, pairs: Sequence[tuple[str, str]],
                 ends_at: float, now: float) -> RoundtableState:
    """A host stores the pair-breakout plan (members in distinct pairs, ending later)."""
    require_hosting(state, actor)
    people = [identity for pair in pairs for identity in pair]
    if (not pairs or ends_at <= now or any(len(p) != 2 for p in pairs)
            or any(state.role_of(i) is None for i in people)):
        raise RoomError("invalid_breakout")
    try:
        plan = BreakoutPlan(pairs=[(p[0], p[1]) for p in pairs], ends_at=ends_at)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise RoomError("invalid_breakout") from exc
    return state.model_copy(update={"breakout": plan})


def clear_breakout(state: RoundtableState, actor: str) -> RoundtableState:
    """A host drops the breakout plan (idempotent)."""
    require_hosting(state, actor)
    return state if state.breakout is None else state.model_copy(update={"breakout": None})


def _timer(target: str, now: float, seconds: int) -> SpeakingTimer:
    if not 1 <= seconds <= MAX_TIMER_S:
        raise RoomError("invalid_timer")
    return SpeakingTimer(identity=target, started_at=now, seconds=seconds)
