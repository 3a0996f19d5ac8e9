"""What the roundtable events tell clients: the state as docs/protocol.md shows it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from rooms.models import HOSTING_ROLES
from rooms.roundtables.model import BreakoutPlan, RoundtableState


def hosts_room(room_id: str) -> str:
    """The Socket.IO room of a roundtable's hosts and co-hosts (they get `lobby`)."""
    return f"{room_id}#hosts"


def knock_room(room_id: str, identity: str) -> str:
    """The Socket.IO room of one person knocking in a lobby (`admitted`, `denied`)."""
    return f"{room_id}#knock:{identity}"


def state_view(state: RoundtableState, now: float, room_id: str,
               present: Collection[str]) -> dict[str, Any]:
    """`roundtable_state`: what everyone let in sees (no knocks, no bans). ``roles``
    only of the people ``present`` and of the hosts and co-hosts (everyone ever let in
    would make every message grow with each guest of a shareable link)."""
    timer = None
    if state.timer is not None:
        timer = state.timer.model_dump(mode="json") | {"ends_at": state.timer.ends_at}
    return {
        "revision": state.revision,
        "server_time": now,
        "host": state.host,
        "host_away": state.host_away_since is not None,
        "roles": {identity: role.value for identity, role in state.members.items()
                  if identity in present or role in HOSTING_ROLES},
        "lobby": state.lobby,
        "locked": state.locked,
        "hands": [hand.model_dump(mode="json") for hand in state.hands],
        "called_on": state.called_on,
        "mutes": [mute.model_dump(mode="json") for mute in state.mutes],
        "timer": timer,
        "breakout": breakout_view(room_id, state.breakout),
    }


def lobby_view(state: RoundtableState) -> dict[str, Any]:
    """`lobby`: who is knocking and who is banned (hosts and co-hosts only)."""
    return {
        "knocking": [knock.model_dump(mode="json") for knock in state.knocking],
        "banned": list(state.banned),
    }


def breakout_view(room_id: str, plan: BreakoutPlan | None) -> dict[str, Any] | None:
    """The running breakout (None: none runs): its pairs' rooms and people, its end."""
    if plan is None:
        return None
    return {"number": plan.number, "ends_at": plan.ends_at, "names": dict(plan.names),
            "pairs": [{"room_id": pair, "identities": list(group)}
        for pair, group in zip(plan.room_ids(room_id), plan.pairs, strict=True)]}
