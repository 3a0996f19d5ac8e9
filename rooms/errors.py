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
    "unknown_zone",
    "nonexistent_local_time",
    "ambiguous_local_time",
    "invalid_range",
    "range_too_long",
    "invalid_duration",
    "slot_in_past",
    "too_soon",
    "slot_taken",
    "booking_exists",
    "booking_not_found",
    "booking_cancelled",
    "booking_changed",
    "occurrence_not_found",
    "person_not_found",
    "slot_unavailable",
    "unavailable",
    "not_host",
    "not_roundtable",
    "banned",
    "room_locked",
    "lobby_waiting",
    "lobby_full",
    "not_knocking",
    "unknown_participant",
    "target_is_host",
    "invalid_target",
    "hand_not_raised",
    "invalid_timer",
    "invalid_breakout",
    "breakout_running",
    "too_many_bans",
    "not_allowed_to_record",
    "already_recording",
    "not_recording",
    "recording_interrupted",
    "recording_consent_limit",
    "recording_segment_limit",
    "recording_elsewhere",
    "recording_not_found",
    "recording_exists",
    "recording_file_not_found",
    "invalid_recording_id",
    "storage_unavailable",
    "notes_too_large",
    "notes_read_only",
    "invalid_update",
    "item_not_found",
    "notes_not_found",
    "resume_expired",
    "resume_invalid",
    "link_used_up",
    "outside_programme",
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
    "unknown_zone": "This is not a known IANA time zone name.",
    "nonexistent_local_time": "This local time does not exist: the clocks skip over it.",
    "ambiguous_local_time": "This local time happens twice: say whether the first or second.",
    "invalid_range": "The end of the range must come after its start.",
    "range_too_long": "The range is too long.",
    "invalid_duration": "This session length is not offered.",
    "slot_in_past": "This time has already passed.",
    "too_soon": "This session starts too soon: book it further ahead.",
    "slot_taken": "Someone in this session is already booked at that time.",
    "booking_exists": "A booking with this id already exists.",
    "booking_not_found": "This booking does not exist.",
    "booking_cancelled": "This booking has been cancelled.",
    "booking_changed": "This booking was changed meanwhile; reload and try again.",
    "occurrence_not_found": "This series has no session at that time.",
    "person_not_found": "This person is not registered.",
    "slot_unavailable": "Someone in this session is not available at that time.",
    "unavailable": "The server cannot reach its data store just now; try again shortly.",
    "not_host": "Only a host or co-host can do that.",
    "not_roundtable": "This room is not a roundtable.",
    "banned": "You have been removed from this room and cannot rejoin it.",
    "room_locked": "This room is locked: nobody new can join.",
    "lobby_waiting": "Waiting for a host to let you in.",
    "lobby_full": "Too many people are waiting to be let in; try again later.",
    "not_knocking": "This person is not waiting in the lobby (any more).",
    "unknown_participant": "There is no such participant in this room.",
    "target_is_host": "The host cannot be the target of that.",
    "invalid_target": "That cannot be done to this participant.",
    "hand_not_raised": "This participant's hand is not raised.",
    "invalid_timer": "A speaking time must be between 1 second and 1 hour.",
    "invalid_breakout": "A breakout plan pairs distinct participants of the room.",
    "breakout_running": "A breakout is already running: end it first.",
    "too_many_bans": "This room has banned as many people as it can.",
    "not_allowed_to_record": "You are not allowed to record in this room.",
    "already_recording": "This room is already being recorded.",
    "not_recording": "This room is not being recorded.",
    "recording_interrupted": ("This room's recording was cut off when the server writing "
                              "it was lost; it is kept, and finished when that server or "
                              "its storage comes back."),
    "recording_consent_limit": ("You have changed your answer too many times for this "
                                "recording; your previous answer stands."),
    "recording_segment_limit": ("This recording has as many files as it can hold: no "
                                "new track is written; what was recorded is kept."),
    "recording_elsewhere": ("This recording's files are on another server: do this "
                            "through that server."),
    "recording_not_found": "This recording does not exist (or was deleted).",
    "recording_exists": "A recording with this id already exists.",
    "recording_file_not_found": "This recording has no such file.",
    "invalid_recording_id": "Recording ids and file names are plain names, never paths.",
    "storage_unavailable": "The recording storage cannot be reached just now; try again.",
    "notes_too_large": "These notes have reached their size limit; the change was not kept.",
    "notes_read_only": "You can read these notes but not change them.",
    "invalid_update": "This is not a notes update the server can apply; nothing changed.",
    "item_not_found": "There is no such action item.",
    "notes_not_found": "There are no notes for this session.",
    "resume_expired": "You were away longer than the grace period, so your place in the "
                      "call was given up; join again.",
    "resume_invalid": "This resume token is not the current one for your place in the call "
                      "(already used, or not yours); join again without it.",
    "link_used_up": "This shared link has let in as many people as it may; ask the host "
                    "for a personal link.",
    "outside_programme": "This person is not in your programme: you can book only people "
                         "of your own programme.",
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


class StoreUnavailable(RoomError):
    """A shared store (Redis) did not answer in time or refused the connection.

    Not a bug: the condition passes when the store is back. Stores raise it instead of
    their driver's exceptions, so the layers above map it like any other ``RoomError``
    (``unavailable``: a Socket.IO error ack, HTTP 503).
    """

    def __init__(self, message: str | None = None) -> None:
        super().__init__("unavailable", message)
