"""Resume tokens in every RoomStore (memory and Redis): stored by the join, checked and
rotated in one step with the seat's lease, refused after the grace period or when not
the current one."""

from __future__ import annotations

import pytest

from rooms.errors import RoomError
from rooms.resume import ResumeTokens, digest, new_resume_token
from rooms.store import RoomStore
from tests.rooms.builders import START, coffee, person

LEASE_S = 10.0


async def seat(store: RoomStore, identity: str) -> str:
    """Join ``identity`` (creating the room first if needed); its resume token."""
    if await store.get_room("room-1") is None:
        await store.create_room(coffee())
    token = new_resume_token()
    await store.join("room-1", person(identity), lease_until=START + LEASE_S,
                     resume_digest=digest(token))
    return token


async def redeem(store: RoomStore, identity: str, token: str, at: float) -> str:
    return await ResumeTokens(store).redeem("room-1", identity, token, START + at,
                                            START + at + LEASE_S)


async def refused(code: str, store: RoomStore, identity: str, token: str, at: float) -> None:
    with pytest.raises(RoomError) as error:
        await redeem(store, identity, token, at)
    assert error.value.code == code


async def test_a_token_resumes_its_seat_once_and_rotates(store: RoomStore) -> None:
    first = await seat(store, "a")
    second = await redeem(store, "a", first, 1)
    assert second != first
    await refused("resume_invalid", store, "a", first, 2)  # single use: the old one is gone
    third = await redeem(store, "a", second, 3)
    assert third not in (first, second)


async def test_a_resume_extends_the_lease_so_no_sweeper_takes_the_seat(
        store: RoomStore) -> None:
    token = await seat(store, "a")
    await ResumeTokens(store).redeem("room-1", "a", token, START + LEASE_S - 1,
                                     START + 3 * LEASE_S)
    assert await store.lapsed_seats(START + 2 * LEASE_S) == []
    assert not await store.remove_lapsed("room-1", "a", START + 2 * LEASE_S)


async def test_another_identitys_token_is_refused(store: RoomStore) -> None:
    token_a = await seat(store, "a")
    await seat(store, "b")
    await refused("resume_invalid", store, "b", token_a, 1)
    await redeem(store, "a", token_a, 1)  # the refusal spent nothing: a's token still works


async def test_a_lapsed_or_removed_seat_is_expired(store: RoomStore) -> None:
    token_a = await seat(store, "a")
    token_b = await seat(store, "b")
    await refused("resume_expired", store, "a", token_a, LEASE_S)  # lapsed, not swept yet
    assert await store.remove_lapsed("room-1", "b", START + LEASE_S)
    await refused("resume_expired", store, "b", token_b, 1)
    await refused("resume_expired", store, "ghost", token_b, 1)  # never seated


async def test_a_new_join_revokes_the_old_token_and_bad_tokens_are_refused(
        store: RoomStore) -> None:
    old = await seat(store, "a")
    await seat(store, "a")  # joined again (another tab): a new token
    for bad in (old, "", "x" * 500, digest(old)):
        await refused("resume_invalid", store, "a", bad, 1)
    # a join without a digest (the store's older callers) keeps the current one
    current = await seat(store, "b")
    await store.join("room-1", person("b"), lease_until=START + LEASE_S)
    await redeem(store, "b", current, 1)


async def test_leaving_drops_the_seats_resume_digest(store: RoomStore) -> None:
    """A seat given up keeps no digest (review 2, finding 1: each shareable-link guest
    left one behind for good): a later seat of the identity joined without one is not
    resumed with the old token."""
    old = await seat(store, "a")
    await store.leave("room-1", "a")
    await store.join("room-1", person("a"), lease_until=START + LEASE_S)
    await refused("resume_invalid", store, "a", old, 1)


async def test_a_lapsed_seat_drops_its_resume_digest(store: RoomStore) -> None:
    old = await seat(store, "a")
    assert await store.remove_lapsed("room-1", "a", START + LEASE_S)
    await store.join("room-1", person("a"), lease_until=START + 2 * LEASE_S)
    await refused("resume_invalid", store, "a", old, LEASE_S + 1)
