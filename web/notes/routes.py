"""The notes endpoints (docs/notes-api.md): a session's notes as Markdown, and the action
items of a mentoring pair or roundtable series, listed and closed or reopened.

Auth: a person token (``Authorization: Bearer``, as for scheduling) or the admin key.
A session's notes are read by its participants (the people of its booking, or anyone with
a join token of its room: web/notes/readers.py) and admins;
a pair's items by the two people of the pair; a series' items by the people of its
sessions; ``/api/notes/items`` is the caller's open items across their pairs and series.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from pycrdt import Text

from rooms.notes.documents import TEXT, read_items
from rooms.notes.export import notes_markdown
from rooms.notes.model import DocKey, SessionContext, pair_scope, series_scope
from rooms.notes.service import NotesService
from rooms.recordings.model import Recording
from rooms.recordings.store import RecordingStore
from rooms.scheduling.people import Person

from ..credentials import bearer, same_secret
from ..rest import Problem
from ..scheduling.routes import answers, json_answer, problem, read_body
from .bodies import ItemPatch, ItemsView, PersonItemsView
from .readers import JoinVerifier, Reader, SessionNames, join_reader
from .recordings import (
    SessionRecordings,
    found_recordings,
    listed_recordings,
    recordings_markdown,
)

Caller = Callable[[web.Request], Awaitable[Person]]


class NotesApi:
    """Handlers for the notes endpoints."""

    def __init__(self, notes: NotesService, caller: Caller, admin_key: str,
                 recordings: RecordingStore | None = None,
                 page_admin: Callable[[web.Request], Awaitable[bool]] | None = None,
                 join_verify: JoinVerifier | None = None,
                 names: SessionNames | None = None) -> None:
        self._notes = notes
        self._join_verify = join_verify
        self._names = names if names is not None else SessionNames()
        self._recordings = recordings
        self._page_admin = page_admin
        self._caller = caller
        self._admin_key = admin_key.encode()

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/notes/sessions/{room_id}", answers(self.session_notes)),
            web.get("/api/notes/sessions/{room_id}/recordings",
                    answers(self.session_recordings)),
            web.get("/api/notes/items", answers(self.person_items)),
            web.get("/api/notes/pairs/{identity}/items", answers(self.pair_items)),
            web.patch("/api/notes/pairs/{identity}/items/{item_id}",
                      answers(self.patch_pair_item)),
            web.get("/api/notes/series/{series_id}/items", answers(self.series_items)),
            web.patch("/api/notes/series/{series_id}/items/{item_id}",
                      answers(self.patch_series_item)),
        ]

    async def _is_admin(self, request: web.Request) -> bool:
        """The admin key, or the admin page's session signed in with it (a link from a
        recording to its notes)."""
        if same_secret(bearer(request), self._admin_key):
            return True
        return self._page_admin is not None and await self._page_admin(request)

    async def _reader(self, request: web.Request) -> Reader:
        """Who reads the session's notes (identity None: an admin): a participant of its
        booking with their person token, or anyone with a join token of its room;
        ``forbidden`` otherwise."""
        if await self._is_admin(request):
            return Reader(None)
        room_id = request.match_info["room_id"]
        try:
            person = await self._caller(request)
        except Problem:
            joined = (None if self._join_verify is None
                      else join_reader(self._join_verify, bearer(request), room_id))
            if joined is None:
                raise
            return joined
        context = await self._notes.store.context(room_id)
        if context is None or person.identity not in context.people:
            raise problem("forbidden", "Only the session's participants and admins can "
                                       "read its notes.")
        return Reader(person.identity)

    async def _found(self, room_id: str) -> list[Recording]:
        return [] if self._recordings is None else await found_recordings(self._recordings,
                                                                          room_id)

    async def _known(self, room_id: str, context: SessionContext | None,
                     listed: SessionRecordings) -> None:
        """``notes_not_found`` (404) for a room nothing is known about: no booking, no
        stored shared notes, no recording (a mistyped id must not read as an empty
        session)."""
        if context is not None or listed.recordings:
            return
        stored = await self._notes.store.read(DocKey(room_id).storage_id(), 0)
        if stored.snapshot is None and not stored.updates:
            raise problem("notes_not_found", "No booking, notes or recording is known for "
                                             "that room: check its id.")

    async def session_recordings(self, request: web.Request) -> web.Response:
        room_id = request.match_info["room_id"]
        reader = await self._reader(request)
        listed = SessionRecordings(room_id=room_id, recordings=listed_recordings(
            await self._found(room_id), reader.identity is None))
        await self._known(room_id, await self._notes.store.context(room_id), listed)
        return json_answer(listed)

    async def session_notes(self, request: web.Request) -> web.Response:
        room_id = request.match_info["room_id"]
        reader = await self._reader(request)
        context = await self._notes.store.context(room_id)
        found = await self._found(room_id)
        listed = SessionRecordings(room_id=room_id, recordings=listed_recordings(
            found, reader.identity is None))
        await self._known(room_id, context, listed)
        shared = await self._notes.stored_doc(DocKey(room_id))
        private = None
        if reader.identity is not None:
            mine = await self._notes.stored_doc(DocKey(room_id, reader.identity))
            private = str(mine.get(TEXT, type=Text))
        items = read_items(shared, room_id)
        names = await self._names.of(room_id, {i.owner for i in items}, found, reader)
        text = notes_markdown(context.title if context else "", str(shared.get(TEXT, type=Text)),
                              items, private, names)
        text += recordings_markdown(listed.recordings)
        return web.Response(text=text, content_type="text/markdown")

    async def _pair_scope(self, request: web.Request) -> str:
        person = await self._caller(request)
        other = request.match_info["identity"]
        if other == person.identity:
            raise problem("forbidden", "A pair is you and someone else.")
        return pair_scope(person.identity, other)

    async def _series_scope(self, request: web.Request) -> str:
        scope = series_scope(request.match_info["series_id"])
        if await self._is_admin(request):
            return scope
        person = await self._caller(request)
        if person.identity not in await self._notes.store.members(scope):
            raise problem("forbidden", "Only the people of this series can see its items.")
        return scope

    async def _items(self, scope: str) -> web.Response:
        return json_answer(ItemsView(scope=scope, items=await self._notes.items(scope)))

    async def _patch(self, request: web.Request, scope: str) -> web.Response:
        body = await read_body(request, ItemPatch)
        item = await self._notes.set_item_done(scope, request.match_info["item_id"], body.done)
        return json_answer(item)

    async def person_items(self, request: web.Request) -> web.Response:
        person = await self._caller(request)
        return json_answer(PersonItemsView(
            identity=person.identity, scopes=await self._notes.open_items_of(person.identity)))

    async def pair_items(self, request: web.Request) -> web.Response:
        return await self._items(await self._pair_scope(request))

    async def patch_pair_item(self, request: web.Request) -> web.Response:
        return await self._patch(request, await self._pair_scope(request))

    async def series_items(self, request: web.Request) -> web.Response:
        return await self._items(await self._series_scope(request))

    async def patch_series_item(self, request: web.Request) -> web.Response:
        return await self._patch(request, await self._series_scope(request))
