"""Errors that cross the wire: a stable machine-readable code and a human sentence."""

from __future__ import annotations

from typing import Literal, get_args

ErrorCode = Literal[
    "room_not_found",
    "room_exists",
    "room_full",
    "room_closed",
    "not_in_room",
    "token_missing",
    "token_invalid",
    "token_expired",
    "token_wrong_room",
    "token_not_yet_valid",
    "forbidden",
]

ERROR_CODES: frozenset[str] = frozenset(get_args(ErrorCode))

_DEFAULT_MESSAGES: dict[str, str] = {
    "room_not_found": "This room does not exist or has already ended.",
    "room_exists": "A room with this id already exists.",
    "room_full": "This room is full.",
    "room_closed": "This session has ended.",
    "not_in_room": "You are not in this room.",
    "token_missing": "A join token is required.",
    "token_invalid": "The join token is not valid.",
    "token_expired": "The join token has expired.",
    "token_wrong_room": "The join token is for a different room.",
    "token_not_yet_valid": "The join token is not valid yet.",
    "forbidden": "You are not allowed to do that.",
}


class RoomError(Exception):
    """A domain error with a stable ``code`` (for machines) and a ``message`` (for people).

    Callers above (signaling, REST) send ``to_dict()`` to the client unchanged.
    """

    def __init__(self, code: ErrorCode, message: str | None = None) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown error code {code!r}")
        self.code: ErrorCode = code
        self.message: str = message if message is not None else _DEFAULT_MESSAGES[code]
        super().__init__(code, self.message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"RoomError({self.code!r}, {self.message!r})"

    def to_dict(self) -> dict[str, str]:
        """The wire form: ``{"code": ..., "message": ...}``."""
        return {"code": self.code, "message": self.message}
