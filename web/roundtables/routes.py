"""Creating roundtable rooms over HTTP: one link per named person and/or one shareable
participant link (see docs/api.md). Reached through ``POST /api/rooms`` with
``"kind": "roundtable"`` (:class:`web.calls.routes.RoomsApi` hands such bodies over)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from rooms.errors import RoomError
from rooms.models import Role
from rooms.service import RoomService
from signaling.dispatch import describe_validation_error

from ..rest import api_error
from .bodies import CreatedRoundtable, CreateRoundtableRequest, InviteLink, RoundtableLinks


class RoundtablesApi:
    """Makes roundtable rooms; the caller has checked the admin key."""

    def __init__(self, service: RoomService, base_url: str) -> None:
        self._service = service
        self._base_url = base_url

    def link(self, token: str) -> str:
        """The join page with ``token`` in the fragment (never sent to a server)."""
        return f"{self._base_url}/join#token={token}"

    async def create(self, value: Any) -> web.Response:
        """Create a roundtable from a parsed body; 201 with the links."""
        try:
            params = CreateRoundtableRequest.model_validate(value)
        except ValidationError as exc:
            return api_error(400, "invalid_body", describe_validation_error(exc))
        duration_s = params.duration_minutes * 60
        try:
            made = await self._service.create_roundtable_room(
                duration_s=duration_s,
                title=params.title,
                host_name=params.host_name,
                invitees=[(p.name, Role(p.role)) for p in params.participants],
                token_ttl_s=duration_s,
                capacity=params.capacity,
                shareable=params.shareable,
                lobby=params.lobby,
            )
        except RoomError as exc:
            return api_error(503 if exc.code == "unavailable" else 409, exc.code, exc.message)
        answer = CreatedRoundtable(
            room_id=made.room.room_id,
            kind="roundtable",
            title=made.room.title,
            capacity=made.room.capacity,
            lobby=params.lobby,
            expires_at=made.room.expires_at,
            links=RoundtableLinks(
                host=self.link(made.host_token),
                participants=[InviteLink(name=i.name, role=i.role.value,  # type: ignore[arg-type]
                                         link=self.link(i.token)) for i in made.invites],
                shareable=None if made.shareable_token is None
                else self.link(made.shareable_token),
            ),
        )
        return web.json_response(answer.model_dump(mode="json"), status=201)
