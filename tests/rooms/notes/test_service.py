"""NotesService: updates applied and logged, bad ones refused with the document intact,
the size cap, two processes on one log, restarts, and action items across sessions."""

from __future__ import annotations

import pytest
from pycrdt import Array, Doc, Map, Text

from rooms.errors import RoomError
from rooms.notes.documents import InvalidUpdate
from rooms.notes.model import DocKey, NotesLimits, SessionContext
from rooms.notes.service import NotesService
from rooms.notes.store import NotesStore

ROOM = "coffee-abc-0"
SHARED = DocKey(ROOM)


def typed(doc: Doc, text: str) -> bytes:
    """An update appending ``text`` to the document's notes."""
    before = doc.get_state()
    doc.get("notes", type=Text).__iadd__(text)
    return doc.get_update(before)


async def test_updates_apply_and_late_joiner_gets_everything(notes_store: NotesStore) -> None:
    service = NotesService(notes_store)
    client: Doc = Doc()
    await service.apply(SHARED, typed(client, "hello "))
    await service.apply(SHARED, typed(client, "world"))
    late: Doc = Doc()
    step2, server_vector = await service.sync(SHARED, late.get_state())
    late.apply_update(step2)
    assert str(late.get("notes", type=Text)) == "hello world"
    assert client.get_update(server_vector) == b"\x00\x00"  # the server lacks nothing


async def test_bad_updates_leave_the_document_intact(notes_store: NotesStore) -> None:
    service = NotesService(notes_store)
    client: Doc = Doc()
    good = typed(client, "kept")
    await service.apply(SHARED, good)
    for bad in (b"", b"\x05\x07garbage", good[:-3], bytes(reversed(good))):
        with pytest.raises(InvalidUpdate):
            await service.apply(SHARED, bad)
    with pytest.raises(InvalidUpdate):
        await service.sync(SHARED, b"\xff\xff\xff")
    assert await service.text(SHARED) == "kept"
    assert (await notes_store.stats(SHARED.storage_id())).updates == 1


async def test_cap_refuses_and_keeps_content(notes_store: NotesStore) -> None:
    service = NotesService(notes_store, NotesLimits(max_doc_bytes=2048))
    client: Doc = Doc()
    await service.apply(SHARED, typed(client, "a" * 1500))
    with pytest.raises(RoomError) as refused:
        await service.apply(SHARED, typed(client, "b" * 1000))
    assert refused.value.code == "notes_too_large"
    assert await service.text(SHARED) == "a" * 1500
    restarted = NotesService(notes_store)
    assert await restarted.text(SHARED) == "a" * 1500


async def test_two_processes_on_one_store_converge_through_compaction(
        notes_store: NotesStore) -> None:
    limits = NotesLimits(compact_every_updates=3)
    one, two = NotesService(notes_store, limits), NotesService(notes_store, limits)
    alice: Doc = Doc()
    bob: Doc = Doc()
    for n in range(10):
        await one.apply(SHARED, typed(alice, f"a{n} "))
        await two.apply(SHARED, typed(bob, f"b{n} "))
    assert (await notes_store.stats(SHARED.storage_id())).updates < 10
    texts = {await one.text(SHARED), await two.text(SHARED),
             await NotesService(notes_store).text(SHARED)}
    assert len(texts) == 1
    text = texts.pop()
    assert all(f"a{n} " in text and f"b{n} " in text for n in range(10))


def add_item(doc: Doc, item_id: str, text: str) -> bytes:
    before = doc.get_state()
    doc.get("actions", type=Array).append(
        Map({"id": item_id, "text": text, "owner": "mentee", "done": False}))
    return doc.get_update(before)


def close_item(doc: Doc, item_id: str) -> bytes:
    before = doc.get_state()
    for entry in doc.get("actions", type=Array):
        if entry["id"] == item_id:
            entry["done"] = True
    return doc.get_update(before)


