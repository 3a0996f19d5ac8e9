"""Resume tokens in every RoomStore (memory and Redis): checked and rotated in one step
with the seat's lease, refused after the grace period or when not the current one."""

from __future__ import annotations

import pytest

from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.resume import ResumeTokens, digest
from rooms.store import RoomStore
from tests.rooms.builders import START, coffee, person

LEASE_S = 10.0


async def seated(store: RoomStore, *identities: str) -> None:
    await store.create_room(coffee())
    for identity in identities:
        await store.join("room-1", person(identity), lease_until=START + LEASE_S)


async def test_a_token_resumes_its_seat_once_and_rotates(store: RoomStore) -> None:
    await seated(store, "a")
    tokens = ResumeTokens(store)
    first = await tokens.issue("room-1", "a")
    second = await tokens.redeem("room-1", "a", first, START + 1, START + 1 + LEASE_S)
    assert second != first
    with pytest.raises(RoomError) as used:
        await tokens.redeem("room-1", "a", first, START + 2, START + 2 + LEASE_S)
    assert used.value.code == "resume_invalid"  # single use: the old one is gone
    third = await tokens.redeem("room-1", "a", second, START + 3, START + 3 + LEASE_S)
    assert third not in (first, second)


async def test_a_resume_extends_the_lease_so_no_sweeper_takes_the_seat(
        store: RoomStore, clock: ManualClock) -> None:
    await seated(store, "a")
    tokens = ResumeTokens(store)
    token = await tokens.issue("room-1", "a")
    await tokens.redeem("room-1", "a", token, START + LEASE_S - 1, START + 3 * LEASE_S)
    assert await store.lapsed_seats(START + 2 * LEASE_S) == []
    assert not await store.remove_lapsed("room-1", "a", START + 2 * LEASE_S)


async def test_another_identitys_token_is_refused(store: RoomStore) -> None:
    await seated(store, "a", "b")
    tokens = ResumeTokens(store)
    token_a = await tokens.issue("room-1", "a")
    await tokens.issue("room-1", "b")
    with pytest.raises(RoomError) as refused:
        await tokens.redeem("room-1", "b", token_a, START + 1, START + 1 + LEASE_S)
    assert refused.value.code == "resume_invalid"
    # and the refusal spent nothing: a's token still resumes a
    await tokens.redeem("room-1", "a", token_a, START + 1, START + 1 + LEASE_S)


async def test_a_lapsed_or_removed_seat_is_expired(store: RoomStore) -> None:
    await seated(store, "a", "b")
    tokens = ResumeTokens(store)
    token_a = await tokens.issue("room-1", "a")
    token_b = await tokens.issue("room-1", "b")
    with pytest.raises(RoomError) as lapsed:  # lease over, not swept yet
        await tokens.redeem("room-1", "a", token_a, START + LEASE_S, START + 2 * LEASE_S)
    assert lapsed.value.code == "resume_expired"
    assert await store.remove_lapsed("room-1", "b", START + LEASE_S)
    with pytest.raises(RoomError) as removed:
        await tokens.redeem("room-1", "b", token_b, START + 1, START + 1 + LEASE_S)
    assert removed.value.code == "resume_expired"


async def test_a_new_join_token_revokes_the_old_one_and_bad_tokens_are_refused(
        store: RoomStore) -> None:
    await seated(store, "a")
    tokens = ResumeTokens(store)
    old = await tokens.issue("room-1", "a")
    await tokens.issue("room-1", "a")  # joined again (another tab): a new token
    for bad in (old, "", "x" * 500, digest(old)):
        with pytest.raises(RoomError) as refused:
            await tokens.redeem("room-1", "a", bad, START + 1, START + 1 + LEASE_S)
        assert refused.value.code == "resume_invalid"
    await store.set_resume_digest("room-1", "ghost", digest("t"))  # no seat: nothing kept
    with pytest.raises(RoomError) as ghost:
        await tokens.redeem("room-1", "ghost", "t", START + 1, START + 1 + LEASE_S)
    assert ghost.value.code == "resume_expired"
