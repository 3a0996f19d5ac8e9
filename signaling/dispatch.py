"""The boundary of every inbound event: size limit, schema validation, error mapping."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from media.errors import MediaError
from rooms.errors import RoomError

from .errors import SignalingError, error_ack
from .payloads import MAX_PAYLOAD_BYTES

logger = logging.getLogger(__name__)

Ack = dict[str, Any]


def payload_size(args: tuple[Any, ...], max_bytes: int = MAX_PAYLOAD_BYTES) -> int:
    """Bytes the event's arguments take on the wire (binary attachments count raw, also
    inside an object: ``{"message": <bytes>}``)."""
    size = 0
    for arg in args:
        if isinstance(arg, bytes | bytearray):
            size += len(arg)
            continue
        if isinstance(arg, dict):
            size += sum(len(v) for v in arg.values() if isinstance(v, bytes | bytearray))
            arg = {k: ("" if isinstance(v, bytes | bytearray) else v) for k, v in arg.items()}
        try:
            size += len(json.dumps(arg, separators=(",", ":")))
        except (TypeError, ValueError):
            size += max_bytes + 1  # not JSON: refuse below
    return size


def parse_payload(model: type[BaseModel], args: tuple[Any, ...],
                  max_bytes: int = MAX_PAYLOAD_BYTES) -> BaseModel:
    """Validate an event's arguments against its model (at most ``max_bytes`` on the
    wire), or raise `SignalingError`."""
    if payload_size(args, max_bytes) > max_bytes:
        raise SignalingError(
            "payload_too_large", f"This event's payloads are limited to {max_bytes} bytes."
        )
    if len(args) > 1:
        raise SignalingError("invalid_payload", "Send exactly one JSON object per event.")
    data = args[0] if args else {}
    if not isinstance(data, dict):
        raise SignalingError("invalid_payload", "The payload must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SignalingError("invalid_payload", describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """One sentence naming the first bad field, without echoing the client's input."""
    first = exc.errors(include_input=False, include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    return f"Field '{where}': {first['msg']}."


async def run_handler(event: str, sid: str, call: Callable[[], Awaitable[Ack]]) -> Ack:
    """Run one handler and turn every failure into an error ack; never raise."""
    try:
        return await call()
    except SignalingError as exc:
        return error_ack(exc.code, exc.message, exc.retry_after_s, exc.details)
    except (RoomError, MediaError) as exc:
        return error_ack(exc.code, exc.message)
    except Exception:
        logger.exception("event %r from %s failed", event, sid)
        return error_ack("internal_error", "The server hit an error; the call carries on.")
