"""Who may come in and who runs the room: pure changes of a :class:`RoundtableState`.

Each function takes the current state and returns the next one, or raises
:class:`~rooms.errors.RoomError` and changes nothing. None does I/O, so a store can run it
inside its atomic step (and run it again after losing a compare-and-set race). A
function that finds nothing to do returns the state it was given (``is`` the same
object), so the store can skip the write.
"""

from __future__ import annotations

from collections.abc import Sequence

from rooms.errors import RoomError
from rooms.models import HOSTING_ROLES, Role
from rooms.roundtables.model import MAX_BANS, MAX_KNOCKS, Knock, RoundtableState

GUEST_ROLES = frozenset({Role.PARTICIPANT, Role.OBSERVER})  # not promoted (yet)

# (identity, joined_at) of the people in the room, as the room store reports them.
Presence = Sequence[tuple[str, float]]


def require_hosting(state: RoundtableState, actor: str) -> Role:
    """The actor's role if it is host or co-host; ``not_host`` otherwise."""
    role = state.role_of(actor)
    if role not in HOSTING_ROLES:
        raise RoomError("not_host")
    assert role is not None
    return role


def require_host(state: RoundtableState, actor: str, what: str) -> None:
    """``not_host`` unless the actor is *the* host (``what``: the action, for the message)."""
    if state.role_of(actor) is not Role.HOST:
        raise RoomError("not_host", f"Only the host can {what}.")


def require_member(state: RoundtableState, target: str) -> Role:
    """The target's role; ``unknown_participant`` if it was never let in."""
    role = state.role_of(target)
    if role is None:
        raise RoomError("unknown_participant")
    return role


def initial(host: str | None, co_hosts: Sequence[str] = (), lobby: bool = False,
            locked: bool = False) -> RoundtableState:
    """A new roundtable run by ``host`` (None: the first host token to come in)."""
    members = {} if host is None else {host: Role.HOST}
    members.update({c: Role.CO_HOST for c in co_hosts if c != host})
    return RoundtableState(members=members, lobby=lobby, locked=locked)


def enter(state: RoundtableState, identity: str, display_name: str, token_role: Role,
          now: float, guest: bool = False) -> RoundtableState:
    """Someone coming in with a token of ``token_role``.

    Members come back in with their current role (a returning host takes the seat back).
    Host and co-host tokens always come in: a host token for a roundtable that already has
    a host makes a co-host. Others are refused while the room is locked (``room_locked``)
    and knock while the lobby is on (the result then lists them in ``knocking``; a
    shareable link's ``guest`` knocks as one). Banned identities get ``banned``.
    """
    if state.is_banned(identity):
        raise RoomError("banned")
    role = state.role_of(identity)
    if role is Role.HOST:
        return _seat_back(state) if state.host_away_since is not None else state
    if role is not None:
        return state
    if token_role in HOSTING_ROLES:
        new_role = Role.HOST if token_role is Role.HOST and state.host is None else Role.CO_HOST
        return _with_member(state, identity, new_role)
    if state.locked:
        raise RoomError("room_locked")
    if not state.lobby:
        return _with_member(state, identity, token_role)
    if state.knock_of(identity) is not None:
        return state
    if len(state.knocking) >= MAX_KNOCKS:
        raise RoomError("lobby_full")
    knock = Knock(identity=identity, display_name=display_name, role=token_role,
                  knocked_at=now, guest=guest)
    return state.model_copy(update={"knocking": [*state.knocking, knock]})


def check_guest_link(state: RoundtableState, limit: int) -> None:
    """Whether the shareable link may mint one more identity (read only): ``room_locked``
    while the room is locked (nobody new may come in), ``link_used_up`` once ``limit``
    guests took a seat (see :func:`seat_guest`). Minting spends nothing."""
    if state.locked:
        raise RoomError("room_locked")
    if len(state.guests) >= limit:
        raise RoomError("link_used_up")


