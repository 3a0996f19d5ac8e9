"""Live notes documents: applying clients' updates, persistence, compaction, the index.

Each process keeps the documents its clients use in memory (:class:`LiveDoc`: a
:class:`~rooms.notes.documents.GuardedDoc` and the log offset it holds) and appends every
update it accepts to the store's log. **Two processes serving one room** append to the
same log; a process applies the updates it did not make when it next touches the
document (every sync step and update first catches up from its offset), and its
clients got them already, through the cross-process Socket.IO broadcast. So every
process's document converges on the log, and the log holds every accepted update.

An update is taken only if it integrates (validated on a shadow replica), fits under
the document's size cap (checked atomically by the store) and, for the shared document,
then changes the action-item index of the session's scope (pair or series) for every
item whose content changed in it, and removes the items deleted from it. A new
session's shared document starts with the scope's open items, same ids. Every
``compact_every_updates`` updates (or ``compact_every_bytes`` bytes) accepted here, the
document is folded into a snapshot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pycrdt import Doc

from rooms.errors import RoomError
from rooms.notes.documents import EMPTY_UPDATE, GuardedDoc, add_items, read_items, set_done
from rooms.notes.model import (
    PAIR_PREFIX,
    SERIES_PREFIX,
    ActionItem,
    DocKey,
    DocName,
    NotesLimits,
    ScopeItems,
    SessionContext,
)
from rooms.notes.store import NotesStore

logger = logging.getLogger(__name__)

# Told of updates the server itself made to a live document (an item closed elsewhere).
ServerUpdate = Callable[[DocKey, bytes], Awaitable[None]]


@dataclass
class LiveDoc:
    """A document held in memory: its content and the log offset it has applied."""

    key: DocKey
    doc: GuardedDoc
    offset: int
    size: int
    context: SessionContext | None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    known: dict[str, ActionItem] = field(default_factory=dict)
    pending_updates: int = 0  # accepted here since the last compaction
    pending_bytes: int = 0


class NotesService:
    """Notes documents of the rooms this process serves (see the module docstring)."""

    def __init__(self, store: NotesStore, limits: NotesLimits | None = None) -> None:
        self.store = store
        self.limits = limits or NotesLimits()
        self._live: dict[DocKey, LiveDoc] = {}
        self._loading = asyncio.Lock()
        self.on_server_update: ServerUpdate | None = None

    # -- the sync protocol's steps --------------------------------------------------

    async def sync(self, key: DocKey, state_vector: bytes) -> tuple[bytes, bytes]:
        """Step 1 from a client: what it lacks (step 2) and the server's state vector
        (the server's own step 1). InvalidUpdate for a vector that does not decode."""
        live = await self._get(key)
        async with live.lock:
            await self._catch_up(live)
            return live.doc.missing(state_vector), live.doc.state_vector()

    async def apply(self, key: DocKey, update: bytes,
                    expires_at: float | None = None) -> None:
        """Take a client's update (step 2 or update): InvalidUpdate, ``notes_too_large``
        or stored, applied and indexed; with ``expires_at`` the stored document goes
        then (see ``NotesStore.append``)."""
        live = await self._get(key)
        async with live.lock:
            await self._catch_up(live)
            await self._take(live, update, expires_at)

    async def _take(self, live: LiveDoc, update: bytes,
                    expires_at: float | None = None) -> None:
        """Validate, store (within the cap) and apply ``update``; on any failure the
        document and the log stay as they were."""
        await self._make_room(live, len(update))
        live.doc.try_apply(update)
        try:
            end = await self.store.append(live.key.storage_id(), update,
                                          self.limits.max_doc_bytes, expires_at=expires_at)
        except BaseException:
            live.doc.rollback()
            raise
        live.doc.commit(update)
        await self._logged(live, update, end)

    async def _logged(self, live: LiveDoc, update: bytes, end: int | None) -> None:
        """``update`` was appended (the log now ends at ``end``) and applied here."""
        live.size += len(update)
        live.pending_updates += 1
        live.pending_bytes += len(update)
        if end == live.offset + 1:
            live.offset = end
        else:  # others appended meanwhile: take theirs (ours again is a no-op)
            await self._catch_up(live)
        await self._index(live)
        if live.pending_updates >= self.limits.compact_every_updates or \
                live.pending_bytes >= self.limits.compact_every_bytes:
            await self._compact(live)

    async def text(self, key: DocKey) -> str:
        """The document's text now (tests, export of live documents)."""
        live = await self._get(key)
        async with live.lock:
            await self._catch_up(live)
            return live.doc.text()

    # -- loading, catching up, compacting ---------------------------------------------

    async def _get(self, key: DocKey) -> LiveDoc:
        live = self._live.get(key)
        if live is not None:
            return live
        async with self._loading:
            live = self._live.get(key)
            if live is None:
                live = await self._load(key)
                self._live[key] = live
            return live

    async def _load(self, key: DocKey) -> LiveDoc:
        context = await self.store.context(key.room_id) if key.owner is None else None
        read = await self.store.read(key.storage_id(), 0)
        if read.end == 0 and read.snapshot is None and context is not None:
            await self._seed(key, context)
            read = await self.store.read(key.storage_id(), 0)
        updates = ([read.snapshot] if read.snapshot else []) + read.updates
        stats = await self.store.stats(key.storage_id())
        live = LiveDoc(key, GuardedDoc(updates), read.end, stats.size, context)
        if key.owner is None:
            live.known = {i.id: i for i in live.doc.items(key.room_id)}
        return live

    async def _seed(self, key: DocKey, context: SessionContext) -> None:
        """A new session of a pair or series starts with the scope's open items."""
        open_items = [i for i in await self.store.items(context.scope) if not i.done]
        if not open_items:
            return
        doc: Doc = Doc()
        with doc.transaction(origin="server"):
            add_items(doc, open_items)
        await self.store.append(key.storage_id(), doc.get_update(),
                                self.limits.max_doc_bytes, only_if_empty=True)

    async def _catch_up(self, live: LiveDoc) -> None:
        read = await self.store.read(live.key.storage_id(), live.offset)
        if read.snapshot is not None:  # compacted past our offset: the snapshot has it all
            live.doc.apply_trusted(read.snapshot)
        for update in read.updates:
            live.doc.apply_trusted(update)
        if read.end != live.offset:
            live.offset = read.end
            live.size = (await self.store.stats(live.key.storage_id())).size
            await self._index(live)

    async def _make_room(self, live: LiveDoc, incoming: int) -> None:
        """Refuse an update that cannot fit; compact first if that might make it fit."""
        cap = self.limits.max_doc_bytes
        if live.size + incoming <= cap:
            return
        await self._compact(live)
        if live.size + incoming > cap:
            raise RoomError("notes_too_large")

    async def _compact(self, live: LiveDoc) -> None:
        await self.store.compact(live.key.storage_id(), live.doc.snapshot(), live.offset)
        live.size = (await self.store.stats(live.key.storage_id())).size
        live.pending_updates = live.pending_bytes = 0

    def forget(self, room_id: str) -> None:
        """Drop the room's documents from memory (nobody here uses them any more)."""
        for key in [k for k in self._live if k.room_id == room_id]:
            del self._live[key]

    # -- action items -------------------------------------------------------------

    async def _index(self, live: LiveDoc) -> None:
        """Store the items whose content changed in this document since last seen, and
        take out of the index the ones deleted from it (no longer listed, nor carried
        over to the next session)."""
        if live.key.name is not DocName.SHARED:
            return
        now = {i.id: i for i in live.doc.items(live.key.room_id)}
        changed = [i for i in now.values() if live.known.get(i.id) != i]
        gone = [item_id for item_id in live.known if item_id not in now]
        live.known = now
        if live.context is None:
            return
        if changed:
            await self.store.upsert_items(live.context.scope, changed)
        if gone:
            await self.store.remove_items(live.context.scope, gone)

    async def items(self, scope: str) -> list[ActionItem]:
        return await self.store.items(scope)

    async def open_items_of(self, identity: str) -> list[ScopeItems]:
        """A person's open action items, per pair and series they had a session in (pairs
        first): every open item of a pair; of a series, the ones they own and the ones
        nobody owns (the group's) — another participant's items are that person's to
        list. One-off roundtables (``booking:`` scopes) have no next session: not listed."""
        found: list[ScopeItems] = []
        for scope, title in sorted((await self.store.scopes_of(identity)).items()):
            if scope.startswith(PAIR_PREFIX):
                others = sorted(await self.store.members(scope) - {identity})
                if not others:
                    continue
                items = [i for i in await self.store.items(scope) if not i.done]
                group = ScopeItems(scope=scope, kind="pair", other=others[0], title=title,
                                   items=tuple(items))
            elif scope.startswith(SERIES_PREFIX):
                items = [i for i in await self.store.items(scope)
                         if not i.done and i.owner in ("", identity)]
                group = ScopeItems(scope=scope, kind="series", title=title, items=tuple(items),
                                   series_id=scope.removeprefix(SERIES_PREFIX))
            else:
                continue
            if group.items:
                found.append(group)
        return found

    async def set_item_done(self, scope: str, item_id: str, done: bool) -> ActionItem:
        """Close or reopen an item in the index, and in the live shared documents of the
        scope held here (their clients are told through ``on_server_update``)."""
        item = await self.store.set_item_done(scope, item_id, done)
        for live in list(self._live.values()):
            if live.context is None or live.context.scope != scope or live.key.owner:
                continue
            async with live.lock:
                await self._catch_up(live)
                if item_id not in live.known:
                    continue
                # made on a copy, then taken like a client's update (cap, log, apply)
                scratch = GuardedDoc([live.doc.snapshot()])
                update = scratch.edit(lambda d: set_done(d, item_id, done))
                if update == EMPTY_UPDATE:
                    continue
                try:
                    await self._take(live, update)
                except RoomError as exc:  # a full document: the index holds it anyway
                    logger.warning("item %s not marked in %s: %s", item_id, live.key, exc)
                    continue
            if self.on_server_update is not None:
                await self.on_server_update(live.key, update)
        return item

    # -- who speaks for an awareness client id (the store's, so processes agree) ------

    async def claim_awareness(self, key: DocKey, clients: list[int], identity: str,
                              connection: str) -> bool:
        """Whether ``connection`` of ``identity`` may speak for ``clients`` (now it does)."""
        return await self.store.claim_awareness(key.storage_id(), clients, identity,
                                                connection)

    async def release_awareness(self, key: DocKey, clients: list[int],
                                connection: str) -> list[int]:
        """The ``clients`` ``connection`` spoke for until now (a reconnect's are kept)."""
        return await self.store.release_awareness(key.storage_id(), clients, connection)

    # -- reading after the session ----------------------------------------------------

    async def stored_doc(self, key: DocKey) -> Doc:
        """The document as stored (not kept in memory)."""
        read = await self.store.read(key.storage_id(), 0)
        return GuardedDoc(([read.snapshot] if read.snapshot else []) + read.updates).doc

    async def stored_items(self, room_id: str) -> list[ActionItem]:
        return read_items(await self.stored_doc(DocKey(room_id)), room_id)
