"""The audit log of recording access: who listed, read, downloaded or deleted what, and
every refusal, kept by the recording store and readable by admins."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from rooms.models import WireModel

MAX_AUDIT_ENTRIES = 100_000  # the store keeps the latest this many


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
