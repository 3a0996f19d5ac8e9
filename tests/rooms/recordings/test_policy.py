"""Who may start a recording: the record grant, hosts in roundtables, the mentor (or
either participant where the room allows it) in coffee rooms."""

from __future__ import annotations

import pytest

from rooms.errors import RoomError
from rooms.models import Role, RoomKind
from rooms.recordings.policy import (
    CoffeeRecorders,
    RecordingPolicy,
    check_may_record,
    may_record,
)

EITHER = RecordingPolicy(coffee_recorders=CoffeeRecorders.EITHER)


def test_coffee_rooms_default_to_the_mentor_only() -> None:
    assert may_record(RoomKind.COFFEE, Role.MENTOR, True)
    assert not may_record(RoomKind.COFFEE, Role.MENTEE, True)
    assert may_record(RoomKind.COFFEE, Role.MENTEE, True, EITHER)
    assert may_record(RoomKind.COFFEE, Role.MENTOR, True, EITHER)


def test_roundtables_let_hosts_record() -> None:
    assert may_record(RoomKind.ROUNDTABLE, Role.HOST, True)
    assert may_record(RoomKind.ROUNDTABLE, Role.CO_HOST, True)
    for role in (Role.PARTICIPANT, Role.OBSERVER):
        assert not may_record(RoomKind.ROUNDTABLE, role, True, EITHER)


@pytest.mark.parametrize("kind,role", [(RoomKind.COFFEE, Role.MENTOR),
                                       (RoomKind.ROUNDTABLE, Role.HOST)])
def test_nobody_records_without_the_grant(kind: RoomKind, role: Role) -> None:
    assert not may_record(kind, role, False, EITHER)
    with pytest.raises(RoomError) as refused:
        check_may_record(kind, role, False, EITHER)
    assert refused.value.code == "not_allowed_to_record"
    assert "grant" in refused.value.message


def test_refusal_names_who_may() -> None:
    with pytest.raises(RoomError) as refused:
        check_may_record(RoomKind.COFFEE, Role.MENTEE, True)
    assert refused.value.code == "not_allowed_to_record"
    assert "mentor" in refused.value.message
    with pytest.raises(RoomError) as refused:
        check_may_record(RoomKind.ROUNDTABLE, Role.PARTICIPANT, True)
    assert "host" in refused.value.message
    check_may_record(RoomKind.COFFEE, Role.MENTEE, True, EITHER)  # no error