def seat_guest(state: RoundtableState, identity: str, role: Role,
               limit: int) -> RoundtableState:
    """A guest of the shareable link took a seat: the first time, it counts against the
    link's ``limit`` (``link_used_up`` past it; each guest is state and notes kept until
    the room ends); later seats of the same identity count nothing. ``banned`` if the
    identity was banned meanwhile. The guest is a member afterwards."""
    if state.is_banned(identity):
        raise RoomError("banned")
    counted = identity in state.guests
    if not counted and len(state.guests) >= limit:
        raise RoomError("link_used_up")
    if counted and state.role_of(identity) is not None:
        return state
    members = state.members if state.role_of(identity) is not None else {
        **state.members, identity: role}
    guests = state.guests if counted else [*state.guests, identity]
    return state.model_copy(update={"members": members, "guests": guests})


def drop_unseated_guest(state: RoundtableState, identity: str) -> RoundtableState:
    """A guest's join was refused after they were let in (room full, link used up): their
    member entry goes unless they took a seat before (a refused join leaves nothing)."""
    if identity in state.guests or state.role_of(identity) not in GUEST_ROLES:
        return state
    return state.model_copy(
        update={"members": {i: r for i, r in state.members.items() if i != identity}})


def forget_guest(state: RoundtableState, identity: str) -> RoundtableState:
    """A guest whose first join was undone before they ever heard of their identity
    (their connection closed, the media failed): uncounted and no longer a member."""
    if identity not in state.guests and state.role_of(identity) not in GUEST_ROLES:
        return state
    members = {i: r for i, r in state.members.items()
               if i != identity or r not in GUEST_ROLES}
    return state.model_copy(update={"members": members,
                                    "guests": [g for g in state.guests if g != identity]})


def left(state: RoundtableState, identity: str, present: Presence,
         now: float) -> RoundtableState:
    """``identity`` left the room (``present``: who is still there).

    Their raised hand and any knock go. If they were the host, the co-host present the
    longest takes over (the old host becomes a co-host); with no co-host present, or
    while a breakout runs (the host visits pairs), the seat is held: ``host_away_since``
    is set and :func:`settle_host` decides later.
    """
    update: dict[str, object] = {}
    if any(h.identity == identity for h in state.hands):
        update["hands"] = [h for h in state.hands if h.identity != identity]
    if state.knock_of(identity) is not None:
        update["knocking"] = [k for k in state.knocking if k.identity != identity]
    changed = state.model_copy(update=update) if update else state
    if changed.role_of(identity) is not Role.HOST:
        return changed
    # During a breakout the host goes to visit pairs: the seat is held, not handed on.
    successor = None if changed.breakout is not None else _longest_present_co_host(
        changed, present, excluding=identity)
    if successor is not None:
        return _swap_host(changed, identity, successor)
    if changed.host_away_since is not None:
        return changed
    return changed.model_copy(update={"host_away_since": now})


def settle_host(state: RoundtableState, present: Presence, now: float,
                grace_s: float) -> RoundtableState:
    """Once the host has been away ``grace_s``, the longest-present co-host takes over.

    A host back in the room keeps the seat; with no co-host present, or while a breakout
    runs, the seat stays held.
    """
    host = state.host
    if state.host_away_since is None or host is None:
        return state
    if any(identity == host for identity, _ in present):
        return _seat_back(state)
    if state.breakout is not None or now - state.host_away_since < grace_s:
        return state
    successor = _longest_present_co_host(state, present, excluding=host)
    return state if successor is None else _swap_host(state, host, successor)


def promote(state: RoundtableState, actor: str, target: str) -> RoundtableState:
    """The host makes a participant a co-host (idempotent for a co-host)."""
    require_host(state, actor, "promote co-hosts")
    role = require_member(state, target)
    if role is Role.HOST:
        raise RoomError("target_is_host")
    if role is Role.OBSERVER:
        raise RoomError("invalid_target", "An observer cannot become a co-host.")
    return state if role is Role.CO_HOST else _with_member(state, target, Role.CO_HOST)


def demote(state: RoundtableState, actor: str, target: str) -> RoundtableState:
    """The host makes a co-host a participant again (idempotent for a participant)."""
    require_host(state, actor, "demote co-hosts")
    role = require_member(state, target)
    if role is Role.HOST:
        raise RoomError("target_is_host")
    return _with_member(state, target, Role.PARTICIPANT) if role is Role.CO_HOST else state


