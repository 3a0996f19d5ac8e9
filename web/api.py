"""The REST API: room creation for admins, health for operators (see docs/api.md)."""

from __future__ import annotations

import hmac
import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rooms.errors import RoomError
from rooms.service import RoomService
from signaling.dispatch import describe_validation_error

MAX_BODY_BYTES = 64 * 1024


class CreateRoomRequest(BaseModel):
    """Body of `POST /api/rooms`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    mentor_name: str = Field(min_length=1, max_length=80)
    mentee_name: str = Field(min_length=1, max_length=80)
    title: str = Field(default="", max_length=120)
    duration_minutes: int = Field(default=30, ge=5, le=240)


def api_error(status: int, code: str, message: str) -> web.Response:
    """A JSON error with a stable code, like the Socket.IO acks."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


class RoomsApi:
    """Handlers for /api/*; the admin key is compared in constant time."""

    def __init__(
        self, service: RoomService, admin_key: str, base_url: str, default_minutes: int = 30
    ) -> None:
        self._service = service
        self._admin_key = admin_key.encode()
        self._base_url = base_url
        self._default_minutes = default_minutes

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/api/rooms", self.create_room),
            web.get("/api/health", self.health),
        ]

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(key.encode(), self._admin_key)

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def create_room(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return api_error(401, "unauthorized", "Send the admin key as 'Authorization: Bearer'.")
        body = await read_json(request)
        if isinstance(body, web.Response):
            return body
        try:
            params = CreateRoomRequest.model_validate(body)
        except ValidationError as exc:
            return api_error(400, "invalid_body", describe_validation_error(exc))
        minutes = (
            params.duration_minutes
            if "duration_minutes" in params.model_fields_set
            else self._default_minutes
        )
        duration_s = minutes * 60
        try:
            room, mentor_token, mentee_token = await self._service.create_coffee_room(
                duration_s=duration_s,
                title=params.title,
                mentor_name=params.mentor_name,
                mentee_name=params.mentee_name,
                token_ttl_s=duration_s,
            )
        except RoomError as exc:
            return api_error(409, exc.code, exc.message)
        return web.json_response(
            {
                "room_id": room.room_id,
                "kind": room.kind.value,
                "title": room.title,
                "expires_at": room.expires_at,
                "links": {
                    "mentor": f"{self._base_url}/join#token={mentor_token}",
                    "mentee": f"{self._base_url}/join#token={mentee_token}",
                },
            },
            status=201,
        )


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
