"""Errors that cross the wire: a stable code and a sentence for people."""

from __future__ import annotations

from typing import Any


class SignalingError(Exception):
    """A refusal of one client event; the connection and the room carry on."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def error_ack(code: str, message: str) -> dict[str, Any]:
    """The ack for a refused event (see docs/protocol.md, Envelope)."""
    return {"ok": False, "error": {"code": code, "message": message}}


def ok_ack(**fields: Any) -> dict[str, Any]:
    """The ack for an accepted event."""
    return {"ok": True, **fields}
