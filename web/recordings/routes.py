"""The admin REST API of recordings (docs/recordings-api.md): list, metadata, delete,
signed download links, downloads with HTTP Range, and the audit log."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from rooms.errors import RoomError
from rooms.recordings.audit import AuditAction
from rooms.recordings.model import Recording
from rooms.recordings.storage import RecordingStorage, check_file_name, check_recording_id
from rooms.recordings.store import RecordingStore
from rooms.recordings.whereabouts import FileWhereabouts, elsewhere_message
from signaling.dispatch import describe_validation_error

from ..rest import Problem
from .access import LINK_ACTOR, Access, Caller, outside_room, safe_range
from .links import LinkRefused, LinkSigner
from .ranges import RangeNotSatisfiable, byte_range
from .views import (
    AuditParams,
    AuditView,
    DeletedRecording,
    DownloadLink,
    RecordingsParams,
    RecordingView,
)

STATUS = {"invalid_recording_id": 400, "invalid_body": 400, "recording_not_found": 404,
          "recording_file_not_found": 404, "recording_in_progress": 409,
          "recording_elsewhere": 409,
          "link_invalid": 403, "link_expired": 403, "range_not_satisfiable": 416,
          "storage_unavailable": 503, "unavailable": 503, "session_expired": 401,
          "csrf_invalid": 403, "rate_limited": 429, "room_not_found": 404,
          "room_closed": 409, "invalid_policy": 400}
CONTENT_TYPES = {".webm": "video/webm", ".mkv": "video/x-matroska", ".mp4": "video/mp4",
                 ".json": "application/json", ".ogg": "audio/ogg"}
FILE_ROUTE = "/api/recordings/{recording_id}/files/{name}"


def problem_of(exc: RoomError) -> Problem:
    return Problem(exc.code, exc.message, STATUS.get(exc.code, 400))


def content_type(name: str) -> str:
    suffix = name[name.rfind("."):] if "." in name else ""
    if suffix == ".webm" and ".audio." in name:
        return "audio/webm"
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


def answer(data: BaseModel | list[Any], status: int = 200) -> web.Response:
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else [
        d.model_dump(mode="json") for d in data]
    return web.json_response(payload, status=status,
                             headers={"Cache-Control": "no-store"})


class RecordingsApi:
    """Handlers of /api/recordings*; every answer is audited by :class:`Access`."""

    def __init__(self, store: RecordingStore, storage: RecordingStorage, access: Access,
                 links: LinkSigner, base_url: str,
                 whereabouts: FileWhereabouts | None = None) -> None:
        self.whereabouts = whereabouts if whereabouts is not None else FileWhereabouts()
        self._store = store
        self._storage = storage
        self._access = access
        self._links = links
        self._base_url = base_url

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/recordings", self.find),
            web.get("/api/recordings-audit", self.audit_log),
            web.get("/api/recordings/{recording_id}", self.read),
            web.delete("/api/recordings/{recording_id}", self.delete),
            web.post(FILE_ROUTE + "/link", self.link),
            web.get(FILE_ROUTE, self.download),
        ]

    async def _refuse(self, request: web.Request, actor: str, action: AuditAction,
                      refusal: Problem, recording_id: str | None = None,
                      file: str | None = None) -> Problem:
        await self._access.audit(request, actor, action, refused=refusal,
                                 recording_id=recording_id, file=file)
        return refusal

    async def _recording(self, request: web.Request, actor: str, action: AuditAction,
                         file: str | None = None, caller: Caller | None = None) -> Recording:
        """The recording named in the path (ids checked first) if ``caller`` reaches its
        room, or an audited refusal."""
        recording_id = request.match_info["recording_id"]
        try:
            check_recording_id(recording_id)
            if file is not None:
                check_file_name(file)
            found = await self._store.get(recording_id)
            if found is None:
                raise RoomError("recording_not_found")
        except RoomError as exc:
            raise await self._refuse(request, actor, action, problem_of(exc), recording_id,
                                     file) from None
        if caller is not None and not caller.reaches(found.room_id):
            raise await self._refuse(request, actor, action, outside_room(), recording_id, file)
        if file is not None and found.file(file) is None:
            # only the files the recording lists: not the sidecars, part files or
            # leftovers that share its folder
            raise await self._refuse(request, actor, action, problem_of(
                RoomError("recording_file_not_found")), recording_id, file)
        return found

    async def _query(self, request: web.Request, actor: str, action: AuditAction,
                     model: type[RecordingsParams] | type[AuditParams]) -> Any:
        try:
            return model.model_validate(dict(request.query))
        except ValidationError as exc:
            raise await self._refuse(request, actor, action, Problem(
                "invalid_body", describe_validation_error(exc))) from None

    async def find(self, request: web.Request) -> web.Response:
        caller = await self._access.admin(request, AuditAction.LIST)
        actor = caller.actor
        params: RecordingsParams = await self._query(request, actor, AuditAction.LIST,
                                                     RecordingsParams)
        where = params.where()
        if caller.room_id is not None:
            if not caller.reaches(where.room_id or caller.room_id):
                raise await self._refuse(request, actor, AuditAction.LIST, outside_room())
            where = where.model_copy(update={"room_id": caller.room_id})
        found = await self._store.find(where, params.limit)
        await self._access.audit(request, actor, AuditAction.LIST,
                                 detail=request.query_string[:500])
        return answer([RecordingView.of(r) for r in found])

    async def read(self, request: web.Request) -> web.Response:
        rid = request.match_info["recording_id"]
        caller = await self._access.admin(request, AuditAction.READ, rid)
        actor = caller.actor
        recording = await self._recording(request, actor, AuditAction.READ, caller=caller)
        await self._access.audit(request, actor, AuditAction.READ, recording_id=rid)
        return answer(RecordingView.of(recording))

    async def delete(self, request: web.Request) -> web.Response:
        rid = request.match_info["recording_id"]
        actor = (await self._access.admin(request, AuditAction.DELETE, rid,
                                          admin_key_only=True)).actor
        recording = await self._recording(request, actor, AuditAction.DELETE)
        if not recording.is_finished:
            message = ("Stop the recording before deleting it." if recording.is_active else
                       "Its server was lost while writing it; delete it once that server is "
                       "back and it is recovered.")
            raise await self._refuse(request, actor, AuditAction.DELETE, Problem(
                "recording_in_progress", message, 409), rid)
        await self._check_here(request, actor, AuditAction.DELETE, recording)
        try:
            count = await self._storage.delete_recording(rid)  # files first, then metadata
        except RoomError as exc:
            raise await self._refuse(request, actor, AuditAction.DELETE, problem_of(exc),
                                     rid) from None
        await self._store.delete(rid)
        await self._access.audit(request, actor, AuditAction.DELETE, recording_id=rid,
                                 detail=f"{count} files")
        return answer(DeletedRecording(recording_id=rid, files_deleted=count))

    async def _check_here(self, request: web.Request, actor: str, action: AuditAction,
                          recording: Recording, file: str | None = None) -> None:
        """Several nodes: refuse (409 ``recording_elsewhere``, naming the node) what
        needs files only the recording's node holds (see rooms/recordings/whereabouts);
        with ``file`` (one the recording lists), nothing if that file was uploaded."""
        if file is not None:
            found = recording.file(file)
            if found is None or found.uploaded:
                return
        node = await self.whereabouts.elsewhere(recording)
        if node is not None:
            raise await self._refuse(request, actor, action, Problem(
                "recording_elsewhere", elsewhere_message(node), 409,
            ), recording.recording_id, file)

    async def link(self, request: web.Request) -> web.Response:
        rid, name = request.match_info["recording_id"], request.match_info["name"]
        caller = await self._access.admin(request, AuditAction.LINK, rid, name)
        actor = caller.actor
        recording = await self._recording(request, actor, AuditAction.LINK, name, caller)
        await self._check_here(request, actor, AuditAction.LINK, recording, name)
        try:
            size = await self._storage.size(rid, name)
        except RoomError as exc:
            raise await self._refuse(request, actor, AuditAction.LINK, problem_of(exc), rid,
                                     name) from None
        signed = self._links.sign(rid, name)
        await self._access.audit(request, actor, AuditAction.LINK, recording_id=rid,
                                 file=name, detail=f"expires {signed.expires_at}")
        return answer(DownloadLink(url=self._base_url + signed.path,
                                   expires_at=signed.expires_at, size=size))

    async def download(self, request: web.Request) -> web.StreamResponse:
        rid, name = request.match_info["recording_id"], request.match_info["name"]
        action = AuditAction.DOWNLOAD
        try:
            check_recording_id(rid)
            check_file_name(name)
            self._links.verify(rid, name, request.query.get("expires"),
                               request.query.get("sig"))
        except RoomError as exc:
            raise await self._refuse(request, LINK_ACTOR, action, problem_of(exc), rid,
                                     name) from None
        except LinkRefused as exc:
            raise await self._refuse(request, LINK_ACTOR, action,
                                     Problem(exc.code, exc.message, 403), rid, name) from None
        recording = await self._recording(request, LINK_ACTOR, action, name)
        await self._check_here(request, LINK_ACTOR, action, recording, name)
        try:
            size = await self._storage.size(rid, name)
            chosen = byte_range(request.headers.get("Range"), size)
        except RoomError as exc:
            raise await self._refuse(request, LINK_ACTOR, action, problem_of(exc), rid,
                                     name) from None
        except RangeNotSatisfiable as exc:
            refusal = Problem("range_not_satisfiable", f"The file has {exc.size} bytes; "
                              "ask for one range inside it.", 416,
                              {"Content-Range": f"bytes */{exc.size}"})
            await self._access.audit(request, LINK_ACTOR, action, refused=refusal,
                                     recording_id=rid, file=name,
                                     detail=safe_range(exc.header))
            raise refusal from None
        await self._access.audit(request, LINK_ACTOR, action, recording_id=rid, file=name,
                                 detail=(chosen.content_range(size) if chosen.partial
                                         else f"whole {size} bytes"))
        headers = {"Content-Type": content_type(name), "Accept-Ranges": "bytes",
                   "Cache-Control": "private, no-store",
                   "Content-Disposition": f'inline; filename="{name}"'}
        if chosen.partial:
            headers["Content-Range"] = chosen.content_range(size)
        response = web.StreamResponse(status=206 if chosen.partial else 200, headers=headers)
        response.content_length = chosen.length
        await response.prepare(request)
        if request.method != "HEAD":
            async for chunk in self._storage.read_range(rid, name, chosen.start, chosen.length):
                await response.write(chunk)
        await response.write_eof()
        return response

    async def audit_log(self, request: web.Request) -> web.Response:
        actor = (await self._access.admin(request, AuditAction.AUDIT, admin_key_only=True)).actor
        params: AuditParams = await self._query(request, actor, AuditAction.AUDIT, AuditParams)
        entries = await self._store.audit_log(params.limit, params.recording_id)
        await self._access.audit(request, actor, AuditAction.AUDIT,
                                 recording_id=params.recording_id)
        return answer(AuditView(entries=entries))