def hand_over(state: RoundtableState, actor: str, target: str,
              present: Presence) -> RoundtableState:
    """The host hands hosting to someone present; the old host stays as a co-host."""
    require_host(state, actor, "hand hosting over")
    role = require_member(state, target)
    if role is Role.HOST:
        return state
    if role is Role.OBSERVER:
        raise RoomError("invalid_target", "An observer cannot host.")
    if all(identity != target for identity, _ in present):
        raise RoomError("unknown_participant", "Hosting can only go to someone in the room.")
    return _swap_host(state, actor, target)


def set_lobby(state: RoundtableState, actor: str, on: bool) -> RoundtableState:
    """Turn the lobby on or off; off lets everyone waiting in."""
    require_hosting(state, actor)
    if on == state.lobby and (on or not state.knocking):
        return state
    members = dict(state.members)
    if not on:
        members.update({k.identity: k.role for k in state.knocking})
    return state.model_copy(update={"lobby": on, "members": members,
                                    "knocking": [] if not on else state.knocking})


def admit(state: RoundtableState, actor: str, target: str) -> RoundtableState:
    """Let a knocking person in with their token's role; ``not_knocking`` if they are not
    waiting (already admitted or denied: of two answers to one knock, one wins). A
    shareable link's guest counts against the link now, past its limit if need be: the
    host chose them (their seat then spends nothing more, see :func:`seat_guest`)."""
    require_hosting(state, actor)
    knock = state.knock_of(target)
    if knock is None:
        raise RoomError("not_knocking")
    admitted = _with_member(_without_knock(state, target), target, knock.role)
    if knock.guest and target not in admitted.guests:
        admitted = admitted.model_copy(update={"guests": [*admitted.guests, target]})
    return admitted


def deny(state: RoundtableState, actor: str, target: str) -> RoundtableState:
    """Turn a knocking person away (they may knock again; ban them to stop that)."""
    require_hosting(state, actor)
    if state.knock_of(target) is None:
        raise RoomError("not_knocking")
    return _without_knock(state, target)


def set_locked(state: RoundtableState, actor: str, locked: bool) -> RoundtableState:
    """Lock (nobody new comes in; members may come back) or unlock the room."""
    require_hosting(state, actor)
    return state if state.locked == locked else state.model_copy(update={"locked": locked})


def ban(state: RoundtableState, actor: str, target: str) -> RoundtableState:
    """Remove ``target`` for good: they can never come back in with any token for this
    identity. The host cannot be banned, and only the host bans a co-host."""
    actor_role = require_hosting(state, actor)
    if state.is_banned(target):
        return state
    role = state.role_of(target)
    if role is None and state.knock_of(target) is None:
        raise RoomError("unknown_participant")
    if role is Role.HOST:
        raise RoomError("target_is_host")
    if role is Role.CO_HOST and actor_role is not Role.HOST:
        raise RoomError("not_host", "Only the host can remove a co-host.")
    if len(state.banned) >= MAX_BANS:
        raise RoomError("too_many_bans")
    members = {i: r for i, r in state.members.items() if i != target}
    timer = state.timer if state.timer is None or state.timer.identity != target else None
    return _without_knock(state, target).model_copy(update={
        "banned": [*state.banned, target],
        "members": members,
        "hands": [h for h in state.hands if h.identity != target],
        "mutes": [m for m in state.mutes if m.identity != target],
        "called_on": None if state.called_on == target else state.called_on,
        "timer": timer,
    })


def _with_member(state: RoundtableState, identity: str, role: Role) -> RoundtableState:
    return state.model_copy(update={"members": {**state.members, identity: role}})


def _without_knock(state: RoundtableState, identity: str) -> RoundtableState:
    return state.model_copy(
        update={"knocking": [k for k in state.knocking if k.identity != identity]})


def _seat_back(state: RoundtableState) -> RoundtableState:
    return state.model_copy(update={"host_away_since": None})


def _swap_host(state: RoundtableState, old: str, new: str) -> RoundtableState:
    members = {**state.members, old: Role.CO_HOST, new: Role.HOST}
    return state.model_copy(update={"members": members, "host_away_since": None})


def _longest_present_co_host(state: RoundtableState, present: Presence,
                             excluding: str) -> str | None:
    co_hosts = sorted((joined_at, identity) for identity, joined_at in present
                      if identity != excluding and state.role_of(identity) is Role.CO_HOST)
    return co_hosts[0][1] if co_hosts else None
