"""The y-protocols messages carried by the `notes` event (lib0 encoding).

* sync: ``varuint 0, varuint step, varuint8array payload`` — step 0 is step 1 (the
  payload is a state vector), 1 is step 2 (an update: what the other side lacks), 2 an
  incremental update;
* awareness: ``varuint 1, varuint8array update``, the update being ``varuint count``
  then per client ``varuint clientID, varuint clock, varstring state JSON``.

Everything here parses untrusted bytes: a malformed message raises :class:`WireError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

MESSAGE_SYNC = 0
MESSAGE_AWARENESS = 1
MAX_AWARENESS_CLIENTS = 16
MAX_AWARENESS_STATE = 4096
MAX_AWARENESS_DEPTH = 16  # a browser's state (user, cursor positions) nests 4 levels
MAX_AWARENESS_IDS = 4  # client ids one connection may speak for per document (a page: 1)


class SyncStep(IntEnum):
    STEP1 = 0
    STEP2 = 1
    UPDATE = 2


class WireError(ValueError):
    """The bytes are not a y-protocols message this server takes."""


@dataclass(frozen=True)
class Message:
    kind: int  # MESSAGE_SYNC or MESSAGE_AWARENESS
    step: SyncStep | None  # for sync messages
    payload: bytes


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def uint(self) -> int:
        value, shift = 0, 0
        while True:
            if self.pos >= len(self.data) or shift > 49:
                raise WireError("truncated or oversized number")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    def bytes(self) -> bytes:
        length = self.uint()
        if self.pos + length > len(self.data):
            raise WireError("truncated payload")
        chunk = self.data[self.pos:self.pos + length]
        self.pos += length
        return chunk

    def end(self) -> None:
        if self.pos != len(self.data):
            raise WireError("trailing bytes")


def uint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode(kind: int, payload: bytes, step: SyncStep | None = None) -> bytes:
    head = uint(kind) + (uint(step) if step is not None else b"")
    return head + uint(len(payload)) + payload


def sync_message(step: SyncStep, payload: bytes) -> bytes:
    return encode(MESSAGE_SYNC, payload, step)


def decode(data: bytes) -> Message:
    reader = Reader(data)
    kind = reader.uint()
    if kind == MESSAGE_SYNC:
        raw_step = reader.uint()
        if raw_step not in (0, 1, 2):
            raise WireError("unknown sync step")
        payload = reader.bytes()
        reader.end()
        return Message(kind, SyncStep(raw_step), payload)
    if kind == MESSAGE_AWARENESS:
        payload = reader.bytes()
        reader.end()
        return Message(kind, None, payload)
    raise WireError("unknown message type")


def awareness_gone(clients: dict[int, int]) -> bytes:
    """An awareness update saying these clients left (state null, clock one on)."""
    body = uint(len(clients))
    for client, clock in clients.items():
        body += uint(client) + uint(clock + 1) + uint(4) + b"null"
    return encode(MESSAGE_AWARENESS, body)
