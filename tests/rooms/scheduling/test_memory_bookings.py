"""What only the in-memory booking store does: forgetting bookings past their retention."""

from __future__ import annotations

from datetime import timedelta

from rooms.clock import ManualClock
from rooms.scheduling.memory_bookings import MemoryBookingStore
from tests.rooms.builders import expect_error
from tests.rooms.scheduling.builders import booking, utc
from tests.rooms.scheduling.conftest import RETENTION_S

T = utc(2024, 3, 4, 10)


async def test_bookings_are_forgotten_after_retention(clock: ManualClock) -> None:
    store = MemoryBookingStore(clock, retention_s=RETENTION_S)
    await store.create(booking("b1", T))
    await store.create(booking("b2", T + timedelta(hours=2)))
    clock.set((T + timedelta(minutes=30)).timestamp() + RETENTION_S)
    assert (await store.get("b1")).booking_id == "b1"  # last instant of retention
    clock.advance(1)
    await expect_error("booking_not_found", store.get("b1"))
    assert [b.booking_id for b in await store.bookings_for("mentor", T, T + timedelta(
        days=1))] == ["b2"]
    clock.advance(3 * 3600)
    assert store.purge_expired() == 1
    await expect_error("booking_not_found", store.get("b2"))
