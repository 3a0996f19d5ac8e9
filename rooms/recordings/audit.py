"""The audit log of recording access: who listed, read, downloaded or deleted what, and
every refusal, kept by the recording store and readable by admins."""

from __future__ import annotations

from collections import deque
from enum import StrEnum

from pydantic import Field

from rooms.models import WireModel

MAX_AUDIT_ENTRIES = 100_000  # the store keeps the latest this many
# Besides, each recording's own trail (its latest this many entries) is kept apart, so
# that no flood of other entries pushes it out (Redis: for TRAIL_TTL_S after its last
# entry; the memory store: for the latest MAX_TRAILS recordings).
MAX_TRAIL_ENTRIES = 1000
TRAIL_TTL_S = 400 * 86_400
MAX_TRAILS = 10_000


class AuditAction(StrEnum):
    LIST = "list"
    READ = "read"  # one recording's metadata
    LINK = "link"  # a signed download URL issued
    DOWNLOAD = "download"
    DELETE = "delete"
    RETENTION = "retention"  # deleted by the retention policy
    AUDIT = "audit"  # the audit log itself was read
    SIGNIN = "signin"  # the admin page's sign-in (a session cookie issued)
    SIGNOUT = "signout"
    POLICY = "policy"  # a room's recording policy read or set


class AuditOutcome(StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"


class AuditEntry(WireModel):
    """One access or refusal. ``actor`` names who asked (``admin`` for the admin key, the
    token's identity, ``anonymous``, or ``retention``); ``code`` is the refusal's error
    code; ``detail`` is a short free text (the filters, the byte range)."""

    at: float
    actor: str = Field(max_length=200)
    action: AuditAction
    outcome: AuditOutcome
    recording_id: str | None = Field(default=None, max_length=200)
    file: str | None = Field(default=None, max_length=200)
    code: str | None = None
    detail: str = Field(default="", max_length=500)
    remote: str = Field(default="", max_length=100)


# Reads the admin page repeats while it watches a recording (the list every 3 s):
# written once per actor, target and query per COALESCE_S. Refusals are written once per
# client address, actor, action and code per COALESCE_S (whatever the target), so that
# nobody, least of all an anonymous caller, can fill the log or push real entries out
# with refused requests; the admin key's own refusals, links, downloads, deletions and
# everything else are always written.
COALESCED_ACTIONS = frozenset({AuditAction.LIST, AuditAction.READ})
COALESCE_S = 60.0
MAX_COALESCING = 10_000  # keys remembered at most (older ones are forgotten first)
ALWAYS_WRITTEN_ACTOR = "admin"  # the admin key: every one of its refusals is written
# Refusal entries written per COALESCE_S from all addresses together; past it (a flood
# from many addresses) further ones are counted per action and code, whatever the address.
MAX_REFUSAL_LINES = 120
MANY = "many addresses"  # the detail of such a line


class AuditCoalescer:
    """Decides which audit entries are written.

    An allowed list or read identical to one written less than ``window_s`` before (same
    actor, action, recording, file, query and address) is counted instead of written; so
    is a refusal with the same address, actor, action and code as one written less than
    ``window_s`` before (but not one of the admin key); and once ``max_refusal_lines``
    refusals were written within ``window_s``, further ones from other addresses are
    counted per action and code (detail ``many addresses``). The next one written after
    the window says how many were left out, so the log still tells that the page kept
    reading, or that an address kept being refused, and from when to when.
    """

    def __init__(self, window_s: float = COALESCE_S, max_keys: int = MAX_COALESCING,
                 max_refusal_lines: int = MAX_REFUSAL_LINES) -> None:
        self._window = window_s
        self._max_keys = max_keys
        self._max_refusal_lines = max_refusal_lines
        self._refusal_lines: deque[float] = deque()  # when the recent ones were written
        # key -> (when the last entry was written, entries left out since)
        self._written: dict[tuple[str, ...], tuple[float, int]] = {}

    @staticmethod
    def _key(entry: AuditEntry) -> tuple[str, ...] | None:
        if entry.outcome is AuditOutcome.REFUSED:
            if entry.actor == ALWAYS_WRITTEN_ACTOR:
                return None
            return ("refused", entry.remote, entry.actor, entry.action, entry.code or "")
        if entry.action not in COALESCED_ACTIONS:
            return None
        return (entry.actor, entry.action, entry.recording_id or "", entry.file or "",
                entry.detail, entry.remote)

    def admit(self, entry: AuditEntry) -> AuditEntry | None:
        """``entry`` to write (its detail may count the ones left out), or None."""
        key = self._key(entry)
        if key is None:
            return entry
        refusal = entry.outcome is AuditOutcome.REFUSED
        if refusal and self._is_new(key, entry.at) and self._flooded(entry.at):
            key = ("refused", "*", entry.action, entry.code or "")
            entry = entry.model_copy(update={"detail": MANY})
        last = self._written.pop(key, None)
        if last is not None and 0 <= entry.at - last[0] < self._window:
            self._written[key] = (last[0], last[1] + 1)  # (re-inserted: newest last)
            return None
        if len(self._written) >= self._max_keys:
            del self._written[next(iter(self._written))]  # the least recently seen
        self._written[key] = (entry.at, 0)
        if last is not None and last[1]:
            like = "identical" if entry.outcome is AuditOutcome.ALLOWED else "refused alike"
            note = f"+{last[1]} {like} since {last[0]:.0f}"
            detail = f"{entry.detail} ({note})" if entry.detail else note
            entry = entry.model_copy(update={"detail": detail[:500]})
        if refusal:
            self._refusal_lines.append(entry.at)
        return entry

    def _is_new(self, key: tuple[str, ...], at: float) -> bool:
        """No entry of ``key`` was written within the window before ``at``."""
        last = self._written.get(key)
        return last is None or not 0 <= at - last[0] < self._window

    def _flooded(self, at: float) -> bool:
        """As many refusals as allowed were written within the window before ``at``."""
        while self._refusal_lines and not 0 <= at - self._refusal_lines[0] < self._window:
            self._refusal_lines.popleft()
        return len(self._refusal_lines) >= self._max_refusal_lines
