"""What every REST handler shares: JSON errors with stable codes, one bounded JSON body
reader, and a middleware that never lets an exception out as a plain-text 500."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from rooms.errors import StoreUnavailable

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32  # the deepest body of the API nests 4 levels
MAX_NUMBER_CHARS = 32  # JSON numbers of the API are small counts, lengths and flags



class Problem(Exception):
    """An error answer raised from inside a handler: a stable code, a sentence, a status
    (and optional headers, e.g. ``Retry-After``)."""

    def __init__(self, code: str, message: str, status: int = 400,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.status = status
        self.headers = headers or {}


def api_error(status: int, code: str, message: str,
              headers: dict[str, str] | None = None) -> web.Response:
    """A JSON error with a stable code, like the Socket.IO acks."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             headers=headers)


def rate_limited(retry_after_s: float, what: str) -> Problem:
    """A 429 ``rate_limited`` saying when to try again (``Retry-After``, whole seconds)."""
    wait = max(1, math.ceil(retry_after_s))
    return Problem("rate_limited", f"Too many {what}; try again in {wait} s.", 429,
                   {"Retry-After": str(wait)})


@dataclass(frozen=True)
class JsonBody:
    """A request body known to be JSON within the bounds: its bytes and its value."""

    raw: bytes
    value: Any


def json_depth(value: Any) -> int:
    """How deep arrays and objects nest in a parsed JSON value (iteratively)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(
            item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _number(text: str) -> float | int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"Numbers are limited to {MAX_NUMBER_CHARS} characters.")
    value = float(text) if any(c in text for c in ".eE") else int(text)
    if isinstance(value, float) and not math.isfinite(value):
        raise _Refused("Numbers must be finite.")
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not JSON.")


class _Refused(ValueError):
    """A body outside the bounds (its message is safe to send back)."""


def parse_json(raw: bytes) -> JsonBody:
    """Parse a body within the bounds (depth, number size, no NaN), else ``invalid_json``."""
    raw = raw or b"{}"
    try:
        # The C parser refuses deeper than the recursion limit (RecursionError below).
        value = json.loads(raw, parse_int=_number, parse_float=_number,
                           parse_constant=_constant)
        if json_depth(value) > MAX_JSON_DEPTH:
            raise _Refused(f"JSON may nest at most {MAX_JSON_DEPTH} levels.")
    except _Refused as exc:
        raise Problem("invalid_json", f"The body's JSON is out of bounds: {exc}") from None
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError included
        raise Problem("invalid_json", "The body must be a JSON object.") from None
    return JsonBody(raw, value)


async def read_json(request: web.Request) -> JsonBody:
    """The request's body, at most :data:`MAX_BODY_BYTES`, parsed within the bounds;
    ``body_too_large`` (413), ``invalid_body`` or ``invalid_json`` (400) otherwise."""
    too_large = Problem("body_too_large", f"Bodies are limited to {MAX_BODY_BYTES} bytes.", 413)
    return parse_json(await read_bounded(request, MAX_BODY_BYTES, too_large))


async def read_bounded(request: web.Request, limit: int, too_large: Problem) -> bytes:
    """The whole request body, however many pieces it arrives in; ``too_large`` as soon
    as it passes ``limit`` bytes (or says it will), ``invalid_body`` if it cannot be read.

    One ``content.read(n)`` returns what has arrived so far, not the whole body: a body
    sent in pieces (a slow network, chunked encoding) would be cut short."""
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := await request.content.read(limit + 1 - size):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise too_large
    except ValueError as exc:
        raise Problem("invalid_body", "The body could not be read.") from exc
    return b"".join(chunks)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A raised :class:`Problem` becomes its coded answer; any other exception is logged
    and answered ``500 internal_error`` in JSON, never aiohttp's plain-text page."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Problem as exc:
        return api_error(exc.status, exc.code, exc.message, exc.headers)
    except StoreUnavailable as exc:
        return api_error(503, exc.code, exc.message)
    except Exception:
        # The route's pattern, not the path: a feed path carries the feed's secret.
        route = request.match_info.route.resource
        logger.exception("%s %s failed", request.method,
                         route.canonical if route is not None else "?")
        return api_error(500, "internal_error", "The server hit an error.")
