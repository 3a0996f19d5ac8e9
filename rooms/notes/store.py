"""The notes store interface shared by the in-memory and Redis implementations.

Each document is an append-only log of Yjs updates after an optional snapshot. Offsets
are absolute: the first update ever appended is 0, and compaction (folding the updates
before offset ``n`` into a new snapshot) keeps every later offset valid. A reader that
asks for updates from an offset already folded away gets the snapshot and everything
after it, and starts over from those. ``size`` is the bytes the document takes in the
store (snapshot plus logged updates); an append that would take it past the caller's cap
is refused with ``notes_too_large`` and stores nothing.

Action items are also kept in an index per scope (a mentoring pair or a roundtable
series), and each booked room has a :class:`~rooms.notes.model.SessionContext`.

Awareness (presence, cursors) is never stored, but who speaks for each awareness client
id of a document is, so that every process serving the room agrees: the first person
whose connection sent it owns it, until that connection lets go of it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from rooms.notes.model import ActionItem, SessionContext


@dataclass(frozen=True)
class LogRead:
    """Updates from an offset: ``snapshot`` is set when the reader must start over from
    it (the offset was compacted away, or is 0 and there is a snapshot)."""

    snapshot: bytes | None
    updates: list[bytes]
    end: int  # the offset after the last update returned

    @property
    def restart(self) -> bool:
        return self.snapshot is not None


@dataclass(frozen=True)
class LogStats:
    """How much a document's log holds beyond its snapshot."""

    updates: int
    size: int  # snapshot + logged updates, in bytes


class NotesStore(ABC):
    """Where notes documents, the action-item index and session contexts live."""

    @abstractmethod
    async def append(self, doc_id: str, update: bytes, max_bytes: int,
                     only_if_empty: bool = False,
                     expires_at: float | None = None) -> int | None:
        """Log ``update``; the offset after it. ``notes_too_large`` if the document
        would pass ``max_bytes``; with ``only_if_empty``, None (and nothing stored) if
        the document already holds anything. With ``expires_at`` (epoch seconds) the
        whole document goes then (the latest append's expiry counts)."""

    @abstractmethod
    async def read(self, doc_id: str, since: int) -> LogRead:
        """The updates from offset ``since`` (see the module docstring)."""

    @abstractmethod
    async def compact(self, doc_id: str, snapshot: bytes, upto: int) -> None:
        """Replace the snapshot and the updates before ``upto`` by ``snapshot`` (which
        must hold them all); nothing if another process compacted past ``upto``."""

    @abstractmethod
    async def stats(self, doc_id: str) -> LogStats:
        """Updates logged since the last snapshot, and the document's size."""

    @abstractmethod
    async def upsert_items(self, scope: str, items: Sequence[ActionItem]) -> None:
        """Store ``items`` in the scope's index (replacing entries with the same id)."""

    @abstractmethod
    async def items(self, scope: str) -> list[ActionItem]:
        """The scope's action items, in the order they were first stored."""

    @abstractmethod
    async def set_item_done(self, scope: str, item_id: str, done: bool) -> ActionItem:
        """Close or reopen one item of the index (``item_not_found`` if absent)."""

    @abstractmethod
    async def remove_items(self, scope: str, item_ids: Sequence[str]) -> None:
        """Take items out of the scope's index (deleted from their document)."""

    @abstractmethod
    async def put_context(self, context: SessionContext) -> None:
        """Record what a booked room belongs to (its people join the scope's members, and
        the scope joins each person's scopes under the context's title)."""

    @abstractmethod
    async def context(self, room_id: str) -> SessionContext | None:
        """What ``room_id`` belongs to, if it is a booked room."""

    @abstractmethod
    async def members(self, scope: str) -> set[str]:
        """Everyone in any session recorded under ``scope``."""

    @abstractmethod
    async def scopes_of(self, identity: str) -> dict[str, str]:
        """Every scope ``identity`` had a session in, with the latest session's title."""

    @abstractmethod
    async def claim_awareness(self, doc_id: str, clients: Sequence[int], identity: str,
                              connection: str) -> bool:
        """Make ``connection`` (of ``identity``) the speaker for ``clients``, all or none:
        False (and nothing changed) if another person speaks for one of them; the same
        person's other connection (a reconnect) hands them over."""

    @abstractmethod
    async def release_awareness(self, doc_id: str, clients: Sequence[int],
                                connection: str) -> list[int]:
        """Forget the ``clients`` that ``connection`` still speaks for; those ones."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections; the store is not used afterwards."""
