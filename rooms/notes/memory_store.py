"""The in-memory notes store: the embedded default (one process, lost on restart)."""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rooms.errors import RoomError
from rooms.notes.model import ActionItem, SessionContext
from rooms.notes.store import LogRead, LogStats, NotesStore


@dataclass
class _Log:
    snapshot: bytes | None = None
    base: int = 0
    updates: list[bytes] = field(default_factory=list)
    expires_at: float | None = None  # epoch seconds (a guest's private notes)

    @property
    def size(self) -> int:
        return len(self.snapshot or b"") + sum(len(u) for u in self.updates)


class MemoryNotesStore(NotesStore):
    """Notes in this process's memory."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._logs: dict[str, _Log] = {}
        self._expiries: list[tuple[float, str]] = []  # heap of (expires_at, doc)
        self._items: dict[str, dict[str, ActionItem]] = {}
        self._contexts: dict[str, SessionContext] = {}
        self._members: dict[str, set[str]] = {}
        self._scopes: dict[str, dict[str, str]] = {}  # identity -> scope -> title
        # doc -> awareness client id -> (connection, identity)
        self._speakers: dict[str, dict[int, tuple[str, str]]] = {}

    async def append(self, doc_id: str, update: bytes, max_bytes: int,
                     only_if_empty: bool = False,
                     expires_at: float | None = None) -> int | None:
        self._forget_expired()
        log = self._logs.setdefault(doc_id, _Log())
        if only_if_empty and (log.snapshot is not None or log.base or log.updates):
            return None
        if log.size + len(update) > max_bytes:
            raise RoomError("notes_too_large")
        log.updates.append(update)
        if expires_at is not None:  # like Redis's EXPIREAT at each append: the latest wins
            log.expires_at = expires_at
            heapq.heappush(self._expiries, (expires_at, doc_id))
        return log.base + len(log.updates)

    def _forget_expired(self) -> None:
        """Drop the documents whose expiry passed (the heap may hold stale entries of
        documents whose expiry moved on: those stay)."""
        now = self._clock()
        while self._expiries and self._expiries[0][0] <= now:
            _, doc_id = heapq.heappop(self._expiries)
            log = self._logs.get(doc_id)
            if log is not None and log.expires_at is not None and log.expires_at <= now:
                del self._logs[doc_id]

    async def read(self, doc_id: str, since: int) -> LogRead:
        self._forget_expired()
        log = self._logs.get(doc_id, _Log())
        end = log.base + len(log.updates)
        if since < log.base or (since == 0 and log.snapshot is not None):
            return LogRead(log.snapshot or b"\x00\x00", list(log.updates), end)
        return LogRead(None, log.updates[since - log.base:], end)

    async def compact(self, doc_id: str, snapshot: bytes, upto: int) -> None:
        log = self._logs.get(doc_id)
        if log is None or upto <= log.base or upto > log.base + len(log.updates):
            return
        del log.updates[:upto - log.base]
        log.base, log.snapshot = upto, snapshot

    async def stats(self, doc_id: str) -> LogStats:
        self._forget_expired()
        log = self._logs.get(doc_id, _Log())
        return LogStats(len(log.updates), log.size)

    async def upsert_items(self, scope: str, items: Sequence[ActionItem]) -> None:
        index = self._items.setdefault(scope, {})
        for item in items:
            index[item.id] = item

    async def items(self, scope: str) -> list[ActionItem]:
        return list(self._items.get(scope, {}).values())

    async def set_item_done(self, scope: str, item_id: str, done: bool) -> ActionItem:
        index = self._items.get(scope, {})
        if item_id not in index:
            raise RoomError("item_not_found")
        index[item_id] = index[item_id].model_copy(update={"done": done})
        return index[item_id]

    async def remove_items(self, scope: str, item_ids: Sequence[str]) -> None:
        index = self._items.get(scope, {})
        for item_id in item_ids:
            index.pop(item_id, None)

    async def put_context(self, context: SessionContext) -> None:
        self._contexts[context.room_id] = context
        self._members.setdefault(context.scope, set()).update(context.people)
        for person in context.people:
            self._scopes.setdefault(person, {})[context.scope] = context.title

    async def context(self, room_id: str) -> SessionContext | None:
        return self._contexts.get(room_id)

    async def members(self, scope: str) -> set[str]:
        return set(self._members.get(scope, set()))

    async def scopes_of(self, identity: str) -> dict[str, str]:
        return dict(self._scopes.get(identity, {}))

    async def claim_awareness(self, doc_id: str, clients: Sequence[int], identity: str,
                              connection: str) -> bool:
        speakers = self._speakers.setdefault(doc_id, {})
        if any(speakers.get(c, ("", identity))[1] != identity for c in clients):
            return False
        speakers.update({c: (connection, identity) for c in clients})
        return True

    async def release_awareness(self, doc_id: str, clients: Sequence[int],
                                connection: str) -> list[int]:
        speakers = self._speakers.get(doc_id, {})
        mine = [c for c in dict.fromkeys(clients) if speakers.get(c, ("",))[0] == connection]
        for client in mine:
            del speakers[client]
        if not speakers:
            self._speakers.pop(doc_id, None)
        return mine

    async def close(self) -> None:
        return None
