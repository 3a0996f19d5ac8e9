"""Errors that cross the wire: a stable code and a sentence for people."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SignalingError(Exception):
    """A refusal of one client event; the connection and the room carry on.

    ``details`` are documented fields of this code that go into the error object
    (`moved`: the ``url`` to reconnect to)."""

    def __init__(self, code: str, message: str, retry_after_s: float | None = None,
                 details: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s  # `rate_limited`: when a retry will be let in
        self.details = dict(details or {})


def error_ack(code: str, message: str, retry_after_s: float | None = None,
              details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ack for a refused event (see docs/protocol.md, Envelope)."""
    error: dict[str, Any] = {**(details or {}), "code": code, "message": message}
    if retry_after_s is not None:
        error["retry_after_s"] = round(retry_after_s, 3)
    return {"ok": False, "error": error}


def ok_ack(**fields: Any) -> dict[str, Any]:
    """The ack for an accepted event."""
    return {"ok": True, **fields}
