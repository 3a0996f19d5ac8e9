"""``/api/rooms/{room_id}/recording-policy``: read or set who may record a room (admins).

Who may start and stop a recording is :mod:`rooms.recordings.policy`: a coffee room's
mentor only (the default) or either participant; a roundtable's hosts and co-hosts (fixed:
a roundtable has no other setting). The answer and the body name it in one field,
``who_may_record``: ``mentor``, ``either`` or ``hosts``. The admin key only (a room's
admin token could otherwise widen its own room's rule); every answer is audited, as the
rest of the recordings API. A change is told to the room's call pages at once (the
`recording_policy` event, docs/protocol.md): their Record button follows it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rooms.errors import RoomError
from rooms.models import Room, RoomKind
from rooms.recordings.audit import AuditAction
from rooms.recordings.policy import CoffeeRecorders, RecordingPolicy, who_may_record
from rooms.recordings.service import RecordingService
from signaling.dispatch import describe_validation_error

from ..rest import Problem, read_json
from .access import Access

logger = logging.getLogger(__name__)

POLICY_ROUTE = "/api/rooms/{room_id}/recording-policy"

# Tells a room's connections its new rule: (room id, who_may_record).
TellRoom = Callable[[str, str], Awaitable[None]]


class WhoMayRecord(StrEnum):
    MENTOR = "mentor"  # a coffee room's mentor only (the default)
    EITHER = "either"  # either person of a coffee room
    HOSTS = "hosts"  # a roundtable's host and co-hosts (its only rule)


class PolicyBody(BaseModel):
    """Body of ``PUT /api/rooms/{room_id}/recording-policy``."""

    model_config = ConfigDict(extra="forbid")

    who_may_record: WhoMayRecord = Field(description="`mentor` or `either` for a coffee "
                                         "room; `hosts` for a roundtable (its only rule)")


class PolicyView(BaseModel):
    """A room's recording policy. Starting also needs the `record` grant in the link."""

    room_id: str
    kind: RoomKind
    who_may_record: WhoMayRecord


def view(room: Room, policy: RecordingPolicy) -> PolicyView:
    return PolicyView(room_id=room.room_id, kind=room.kind,
                      who_may_record=WhoMayRecord(who_may_record(room.kind, policy)))


def policy_for(room: Room, who: WhoMayRecord) -> RecordingPolicy:
    """The policy ``who`` means in ``room``; ``invalid_policy`` if it has no place there."""
    if room.kind is RoomKind.ROUNDTABLE:
        if who is not WhoMayRecord.HOSTS:
            raise Problem("invalid_policy", "In a roundtable its host and co-hosts record: "
                          "the only setting is \"hosts\".")
        return RecordingPolicy()
    if who is WhoMayRecord.HOSTS:
        raise Problem("invalid_policy", "A coffee room has no hosts: choose \"mentor\" or "
                      "\"either\".")
    return RecordingPolicy(coffee_recorders=CoffeeRecorders(who.value))


class RecordingPolicyApi:
    """GET and PUT of a room's recording policy."""

    def __init__(self, service: RecordingService, access: Access,
                 get_room: Callable[[str], Awaitable[Room | None]],
                 tell_room: TellRoom | None = None) -> None:
        self._service = service
        self._access = access
        self._get_room = get_room
        self._tell_room = tell_room

    def routes(self) -> list[web.RouteDef]:
        return [web.get(POLICY_ROUTE, self.read), web.put(POLICY_ROUTE, self.write)]

    async def _room(self, request: web.Request, actor: str) -> Room:
        room_id = request.match_info["room_id"]
        room = await self._get_room(room_id)
        if room is None:
            refusal = Problem("room_not_found", RoomError("room_not_found").message, 404)
            await self._access.audit(request, actor, AuditAction.POLICY, refused=refusal,
                                     detail=f"room {room_id}")
            raise refusal
        return room

    async def read(self, request: web.Request) -> web.Response:
        caller = await self._access.admin(request, AuditAction.POLICY, admin_key_only=True)
        room = await self._room(request, caller.actor)
        policy = await self._service.store.policy(room.room_id)
        await self._access.audit(request, caller.actor, AuditAction.POLICY,
                                 detail=f"read room {room.room_id}")
        return web.json_response(view(room, policy).model_dump(mode="json"),
                                 headers={"Cache-Control": "no-store"})

    async def write(self, request: web.Request) -> web.Response:
        caller = await self._access.admin(request, AuditAction.POLICY, admin_key_only=True)
        room = await self._room(request, caller.actor)
        try:
            body = PolicyBody.model_validate((await read_json(request)).value)
            policy = policy_for(room, body.who_may_record)
        except ValidationError as exc:
            invalid = Problem("invalid_body", describe_validation_error(exc))
            await self._access.audit(request, caller.actor, AuditAction.POLICY,
                                     refused=invalid, detail=f"room {room.room_id}")
            raise invalid from None
        except Problem as refusal:
            await self._access.audit(request, caller.actor, AuditAction.POLICY,
                                     refused=refusal, detail=f"room {room.room_id}")
            raise
        if room.kind is RoomKind.COFFEE:
            try:
                await self._service.set_policy(room, policy)
            except RoomError as exc:  # room_closed (or the store away)
                closed = Problem(exc.code, exc.message,
                                 503 if exc.code == "unavailable" else 409)
                await self._access.audit(request, caller.actor, AuditAction.POLICY,
                                         refused=closed, detail=f"room {room.room_id}")
                raise closed from None
            if self._tell_room is not None:
                try:
                    await self._tell_room(room.room_id, body.who_may_record.value)
                except Exception:  # the setting holds; pages learn it at their next join
                    logger.exception("telling room %s its recording policy failed",
                                     room.room_id)
        await self._access.audit(request, caller.actor, AuditAction.POLICY,
                                 detail=f"set room {room.room_id}: {body.who_may_record}")
        return web.json_response(view(room, policy).model_dump(mode="json"),
                                 headers={"Cache-Control": "no-store"})
