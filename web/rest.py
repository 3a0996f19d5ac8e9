"""What every REST handler shares: JSON errors with stable codes and bounded bodies."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from rooms.errors import StoreUnavailable

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
API_PREFIXES = ("/api/", "/feeds/")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def api_error(status: int, code: str, message: str) -> web.Response:
    """A JSON error with a stable code, like the Socket.IO acks."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def read_json(request: web.Request) -> Any:
    """The request's JSON body, or an error response saying what is wrong with it."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return api_error(413, "body_too_large", f"Bodies are limited to {MAX_BODY_BYTES} bytes.")
    try:
        raw = await request.content.read(MAX_BODY_BYTES + 1)
    except ValueError:
        return api_error(400, "invalid_body", "The body could not be read.")
    if len(raw) > MAX_BODY_BYTES:
        return api_error(413, "body_too_large", f"Bodies are limited to {MAX_BODY_BYTES} bytes.")
    try:
        return json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return api_error(400, "invalid_json", "The body must be a JSON object.")


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No REST answer is a plain-text 500: the store being away is ``503 unavailable``,
    anything unexpected ``500 internal_error``, both with the JSON error body."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except StoreUnavailable as exc:
        return api_error(503, exc.code, exc.message)
    except Exception:
        if not request.path.startswith(API_PREFIXES):
            raise
        # The route's pattern, not the path: a feed path carries the feed's secret.
        route = request.match_info.route.resource
        logger.exception("%s %s failed", request.method,
                         route.canonical if route is not None else "?")
        return api_error(500, "internal_error", "The server hit an error.")
