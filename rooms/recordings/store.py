"""The recording store interface shared by the in-memory and Redis implementations.

It keeps three things: the :class:`Recording` values (metadata, consent log, file list),
each room's :class:`RecordingPolicy`, and the access :class:`AuditEntry` log; and the
admin page's signed-out sessions (by nonce, until they would have ended anyway).

* At most one recording of a room is ``recording`` at a time: :meth:`create` refuses a
  second with ``already_recording`` (atomic across processes). An update that makes it
  ``interrupted`` (its node was lost) frees the room's slot in the same atomic step.
* :meth:`update` applies a pure change atomically, like the roundtable store: of two
  concurrent updates both take effect, each seeing the other's result; a change that
  raises changes nothing. Each write raises ``revision`` by one.
* Recordings have no expiry: the retention job deletes them (files first, then here).
* The audit log keeps the latest ``MAX_AUDIT_ENTRIES`` entries, newest first.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from rooms.recordings.audit import AuditEntry
from rooms.recordings.model import Recording, RecordingFilter, RecordingState
from rooms.recordings.policy import RecordingPolicy

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

RecordingChange = Callable[[Recording], Recording]


class RecordingStore(ABC):
    """Where recordings' metadata, room policies and the audit log live."""

    async def reassert(self, room_id: str) -> bool:
        """After the store lost its data (a Redis restart without persistence): write
        back the room's active recording and recording policy as this process last wrote
        them, where missing; whether a recording was written back. A store that cannot
        lose data does nothing."""
        return False

    @abstractmethod
    async def create(self, recording: Recording) -> Recording:
        """Store a new recording (revision 1). ``recording_exists`` if the id is taken;
        ``already_recording`` if it is active and its room already has an active one."""

    @abstractmethod
    async def get(self, recording_id: str) -> Recording | None:
        """The recording, or None."""

    @abstractmethod
    async def active(self, room_id: str) -> Recording | None:
        """The room's recording in state ``recording``, if any."""

    @abstractmethod
    async def update(self, recording_id: str, change: RecordingChange) -> Recording:
        """Apply ``change`` atomically (``recording_not_found`` if there is none) and
        return the stored result. Returning the same object means "no change"."""

    @abstractmethod
    async def find(self, where: RecordingFilter, limit: int = DEFAULT_LIMIT) -> list[Recording]:
        """Recordings matching ``where``, newest first, at most ``limit``."""

    @abstractmethod
    async def delete(self, recording_id: str) -> bool:
        """Forget a recording; False if there was none."""

    @abstractmethod
    async def policy(self, room_id: str) -> RecordingPolicy:
        """The room's recording setting (the default if none was set)."""

    @abstractmethod
    async def set_policy(self, room_id: str, policy: RecordingPolicy, until: float) -> None:
        """Set the room's recording setting; it is forgotten at ``until`` (the room's end)."""

    @abstractmethod
    async def audit(self, entry: AuditEntry) -> None:
        """Append an entry to the audit log."""

    @abstractmethod
    async def audit_log(self, limit: int = DEFAULT_LIMIT,
                        recording_id: str | None = None) -> list[AuditEntry]:
        """The latest entries, newest first (only those about ``recording_id`` if given:
        its own trail, which other entries do not push out; see MAX_TRAIL_ENTRIES)."""

    @abstractmethod
    async def revoke_session(self, nonce: str, until: float) -> None:
        """Remember that the admin session ``nonce`` was signed out, until ``until`` (when
        it would have ended anyway)."""

    @abstractmethod
    async def session_revoked(self, nonce: str) -> bool:
        """Whether the admin session ``nonce`` was signed out."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections; the store is not used afterwards."""


def next_revision(current: Recording | None, new: Recording) -> Recording:
    """``new`` numbered one after ``current``."""
    revision = 0 if current is None else current.revision
    return new.model_copy(update={"revision": revision + 1})


def check_change(current: Recording, new: Recording) -> None:
    """A change keeps what indexes a recording (id, room, booking, start), never makes
    a finished or interrupted recording active again, interrupts only a recording
    in progress, and stays within the model's bounds (ValueError, a pydantic
    ValidationError for a bound: a bug in the caller, which checks them first)."""
    fixed = ("recording_id", "room_id", "booking_id", "started_at")
    if any(getattr(current, name) != getattr(new, name) for name in fixed):
        raise ValueError("a recording's id, room, booking and start cannot change")
    if new.is_active and not current.is_active:
        raise ValueError("a finished recording cannot become active again")
    if new.state is RecordingState.INTERRUPTED and current.is_finished:
        raise ValueError("a finished recording cannot be interrupted")
    # every bound of the model (files, consent log, names): a change built with
    # ``model_copy`` is not validated, and a stored value past a bound could not be read
    Recording.model_validate(new.model_dump())


def clamp_limit(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))
