"""Who may start and stop a recording.

Three conditions, all required:

* the token carries the ``record`` grant (:attr:`rooms.grants.JoinGrant.record`);
* in a roundtable the person is hosting (host or co-host);
* in a coffee room the person is the mentor, or either participant when the room's
  :class:`RecordingPolicy` says ``either`` (default: mentor only).

Anything else is ``not_allowed_to_record`` and nothing starts.
"""

from __future__ import annotations

from enum import StrEnum

from rooms.errors import RoomError
from rooms.models import HOSTING_ROLES, Role, RoomKind, WireModel


class CoffeeRecorders(StrEnum):
    MENTOR = "mentor"
    EITHER = "either"


class RecordingPolicy(WireModel):
    """A room's recording setting (kept by the recording store, per room)."""

    coffee_recorders: CoffeeRecorders = CoffeeRecorders.MENTOR


DEFAULT_POLICY = RecordingPolicy()


def who_may_record(kind: RoomKind, policy: RecordingPolicy = DEFAULT_POLICY) -> str:
    """The room's rule in one word, as the wire names it: ``hosts`` (a roundtable),
    ``either`` or ``mentor`` (a coffee room). The ``record`` grant is needed as well."""
    if kind is RoomKind.ROUNDTABLE:
        return "hosts"
    return policy.coffee_recorders.value


def may_record(kind: RoomKind, role: Role, record_grant: bool,
               policy: RecordingPolicy = DEFAULT_POLICY) -> bool:
    """Whether someone with ``role`` (and the grant or not) may start or stop recording."""
    if not record_grant:
        return False
    if kind is RoomKind.ROUNDTABLE:
        return role in HOSTING_ROLES
    if role is Role.MENTOR:
        return True
    return role is Role.MENTEE and policy.coffee_recorders is CoffeeRecorders.EITHER


def check_may_record(kind: RoomKind, role: Role, record_grant: bool,
                     policy: RecordingPolicy = DEFAULT_POLICY) -> None:
    """:func:`may_record`, or RoomError ``not_allowed_to_record`` with the reason."""
    if not record_grant:
        raise RoomError("not_allowed_to_record",
                        "Your link does not allow recording (no record grant).")
    if not may_record(kind, role, record_grant, policy):
        who = ("a host or co-host" if kind is RoomKind.ROUNDTABLE
               else "the mentor" if policy.coffee_recorders is CoffeeRecorders.MENTOR
               else "a participant")
        raise RoomError("not_allowed_to_record", f"Only {who} can record in this room.")
