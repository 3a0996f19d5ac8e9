"""The rooms REST API: room creation for admins, health for operators (see docs/api.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rooms.errors import RoomError
from rooms.models import DisplayName
from rooms.scheduling import tzdb
from rooms.service import RoomService
from signaling.dispatch import describe_validation_error

from ..credentials import same_secret
from ..rest import api_error, read_json
from ..roundtables.routes import RoundtablesApi


class CreateRoomRequest(BaseModel):
    """Body of `POST /api/rooms`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Literal["coffee"] = "coffee"
    mentor_name: DisplayName
    mentee_name: DisplayName
    title: str = Field(default="", max_length=120)
    duration_minutes: int = Field(default=30, ge=5, le=240)


class RoomsApi:
    """Handlers for /api/*; the admin key is compared in constant time."""

    def __init__(
        self,
        service: RoomService,
        admin_key: str,
        base_url: str,
        default_minutes: int = 30,
        redis_up: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self._service = service
        self._redis_up = redis_up  # None: no Redis configured
        self._admin_key = admin_key.encode()
        self._base_url = base_url
        self._default_minutes = default_minutes
        self._roundtables = RoundtablesApi(service, base_url)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/api/rooms", self.create_room),
            web.get("/api/health", self.health),
        ]

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        return scheme.lower() == "bearer" and same_secret(key, self._admin_key)

    async def health(self, request: web.Request) -> web.Response:
        """200 ``{"ok": true, "status": "ok", "tzdata": "<IANA version>"}``; 503 with
        ``"status": "degraded"`` while a dependency is down (``"redis": "up" | "down"``
        when Redis is configured)."""
        body: dict[str, Any] = {"ok": True, "status": "ok", "tzdata": tzdb.version()}
        if self._redis_up is not None:
            up = await self._redis_up()
            body["redis"] = "up" if up else "down"
            if not up:
                body.update(ok=False, status="degraded")
        return web.json_response(body, status=200 if body["ok"] else 503)

    async def create_room(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return api_error(401, "unauthorized", "Send the admin key as 'Authorization: Bearer'.")
        body = await read_json(request)  # a Problem for bad JSON (web.rest.json_errors)
        if isinstance(body.value, dict) and body.value.get("kind") == "roundtable":
            return await self._roundtables.create(body.value)
        try:
            params = CreateRoomRequest.model_validate(body.value)
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
            return api_error(503 if exc.code == "unavailable" else 409, exc.code, exc.message)
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
