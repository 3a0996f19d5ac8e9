"""The notes store contract, run against the in-memory and the Redis store."""

from __future__ import annotations

import time

import pytest

from rooms.errors import RoomError
from rooms.notes.model import ActionItem, SessionContext
from rooms.notes.store import NotesStore

DOC = "coffee-abc-0"


async def test_append_and_read_from_offsets(notes_store: NotesStore) -> None:
    assert await notes_store.append(DOC, b"one", 1024) == 1
    assert await notes_store.append(DOC, b"two", 1024) == 2
    read = await notes_store.read(DOC, 0)
    assert (read.snapshot, read.updates, read.end) == (None, [b"one", b"two"], 2)
    read = await notes_store.read(DOC, 1)
    assert (read.snapshot, read.updates, read.end) == (None, [b"two"], 2)
    assert (await notes_store.stats(DOC)).size == 6


async def test_compaction_keeps_later_offsets_and_restarts_old_readers(
        notes_store: NotesStore) -> None:
    for part in (b"a", b"bb", b"ccc"):
        await notes_store.append(DOC, part, 1024)
    await notes_store.compact(DOC, b"SNAP", 2)
    stats = await notes_store.stats(DOC)
    assert (stats.updates, stats.size) == (1, 4 + 3)
    old = await notes_store.read(DOC, 1)
    assert (old.snapshot, old.updates, old.end) == (b"SNAP", [b"ccc"], 3)
    fresh = await notes_store.read(DOC, 0)
    assert (fresh.snapshot, fresh.updates, fresh.end) == (b"SNAP", [b"ccc"], 3)
    current = await notes_store.read(DOC, 2)
    assert (current.snapshot, current.updates, current.end) == (None, [b"ccc"], 3)
    assert await notes_store.append(DOC, b"d", 1024) == 4
    await notes_store.compact(DOC, b"OLDER", 1)  # someone compacted past this already
    assert (await notes_store.read(DOC, 0)).snapshot == b"SNAP"


async def test_cap_refuses_and_stores_nothing(notes_store: NotesStore) -> None:
    await notes_store.append(DOC, b"x" * 1000, 1024)
    with pytest.raises(RoomError) as refused:
        await notes_store.append(DOC, b"y" * 25, 1024)
    assert refused.value.code == "notes_too_large"
    read = await notes_store.read(DOC, 0)
    assert read.updates == [b"x" * 1000] and read.end == 1


async def test_only_if_empty(notes_store: NotesStore) -> None:
    assert await notes_store.append(DOC, b"seed", 1024, only_if_empty=True) == 1
    assert await notes_store.append(DOC, b"again", 1024, only_if_empty=True) is None
    assert (await notes_store.read(DOC, 0)).updates == [b"seed"]


async def test_documents_are_separate(notes_store: NotesStore) -> None:
    await notes_store.append(DOC, b"shared", 1024)
    await notes_store.append(f"{DOC}/alice", b"mine", 1024)
    assert (await notes_store.read(f"{DOC}/alice", 0)).updates == [b"mine"]
    assert (await notes_store.read(f"{DOC}/bob", 0)).updates == []


async def test_item_index(notes_store: NotesStore) -> None:
    first = ActionItem(id="i1", text="read the book", owner="mentee", due="2026-12-01")
    second = ActionItem(id="i2", text="send the CV", owner="mentee")
    await notes_store.upsert_items("pair:a+b", [first, second])
    await notes_store.upsert_items("pair:a+b", [first.model_copy(update={"text": "read it"})])
    items = await notes_store.items("pair:a+b")
    assert [i.id for i in items] == ["i1", "i2"] and items[0].text == "read it"
    closed = await notes_store.set_item_done("pair:a+b", "i2", True)
    assert closed.done and closed.text == "send the CV"
    assert [i.done for i in await notes_store.items("pair:a+b")] == [False, True]
    assert await notes_store.items("pair:a+c") == []
    with pytest.raises(RoomError) as missing:
        await notes_store.set_item_done("pair:a+b", "nope", True)
    assert missing.value.code == "item_not_found"