async def test_items_carry_over_to_the_next_session_of_the_pair(
        notes_store: NotesStore) -> None:
    for n in (1, 2, 3):
        await notes_store.put_context(SessionContext(
            room_id=f"coffee-s{n}-0", scope="pair:mentee+mentor", people=("mentor", "mentee")))
    service = NotesService(notes_store)
    first: Doc = Doc()
    await service.apply(DocKey("coffee-s1-0"), add_item(first, "goal-1", "write a CV"))
    await service.apply(DocKey("coffee-s1-0"), add_item(first, "goal-2", "apply to 3 jobs"))
    await service.apply(DocKey("coffee-s1-0"), close_item(first, "goal-2"))
    second: Doc = Doc()
    step2, _ = await service.sync(DocKey("coffee-s2-0"), second.get_state())
    second.apply_update(step2)
    seeded = second.get("actions", type=Array).to_py()
    assert [(i["id"], i["done"]) for i in seeded] == [("goal-1", False)]
    await service.apply(DocKey("coffee-s2-0"), close_item(second, "goal-1"))
    listed = await service.items("pair:mentee+mentor")
    assert [(i.id, i.done) for i in listed] == [("goal-1", True), ("goal-2", True)]
    third: Doc = Doc()
    step2, _ = await service.sync(DocKey("coffee-s3-0"), third.get_state())
    third.apply_update(step2)
    assert third.get("actions", type=Array).to_py() == []


async def test_closing_in_the_index_closes_in_the_live_document(
        notes_store: NotesStore) -> None:
    await notes_store.put_context(SessionContext(
        room_id=ROOM, scope="pair:a+b", people=("a", "b")))
    service = NotesService(notes_store)
    told: list[bytes] = []

    async def tell(key: DocKey, update: bytes) -> None:
        told.append(update)

    service.on_server_update = tell
    client: Doc = Doc()
    await service.apply(SHARED, add_item(client, "x1", "call back"))
    await service.set_item_done("pair:a+b", "x1", True)
    assert len(told) == 1
    client.apply_update(told[0])
    assert client.get("actions", type=Array).to_py()[0]["done"] is True
    assert [i.done for i in await service.stored_items(ROOM)] == [True]



# pycrdt reports the bad string as an unraisable UnicodeDecodeError before it panics
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_an_update_whose_text_no_client_can_read_is_refused(
        notes_store: NotesStore) -> None:
    """Found by the notes fuzzing: it integrates, but its string is not UTF-8, and reading
    the text then panics in the CRDT library (in every client that got it)."""
    service = NotesService(notes_store)
    await service.apply(SHARED, typed(Doc(), "text"))
    broken = b"\x01\x01\x07\x00\x04\x01\x05notes\x0fsome val\xc3d text\x00"
    with pytest.raises(InvalidUpdate):
        await service.apply(SHARED, broken)
    assert await service.text(SHARED) == "text"


def delete_item(doc: Doc, item_id: str) -> bytes:
    before = doc.get_state()
    actions = doc.get("actions", type=Array)
    for n, entry in enumerate(actions):
        if entry["id"] == item_id:
            del actions[n]
            break
    return doc.get_update(before)


async def test_a_deleted_item_leaves_the_index(notes_store: NotesStore) -> None:
    """Deleted from the document (not closed): no longer listed, nor in the next session,
    whichever process took the deletion."""
    for n in (1, 2, 3):
        await notes_store.put_context(SessionContext(
            room_id=f"coffee-d{n}-0", scope="pair:mentee+mentor", people=("mentor", "mentee")))
    one, two = NotesService(notes_store), NotesService(notes_store)
    first: Doc = Doc()
    for item_id in ("keep", "drop", "later"):
        await one.apply(DocKey("coffee-d1-0"), add_item(first, item_id, f"do {item_id}"))
    await two.apply(DocKey("coffee-d1-0"), delete_item(first, "drop"))
    assert [i.id for i in await one.items("pair:mentee+mentor")] == ["keep", "later"]
    await one.apply(DocKey("coffee-d1-0"), delete_item(first, "later"))
    assert [i.id for i in await one.items("pair:mentee+mentor")] == ["keep"]
    listed = await one.open_items_of("mentee")
    assert [i.id for group in listed for i in group.items] == ["keep"]
    second: Doc = Doc()
    step2, _ = await one.sync(DocKey("coffee-d2-0"), second.get_state())
    second.apply_update(step2)
    assert [i["id"] for i in second.get("actions", type=Array).to_py()] == ["keep"]
