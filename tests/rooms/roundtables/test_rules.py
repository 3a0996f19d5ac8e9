"""The pure roundtable rules fed with values: limits and corner cases."""

from __future__ import annotations

import pytest

from rooms.errors import RoomError
from rooms.models import Role, TrackKind
from rooms.roundtables import floor, rules
from rooms.roundtables.model import RoundtableState

NOW = 1_700_000_000.0


def table(**members: Role) -> RoundtableState:
    return RoundtableState(members=members)


def code_of(change: object, *args: object) -> str:
    with pytest.raises(RoomError) as info:
        change(*args)  # type: ignore[operator]
    return info.value.code


def test_a_second_host_token_makes_a_co_host_and_the_first_one_hosts() -> None:
    state = rules.enter(rules.initial(None), "h2", "Hal", Role.HOST, NOW)
    assert state.host == "h2"
    state = rules.enter(state, "h3", "Hil", Role.HOST, NOW)
    assert (state.host, state.co_hosts) == ("h2", ["h3"])
    assert rules.enter(state, "h3", "Hil", Role.HOST, NOW) is state  # nothing new


def test_the_lobby_has_a_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_KNOCKS", 2)
    state = RoundtableState(members={"h": Role.HOST}, lobby=True)
    for who in ("a", "b"):
        state = rules.enter(state, who, who, Role.PARTICIPANT, NOW)
    assert code_of(rules.enter, state, "c", "c", Role.PARTICIPANT, NOW) == "lobby_full"
    assert rules.enter(state, "a", "a", Role.PARTICIPANT, NOW) is state  # knocks once


def test_bans_have_a_limit_and_reach_the_lobby(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "MAX_BANS", 1)
    state = RoundtableState(members={"h": Role.HOST, "p": Role.PARTICIPANT}, lobby=True)
    state = rules.enter(state, "k", "Kim", Role.OBSERVER, NOW)
    state = rules.ban(state, "h", "k")  # a knocker can be banned
    assert (state.knocking, state.banned) == ([], ["k"])
    assert rules.ban(state, "h", "k") is state
    assert code_of(rules.ban, state, "h", "p") == "too_many_bans"
    assert code_of(rules.ban, state, "h", "nobody") == "unknown_participant"


def test_banning_clears_what_the_banned_held() -> None:
    state = table(h=Role.HOST, p=Role.PARTICIPANT)
    state = floor.raise_hand(state, "p", NOW)
    state = floor.mute(state, "h", "p", TrackKind.AUDIO)
    state = floor.start_timer(state, "h", "p", NOW, 60)
    state = floor.call_on(floor.raise_hand(state, "h", NOW), "h", "h", NOW)
    state = rules.ban(state, "h", "p")
    assert (state.hands, state.mutes, state.timer, state.members) == ([], [], None,
                                                                       {"h": Role.HOST})


def test_a_held_seat_stays_without_co_hosts_and_the_host_takes_it_back() -> None:
    state = table(h=Role.HOST, p=Role.PARTICIPANT)
    away = rules.left(state, "h", [("p", NOW)], NOW)
    assert away.host_away_since == NOW
    assert rules.left(away, "h", [("p", NOW)], NOW + 5) is away  # keeps the first time
    assert rules.settle_host(away, [("p", NOW)], NOW + 1e6, 60) is away
    back = rules.settle_host(away, [("p", NOW), ("h", NOW + 9)], NOW + 10, 60)
    assert (back.host, back.host_away_since) == ("h", None)


def test_observers_and_the_host_are_not_muted_by_mute_all() -> None:
    state = table(h=Role.HOST, c=Role.CO_HOST, o=Role.OBSERVER, p=Role.PARTICIPANT)
    state = floor.mute_all(state, "c", TrackKind.AUDIO, ["h", "c", "o", "p", "gone"])
    assert [(m.identity, m.kind) for m in state.mutes] == [("p", TrackKind.AUDIO)]
    assert floor.mute_all(state, "c", TrackKind.AUDIO, ["p"]) is state
