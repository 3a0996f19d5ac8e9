"""A person's open action items across their pairs and roundtable series (what /schedule
lists), and a series' open items seeding its next session, on both stores."""

from __future__ import annotations

from pycrdt import Array, Doc, Map

from rooms.notes.model import DocKey, SessionContext, pair_scope, series_scope
from rooms.notes.service import NotesService
from rooms.notes.store import NotesStore

SERIES = series_scope("book-club")
GROUP = ("mentor", "ana", "ben")


def item(doc: Doc, item_id: str, owner: str, done: bool = False) -> bytes:
    before = doc.get_state()
    doc.get("actions", type=Array).append(
        Map({"id": item_id, "text": f"do {item_id}", "owner": owner, "done": done}))
    return doc.get_update(before)


async def series_sessions(store: NotesStore, count: int) -> None:
    for n in range(count):
        await store.put_context(SessionContext(
            room_id=f"round-bc-{n}", scope=SERIES, people=GROUP, title="Book club"))


async def test_series_items_open_at_the_next_session(notes_store: NotesStore) -> None:
    await series_sessions(notes_store, 2)
    service = NotesService(notes_store)
    first: Doc = Doc()
    for update in (item(first, "s1", "ana"), item(first, "s2", ""),
                   item(first, "s3", "ben", done=True)):
        await service.apply(DocKey("round-bc-0"), update)
    second: Doc = Doc()
    step2, _ = await NotesService(notes_store).sync(DocKey("round-bc-1"), second.get_state())
    second.apply_update(step2)
    assert [(i["id"], i["done"]) for i in second.get("actions", type=Array).to_py()] == [
        ("s1", False), ("s2", False)]


async def test_a_persons_open_items_span_pairs_and_series(notes_store: NotesStore) -> None:
    pair = pair_scope("mentor", "ana")
    await notes_store.put_context(SessionContext(
        room_id="coffee-p-0", scope=pair, people=("mentor", "ana"), title="Coffee"))
    await series_sessions(notes_store, 1)
    await notes_store.put_context(SessionContext(  # a one-off roundtable: not listed
        room_id="round-once-0", scope="booking:b9", people=GROUP, title="Once"))
    service = NotesService(notes_store)
    coffee: Doc = Doc()
    club: Doc = Doc()
    once: Doc = Doc()
    for update in (item(coffee, "p1", "mentor"), item(coffee, "p2", "ana", done=True)):
        await service.apply(DocKey("coffee-p-0"), update)
    for update in (item(club, "mine", "ana"), item(club, "theirs", "ben"),
                   item(club, "ours", ""), item(club, "closed", "ana", done=True)):
        await service.apply(DocKey("round-bc-0"), update)
    await service.apply(DocKey("round-once-0"), item(once, "o1", "ana"))

    listed = await service.open_items_of("ana")
    assert [(g.kind, g.other, g.series_id, g.title, [i.id for i in g.items])
            for g in listed] == [("pair", "mentor", None, "Coffee", ["p1"]),
                                 ("series", None, "book-club", "Book club", ["mine", "ours"])]
    assert [g.scope for g in listed] == [pair, SERIES]
    ben = await service.open_items_of("ben")
    assert [(g.scope, [i.id for i in g.items]) for g in ben] == [(SERIES, ["theirs", "ours"])]
    await service.set_item_done(SERIES, "ours", True)
    assert [[i.id for i in g.items] for g in await service.open_items_of("ben")] == [["theirs"]]
    assert await service.open_items_of("stranger") == []


async def test_a_context_with_nobody_in_it_yet_is_stored(notes_store: NotesStore) -> None:
    """A roundtable booked before anyone is named: its context is kept, nobody lists it."""
    context = SessionContext(room_id="round-empty-0", scope="series:empty", people=(),
                             title="Empty")
    await notes_store.put_context(context)
    assert await notes_store.context("round-empty-0") == context
    assert await notes_store.scopes_of("ana") == {}
