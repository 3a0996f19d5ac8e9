"""What the server reads from and writes into a notes document (pycrdt, Yjs-compatible).

A document holds the text under ``TEXT`` (a Y.Text the editor binds) and, in the shared
document, the action items under ``ACTIONS``: a Y.Array of Y.Maps ``{id, text, owner,
due?, done, created_in}`` — structured data, never parsed out of the text.

Updates from clients are untrusted bytes. One that does not decode raises ValueError;
worse, some that decode make the CRDT library panic half-way through integrating them
(a Rust panic surfaces as ``pyo3_runtime.PanicException``, a BaseException), which can
leave the document it was applied to broken. :class:`GuardedDoc` therefore applies each
update to a shadow replica first and to the real document only if that worked; a panic
costs a rebuild of the shadow, never the document.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pycrdt import Array, Doc, Map, Text, merge_updates
from pydantic import ValidationError

from rooms.notes.model import ActionItem

TEXT = "notes"
ACTIONS = "actions"
EMPTY_UPDATE = b"\x00\x00"


class InvalidUpdate(Exception):
    """The bytes are not an update (or state vector) this document can take."""


def is_panic(exc: BaseException) -> bool:
    """A Rust panic inside the CRDT library (not an interrupt or a cancellation)."""
    return type(exc).__name__ == "PanicException"


def check_decodes(update: bytes) -> None:
    """Raise InvalidUpdate unless ``update`` decodes as a Yjs v1 update."""
    try:
        merge_updates(update, EMPTY_UPDATE)
    except ValueError as exc:
        raise InvalidUpdate(str(exc)) from None
    except BaseException as exc:
        if not is_panic(exc):
            raise
        raise InvalidUpdate("the update does not decode") from None


def readable(doc: Doc) -> None:
    """Read the text and the items the way every client does: an update that made
    either something else (a Y.Map named ``notes``, say) fails here, not in a client."""
    str(doc.get(TEXT, type=Text))
    doc.get(ACTIONS, type=Array).to_py()


def doc_from(updates: Iterable[bytes]) -> Doc:
    """A document holding ``updates`` (trusted: read back from the store)."""
    doc: Doc = Doc()
    for update in updates:
        doc.apply_update(update)
    return doc


class GuardedDoc:
    """A pycrdt document that takes untrusted updates without ever being broken by one."""

    def __init__(self, updates: Iterable[bytes] = ()) -> None:
        self.doc: Doc = doc_from(updates)
        self._shadow: Doc = doc_from([self.doc.get_update()])

    def apply(self, update: bytes) -> None:
        """Apply ``update``, or raise InvalidUpdate and leave the document as it was."""
        self.try_apply(update)
        self.commit(update)

    def try_apply(self, update: bytes) -> None:
        """Apply ``update`` to the shadow only (InvalidUpdate if it does not take); then
        :meth:`commit` it, or :meth:`rollback` if it must not be kept after all."""
        check_decodes(update)
        try:
            self._shadow.apply_update(update)
            readable(self._shadow)
        except (ValueError, TypeError) as exc:
            self.rollback()
            raise InvalidUpdate(str(exc)) from None
        except BaseException as exc:
            if not is_panic(exc):
                raise
            self.rollback()
            raise InvalidUpdate("the update could not be integrated") from None

    def commit(self, update: bytes) -> None:
        """Apply an update :meth:`try_apply` took to the document itself."""
        self.doc.apply_update(update)

    def rollback(self) -> None:
        """Forget what :meth:`try_apply` did: the shadow is the document again."""
        self._shadow = doc_from([self.doc.get_update()])

    def apply_trusted(self, update: bytes) -> None:
        """Apply an update that was validated before (read back from the store)."""
        self._shadow.apply_update(update)
        self.doc.apply_update(update)

    def state_vector(self) -> bytes:
        return self.doc.get_state()

    def missing(self, state_vector: bytes) -> bytes:
        """What a peer at ``state_vector`` lacks, or InvalidUpdate for a bad vector."""
        try:
            return self.doc.get_update(state_vector)
        except ValueError as exc:
            raise InvalidUpdate(str(exc)) from None
        except BaseException as exc:
            if not is_panic(exc):
                raise
            raise InvalidUpdate("the state vector does not decode") from None

    def snapshot(self) -> bytes:
        return self.doc.get_update()

    def text(self) -> str:
        return str(self.doc.get(TEXT, type=Text))

    def items(self, room_id: str = "") -> list[ActionItem]:
        return read_items(self.doc, room_id)

    def edit(self, change: Any) -> bytes:
        """Run ``change(doc)`` in one transaction; the update it made (empty: none)."""
        before = self.doc.get_state()
        with self.doc.transaction(origin="server"):
            change(self.doc)
        update = self.doc.get_update(before)
        self._shadow.apply_update(update)
        return update


def read_items(doc: Doc, room_id: str = "") -> list[ActionItem]:
    """The action items in ``doc``; entries that are not well-formed items are skipped
    (clients write the array; the server never trusts its shape)."""
    found: list[ActionItem] = []
    seen: set[str] = set()
    for entry in doc.get(ACTIONS, type=Array):
        if not isinstance(entry, Map):
            continue
        data = {key: value for key, value in entry.items()
                if key in ActionItem.model_fields and isinstance(value, str | bool)}
        data.setdefault("created_in", room_id)
        try:
            item = ActionItem.model_validate(data)
        except ValidationError:
            continue
        if item.id not in seen:
            seen.add(item.id)
            found.append(item)
    return found


def add_items(doc: Doc, items: Iterable[ActionItem]) -> None:
    """Append ``items`` (inside the caller's transaction)."""
    actions = doc.get(ACTIONS, type=Array)
    for item in items:
        actions.append(Map(item.model_dump(exclude_none=True)))


def set_done(doc: Doc, item_id: str, done: bool) -> bool:
    """Mark every entry of ``item_id`` done or open; whether one changed."""
    changed = False
    for entry in doc.get(ACTIONS, type=Array):
        if isinstance(entry, Map) and entry.get("id") == item_id \
                and entry.get("done") is not done:
            entry["done"] = done
            changed = True
    return changed