async def test_contexts_and_members(notes_store: NotesStore) -> None:
    context = SessionContext(room_id="coffee-x-0", scope="pair:a+b", people=("a", "b"))
    await notes_store.put_context(context)
    assert await notes_store.context("coffee-x-0") == context
    assert await notes_store.context("coffee-y-0") is None
    assert await notes_store.members("pair:a+b") == {"a", "b"}


async def test_a_persons_scopes(notes_store: NotesStore) -> None:
    await notes_store.put_context(SessionContext(
        room_id="coffee-x-0", scope="pair:a+b", people=("a", "b"), title="Coffee"))
    await notes_store.put_context(SessionContext(
        room_id="round-y-0", scope="series:s1", people=("a", "c"), title="Design club"))
    await notes_store.put_context(SessionContext(
        room_id="round-y-1", scope="series:s1", people=("a", "c"), title="Design club #2"))
    assert await notes_store.scopes_of("a") == {"pair:a+b": "Coffee",
                                                "series:s1": "Design club #2"}
    assert await notes_store.scopes_of("c") == {"series:s1": "Design club #2"}
    assert await notes_store.scopes_of("nobody") == {}


async def test_removing_items(notes_store: NotesStore) -> None:
    await notes_store.upsert_items("pair:a+b", [ActionItem(id=f"i{n}") for n in range(4)])
    await notes_store.remove_items("pair:a+b", ["i1", "i3", "never"])
    assert [i.id for i in await notes_store.items("pair:a+b")] == ["i0", "i2"]
    await notes_store.upsert_items("pair:a+b", [ActionItem(id="i1")])  # back: last in order
    assert [i.id for i in await notes_store.items("pair:a+b")] == ["i0", "i2", "i1"]


async def test_awareness_speakers(notes_store: NotesStore) -> None:
    assert await notes_store.claim_awareness(DOC, [7, 8], "ada", "sid-a1")
    assert await notes_store.claim_awareness(DOC, [7], "ada", "sid-a1")  # again: fine
    # Grace may not speak for one of Ada's ids: all or nothing
    assert not await notes_store.claim_awareness(DOC, [9, 8], "grace", "sid-g1")
    assert await notes_store.claim_awareness(DOC, [9], "grace", "sid-g1")
    assert await notes_store.claim_awareness(f"{DOC}/grace", [7], "grace", "sid-g1")
    # Ada's new connection takes 7 over; the old one letting go leaves it alone
    assert await notes_store.claim_awareness(DOC, [7], "ada", "sid-a2")
    assert await notes_store.release_awareness(DOC, [7, 8, 9], "sid-a1") == [8]
    assert not await notes_store.claim_awareness(DOC, [7], "grace", "sid-g1")
    assert await notes_store.claim_awareness(DOC, [8], "grace", "sid-g1")  # free again
    assert await notes_store.release_awareness(DOC, [7, 7], "sid-a2") == [7]
    assert await notes_store.claim_awareness(DOC, [7], "grace", "sid-g1")
    assert await notes_store.release_awareness(DOC, [], "sid-g1") == []


async def test_a_document_goes_when_its_expiry_passes(notes_store: NotesStore) -> None:
    """A guest's private notes carry an expiry (the room's end): once it passed, the
    document is gone in both stores; a later expiry or none keeps a document."""
    now = time.time()
    assert await notes_store.append("guest-gone", b"bye", 1024, expires_at=now - 1) == 1
    assert await notes_store.append("guest-later", b"stay", 1024,
                                    expires_at=now + 3600) == 1
    assert await notes_store.append(DOC, b"keep", 1024) == 1
    gone = await notes_store.read("guest-gone", 0)
    assert (gone.snapshot, gone.updates, gone.end) == (None, [], 0)
    assert (await notes_store.stats("guest-gone")).size == 0
    assert (await notes_store.read("guest-later", 0)).updates == [b"stay"]
    assert (await notes_store.read(DOC, 0)).updates == [b"keep"]
    # written again after its expiry: a fresh document
    assert await notes_store.append("moved-on", b"a", 1024, expires_at=now - 1) == 1
    assert await notes_store.append("moved-on", b"b", 1024, expires_at=now + 3600) == 1
    assert (await notes_store.read("moved-on", 0)).updates == [b"b"]
