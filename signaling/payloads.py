"""Pydantic models for every inbound Socket.IO event: the signaling boundary."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_PAYLOAD_BYTES = 64 * 1024
MAX_SDP_CHARS = 32 * 1024
MAX_TOKEN_CHARS = 4096
MAX_ID_CHARS = 128
# A `notes` message may hold a whole document (a client back from long offline editing):
# its real limit is the notes document cap plus framing, checked before validation
# (see NotesEvents.events); this only bounds the model (the largest cap settings allow).
MAX_NOTES_MESSAGE_BYTES = 64 * 1024 * 1024 + 1024


class Payload(BaseModel):
    """Base for event payloads: unknown fields are refused, strings are never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class JoinPayload(Payload):
    """`join`: the JWT from the join link (empty is refused as `token_missing`)."""

    token: str = Field(default="", max_length=MAX_TOKEN_CHARS)
    # only with a roundtable's shareable link: the name of the new identity
    display_name: str | None = Field(default=None, min_length=1, max_length=64)
    # a reconnect: the `resume_token` of the last join ack (docs/protocol.md, Resume)
    resume_token: str | None = Field(default=None, min_length=1, max_length=MAX_ID_CHARS)
    # with resume_token: the client kept its peer connections and can restart their ICE
    ice_restart: bool = False


class PublishPayload(Payload):
    """`publish`: the client's SDP offer for its camera and microphone."""

    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)


class SubscribePayload(Payload):
    """`subscribe`: the identity whose tracks the client wants."""

    publisher: str = Field(min_length=1, max_length=MAX_ID_CHARS)


class SubscriptionAnswerPayload(Payload):
    """`subscription_answer`: the client's SDP answer to a subscription offer."""

    subscription_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)


class SubscriberAnswerPayload(Payload):
    """`subscriber_answer`: the client's answer to an offer on its subscribe connection."""

    subscription_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    version: int = Field(ge=1, le=2**31)
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)


class SubscriberRestartPayload(Payload):
    """`subscriber_restart`: no fields (the client's subscribe connection failed)."""


class MutePayload(Payload):
    """`mute`: the client stopped or resumed sending one kind of media."""

    kind: Literal["audio", "video"]
    muted: bool


class LeavePayload(Payload):
    """`leave`: no fields."""


class NotesPayload(Payload):
    """`notes`: one y-protocols message (binary) for the shared or the caller's private
    notes document; ``room``, when sent, must be the connection's room."""

    doc: Literal["shared", "private"]
    message: bytes = Field(min_length=1, max_length=MAX_NOTES_MESSAGE_BYTES)
    room: str | None = Field(default=None, max_length=MAX_ID_CHARS)
