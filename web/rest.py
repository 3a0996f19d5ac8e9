"""What every REST handler shares: JSON errors with stable codes and bounded bodies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

MAX_BODY_BYTES = 64 * 1024


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
