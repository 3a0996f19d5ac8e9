"""The OpenAPI 3.1 document of every REST endpoint, built from the pydantic models.

Request bodies, query parameters and responses are the models the handlers use
(``model_json_schema`` through pydantic's ``models_json_schema``), so the document cannot
drift from the code: the server serves it at ``GET /api/openapi.json``, and
``docs/openapi.json`` is a committed copy that a test compares with what the server
serves (and checks that every route under ``/api`` is described). Regenerate the copy
after changing an endpoint or a model with::

    .venv/bin/python -m web.openapi > docs/openapi.json
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, RootModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from rooms.notes.model import ActionItem

from .calls.routes import CreateRoomRequest
from .nodes.views import NodesView
from .notes.bodies import ItemPatch, ItemsView, PersonItemsView
from .notes.recordings import SessionRecordings
from .programmes.bodies import (
    AcceptBody,
    CoffeeBody,
    CreateProgrammeBody,
    ImportBody,
    IntroParams,
    ListParams,
    LockBody,
    MatchBody,
    SwapBody,
    UpdateProgrammeBody,
)
from .programmes.history import CoffeeHistoryView, IntroHistoryView
from .programmes.routes import STATUS as PROGRAMME_STATUS
from .programmes.views import (
    AcceptedView,
    DashboardView,
    ImportedView,
    ImportErrorBody,
    IntroEvent,
    IntrosView,
    MatchingView,
    MyIntroView,
    PeopleView,
    ProgrammeListView,
    ProgrammeView,
)
from .recordings.policy import PolicyBody, PolicyView
from .recordings.routes import STATUS as RECORDING_STATUS
from .recordings.views import (
    AuditParams,
    AuditView,
    DeletedRecording,
    DownloadLink,
    RecordingsParams,
    RecordingView,
    SessionView,
    SignedOut,
    SignInBody,
)
from .roundtables.bodies import CreatedRoundtable, CreateRoundtableRequest
from .scheduling.bodies import (
    AvailabilityBody,
    BookingBody,
    BookingsParams,
    PersonBody,
    RescheduleBody,
    RoundtableBody,
    SlotsParams,
)
from .scheduling.routes import status_of
from .scheduling.views import (
    AvailabilityView,
    BookingsView,
    BookingView,
    FeedView,
    MeView,
    PersonView,
    RegisteredPerson,
    SlotView,
    WebhookEvent,
    ZonesView,
)

Auth = Literal["admin", "person", "admin_or_host", "recordings_admin", "admin_session",
               "session_reader", "none"]
REF = "#/components/schemas/{model}"
CALENDAR = "text/calendar"
MARKDOWN = "text/markdown"
BINARY = "application/octet-stream"
PROMETHEUS = "text/plain"  # the Prometheus text exposition format
BODY_ERRORS = ("invalid_json", "invalid_body", "body_too_large")
PERSON = ("unauthorized",)
ZONE_ERRORS = ("unknown_zone", "nonexistent_local_time", "ambiguous_local_time")
RANGE_ERRORS = ("invalid_range", "range_too_long", "invalid_duration")
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again",
                               "schema": {"type": "integer"}}}
ADMIN = ("unauthorized", "forbidden", "session_expired", "csrf_invalid")
RECORDING_IDS = ("invalid_recording_id", "recording_not_found")
DOWNLOAD_HEADERS = {
    "Content-Range": {"description": "with 206: `bytes first-last/size`",
                      "schema": {"type": "string"}},
    "Accept-Ranges": {"description": "`bytes`", "schema": {"type": "string"}},
}
PROGRAMME = (*ADMIN, "programme_not_found")
IMPORT_ERRORS = ("invalid_import", "bad_encoding", "wrong_columns", "unknown_zone",
                 "body_too_large")
NEXT_LINK = {"Link": {"description": '`<url>; rel="next"`: the next page, when more follow',
                      "schema": {"type": "string"}}}


class ErrorDetail(BaseModel):
    """A stable machine-readable code and one human sentence."""

    code: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer."""

    error: ErrorDetail


class RoomLinks(BaseModel):
    mentor: str
    mentee: str


class CreatedRoom(BaseModel):
    """Answer of ``POST /api/rooms``."""

    room_id: str
    kind: Literal["coffee"]
    title: str
    expires_at: float = Field(description="epoch seconds")
    links: RoomLinks


class CreateRoomBody(RootModel[CreateRoomRequest | CreateRoundtableRequest]):
    """Body of ``POST /api/rooms``: a 1:1 coffee room (``kind`` absent or ``"coffee"``) or
    a roundtable (``"kind": "roundtable"``)."""


class CreatedRoomOrRoundtable(RootModel[CreatedRoom | CreatedRoundtable]):
    """Answer of ``POST /api/rooms``: the shape of the kind asked for."""


class Health(BaseModel):
    """Answer of ``GET /api/health``: 200 when ok, 503 when degraded."""

    ok: bool
    tzdata: str = Field(description="IANA version of the time-zone rules in use, e.g. 2026f")
    status: Literal["ok", "degraded"]
    redis: Literal["up", "down"] | None = Field(
        default=None, description="only when Redis is configured")


@dataclass(frozen=True)
class Operation:
    """One endpoint: what it takes, what it answers, which error codes it may send."""

    method: str
    path: str  # OpenAPI form: /api/bookings/{booking_id}
    summary: str
    auth: Auth
    response: type[BaseModel] | None
    status: int = 200
    many: bool = False  # the answer is a JSON list of ``response``
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    content_type: str = "application/json"
    errors: tuple[str, ...] = ()
    extra_query: tuple[tuple[str, str], ...] = ()  # (name, description), string-valued
    headers: dict[str, Any] | None = None  # of the success answer
    uses_store: bool = True  # may answer 503 ``unavailable`` while Redis is away


OPERATIONS: tuple[Operation, ...] = (
    Operation("get", "/api/health", "Liveness and dependencies (503 when degraded)", "none",
              Health, uses_store=False),
    Operation("post", "/api/rooms", "Create a room now: a 1:1 coffee room (two join links) or "
              "a roundtable (a link per person and/or a shareable one)", "admin",
              CreatedRoomOrRoundtable, 201, body=CreateRoomBody,
              errors=("unauthorized", *BODY_ERRORS)),
    Operation("get", "/api/openapi.json", "This document", "none", None, uses_store=False),
    Operation("get", "/api/nodes", "The live nodes of the deployment: URL, capacity, placed "
              "rooms, load, draining", "admin", NodesView, errors=("unauthorized",)),
    Operation("get", "/metrics", "This node's metrics in the Prometheus text format "
              "(docs/operations.md, Metrics); open on MENTORCALL_METRICS_BIND's listener",
              "admin", None, content_type=PROMETHEUS, errors=("unauthorized", "forbidden"),
              uses_store=False),
    Operation("post", "/api/people", "Register a person (schedule link, feed URL)", "admin",
              RegisteredPerson, 201, body=PersonBody,
              errors=("unauthorized", "unknown_zone", *BODY_ERRORS)),
    Operation("post", "/api/people/{identity}/link",
              "Re-issue a person's schedule link (earlier links stop working)", "admin",
              RegisteredPerson, errors=("unauthorized", "person_not_found")),
    Operation("get", "/api/people", "Everyone (admin), or a host's invitees (their programme)",
              "admin_or_host", PersonView, many=True, errors=("unauthorized", "forbidden")),
    Operation("get", "/api/me", "The caller, their availability, feed URL, counterparts",
              "person", MeView, errors=PERSON),
    Operation("put", "/api/me/availability", "Set the caller's weekly availability",
              "person", AvailabilityView, body=AvailabilityBody,
              errors=(*PERSON, "unknown_zone", "invalid_range", "range_too_long",
                      *BODY_ERRORS)),
    Operation("post", "/api/me/feed", "Revoke the feed URL and issue a new one", "person",
              FeedView, errors=PERSON),
    Operation("get", "/api/me/bookings", "The caller's upcoming sessions", "person",
              BookingView, many=True, query=BookingsParams,
              errors=(*PERSON, "invalid_body", "unknown_zone")),
    Operation("get", "/api/zones", "The zones of the server's tz database, offsets now",
              "none", ZonesView, uses_store=False),
    Operation("get", "/api/slots", "Common free slots of the caller and `with`, a page at "
              "a time (`limit`, from `after`)", "person",
              SlotView, many=True, query=SlotsParams,
              errors=(*PERSON, "invalid_body", "person_not_found", "forbidden",
                      "outside_programme", *RANGE_ERRORS, "rate_limited"),
              headers=NEXT_LINK),
    Operation("post", "/api/roundtable-slots", "Roundtable slots ranked by attendance",
              "person", SlotView, many=True, body=RoundtableBody,
              errors=(*PERSON, "forbidden", "outside_programme", "person_not_found",
                      *RANGE_ERRORS, *BODY_ERRORS, "rate_limited")),
    Operation("post", "/api/bookings", "Book a session or a series (creates the rooms)",
              "person", BookingsView, 201, body=BookingBody,
              errors=(*PERSON, "forbidden", "outside_programme", "person_not_found",
                      "slot_taken", "slot_unavailable", "slot_in_past", "too_soon",
                      *ZONE_ERRORS,
                      *RANGE_ERRORS, *BODY_ERRORS, "rate_limited")),
    Operation("patch", "/api/bookings/{booking_id}", "Reschedule (SEQUENCE +1, new links)",
              "person", BookingsView, body=RescheduleBody,
              errors=(*PERSON, "forbidden", "booking_not_found", "booking_cancelled",
                      "booking_changed", "slot_taken", "slot_unavailable", "slot_in_past",
                      "too_soon", "range_too_long", *ZONE_ERRORS, *BODY_ERRORS,
                      "rate_limited"),
              extra_query=(("scope", "`this` (default) or `following` (series)"),)),
    Operation("delete", "/api/bookings/{booking_id}", "Cancel", "person", BookingsView,
              errors=(*PERSON, "forbidden", "booking_not_found", "booking_cancelled",
                      "booking_changed", "invalid_body"),
              extra_query=(("scope", "`this` (default) or `following` (series)"),)),
    Operation("get", "/api/bookings/{booking_id}/invite.ics",
              "The invite (METHOD:REQUEST, or CANCEL once cancelled)", "person", None,
              content_type=CALENDAR, errors=(*PERSON, "forbidden", "booking_not_found")),
    Operation("get", "/api/notes/sessions/{room_id}", "A session's notes as Markdown: shared "
              "notes, action items (owners by name) and the caller's own private notes "
              "(participants, with their person token or a join token of the room up to 7 "
              "days after it expired, and admins)", "session_reader", None,
              content_type=MARKDOWN, errors=(*PERSON, "forbidden", "notes_not_found")),
    Operation("get", "/api/notes/sessions/{room_id}/recordings", "The session's recordings, "
              "oldest first: ids and admin API links for admins; participants see only that "
              "a recording exists", "session_reader", SessionRecordings,
              errors=(*PERSON, "forbidden", "notes_not_found")),
    Operation("get", "/api/notes/items", "The caller's open action items: every open item "
              "of each mentoring pair they are in; of each roundtable series they took part "
              "in, the ones they own and the ones nobody owns", "person", PersonItemsView,
              errors=PERSON),
    Operation("get", "/api/notes/pairs/{identity}/items", "The action items of the caller's "
              "mentoring pair with `identity`, across sessions", "person", ItemsView,
              errors=(*PERSON, "forbidden")),
    Operation("patch", "/api/notes/pairs/{identity}/items/{item_id}", "Close or reopen an "
              "action item of the pair (everywhere it is shown later)", "person",
              ActionItem, body=ItemPatch,
              errors=(*PERSON, "forbidden", "item_not_found", *BODY_ERRORS)),
    Operation("get", "/api/notes/series/{series_id}/items", "The action items of a "
              "roundtable series (its people, or an admin)", "person", ItemsView,
              errors=(*PERSON, "forbidden")),
    Operation("patch", "/api/notes/series/{series_id}/items/{item_id}", "Close or reopen an "
              "action item of the series", "person", ActionItem, body=ItemPatch,
              errors=(*PERSON, "forbidden", "item_not_found", *BODY_ERRORS)),
    Operation("get", "/feeds/{feed_token}.ics", "A person's private calendar feed (the URL "
              "is the secret)", "none", None, content_type=CALENDAR, errors=("forbidden",)),
    Operation("post", "/api/recordings-session", "Sign the admin page in with the admin key "
              "or an admin token: sets the HttpOnly, SameSite=Strict session cookie and "
              "answers its CSRF token (failed attempts rate-limited per address; audited)",
              "none", SessionView, body=SignInBody,
              errors=("unauthorized", "forbidden", "rate_limited", *BODY_ERRORS)),
    Operation("get", "/api/recordings-session", "The signed-in admin session (and its CSRF "
              "token, for a reloaded page)", "recordings_admin", SessionView,
              errors=("unauthorized", "session_expired")),
    Operation("delete", "/api/recordings-session", "Sign out: revokes the session on the "
              "server and clears its cookie (needs `X-CSRF-Token`; audited)",
              "recordings_admin", SignedOut,
              errors=("csrf_invalid",)),
    Operation("get", "/api/recordings", "Recordings, newest first, filtered by room, "
              "booking, participant and start date (admin; an admin token: its room's; "
              "audited)", "recordings_admin",
              RecordingView, many=True, query=RecordingsParams,
              errors=(*ADMIN, "invalid_body")),
    Operation("get", "/api/recordings/{recording_id}", "A recording's metadata: duration, "
              "participants, consent log, files and sizes, composition (admin; audited)",
              "recordings_admin", RecordingView, errors=(*ADMIN, *RECORDING_IDS)),
    Operation("delete", "/api/recordings/{recording_id}", "Delete a finished recording: "
              "its files, then its metadata (admin key only; audited)", "recordings_admin",
              DeletedRecording,
              errors=(*ADMIN, *RECORDING_IDS, "recording_in_progress",
                      "recording_elsewhere", "storage_unavailable")),
    Operation("post", "/api/recordings/{recording_id}/files/{name}/link", "A signed "
              "download URL for one file, valid `MENTORCALL_RECORDING_LINK_TTL_S` (admin; "
              "audited)", "recordings_admin", DownloadLink,
              errors=(*ADMIN, *RECORDING_IDS, "recording_file_not_found",
                      "recording_elsewhere", "storage_unavailable")),
    Operation("get", "/api/recordings/{recording_id}/files/{name}", "Download through a "
              "signed URL (the URL is the credential), with HTTP Range: 206 for one range "
              "(audited)", "none", None, content_type=BINARY, headers=DOWNLOAD_HEADERS,
              errors=("link_invalid", "link_expired", *RECORDING_IDS,
                      "recording_file_not_found", "recording_elsewhere",
                      "range_not_satisfiable", "storage_unavailable"),
              extra_query=(("expires", "from the signed URL"), ("sig", "from the signed URL"))),
    Operation("get", "/api/recordings-audit", "The audit log of recording access, newest "
              "first (admin key only; reading it is audited too)", "recordings_admin",
              AuditView,
              query=AuditParams, errors=(*ADMIN, "invalid_body")),
    Operation("get", "/api/rooms/{room_id}/recording-policy", "Who may start and stop "
              "recording the room: `mentor`, `either` (coffee rooms) or `hosts` "
              "(roundtables) (admin key only; audited)", "recordings_admin", PolicyView,
              errors=(*ADMIN, "room_not_found")),
    Operation("put", "/api/rooms/{room_id}/recording-policy", "Set who may record a coffee "
              "room (`mentor`, the default, or `either`), until the room ends (admin key "
              "only; audited)", "recordings_admin", PolicyView, body=PolicyBody,
              errors=(*ADMIN, "room_not_found", "room_closed", "invalid_policy",
                      *BODY_ERRORS)),
    Operation("post", "/api/programmes", "Create a mentoring programme and its matching "
              "settings", "admin_session", ProgrammeView, 201, body=CreateProgrammeBody,
              errors=(*ADMIN, *BODY_ERRORS)),
    Operation("get", "/api/programmes", "The programmes (id, name, created time, people, "
              "published), newest first, at most ``limit`` (200)", "admin_session",
              ProgrammeListView, query=ListParams, errors=(*ADMIN, "invalid_body")),
    Operation("get", "/api/programmes/{programme_id}", "A programme, with its numbers of "
              "mentors and mentees", "admin_session", ProgrammeView, errors=PROGRAMME),
    Operation("patch", "/api/programmes/{programme_id}", "Change a programme's settings "
              "(the fields sent; the next matching, publish or coffee round uses them)",
              "admin_session", ProgrammeView, body=UpdateProgrammeBody,
              errors=(*PROGRAMME, *BODY_ERRORS)),
    Operation("get", "/api/programmes/{programme_id}/people", "The imported people (key, "
              "name, role, zone, capacity, coffee), for the admin pages", "admin_session",
              PeopleView, errors=PROGRAMME),
    Operation("post", "/api/programmes/{programme_id}/people", "Import people (JSON), all "
              "or nothing; a refusal lists every bad row (ImportErrorBody)", "admin_session",
              ImportedView, 201, body=ImportBody,
              errors=(*PROGRAMME, *IMPORT_ERRORS, "invalid_json", "invalid_body")),
    Operation("post", "/api/programmes/{programme_id}/people.csv", "Import people from a "
              "CSV body (text/csv, UTF-8), all or nothing; a refusal lists every bad row",
              "admin_session", ImportedView, 201, errors=(*PROGRAMME, *IMPORT_ERRORS)),
    Operation("post", "/api/programmes/{programme_id}/matching", "Match mentors and mentees "
              "(the global optimum with capacities; locked pairs kept)", "admin_session",
              MatchingView, body=MatchBody,
              errors=(*PROGRAMME, "programme_infeasible", "matching_too_large",
                      "week_out_of_range", *BODY_ERRORS)),
    Operation("get", "/api/programmes/{programme_id}/matching", "The proposed pairs with "
              "their explanations, and who is unmatched and why", "admin_session", MatchingView,
              errors=(*PROGRAMME, "not_matched")),
    Operation("post", "/api/programmes/{programme_id}/matching/lock", "Lock (or unlock) a "
              "mentee's pair: re-runs keep it", "admin_session", MatchingView, body=LockBody,
              errors=(*PROGRAMME, "not_matched", "pair_not_found", *BODY_ERRORS)),
    Operation("post", "/api/programmes/{programme_id}/matching/swap", "Exchange the mentors "
              "of two mentees (both pairs then locked)", "admin_session", MatchingView,
              body=SwapBody, errors=(*PROGRAMME, "not_matched", "pair_not_found",
                                     "pair_excluded", *BODY_ERRORS)),
    Operation("post", "/api/programmes/{programme_id}/publish", "Publish: each pair's intro "
              "with three first-session times (booked at once with auto_book); a "
              "programme.intro webhook each", "admin_session", IntrosView,
              errors=(*PROGRAMME, "not_matched", "publish_in_progress", "slot_taken",
                      "slot_unavailable")),
    Operation("get", "/api/programmes/{programme_id}/intro", "The caller's intro: whom they "
              "meet, why, the offered times in both zones", "person", MyIntroView,
              query=IntroParams,
              errors=(*PERSON, "programme_not_found", "intro_not_found", "unknown_zone",
                      "invalid_body")),
    Operation("get", "/api/me/intro", "The caller's intro in the programme they were "
              "imported into (for the schedule page, which has only the token)", "person",
              MyIntroView, query=IntroParams,
              errors=(*PERSON, "programme_not_found", "intro_not_found", "unknown_zone",
                      "invalid_body")),
    Operation("post", "/api/programmes/{programme_id}/intro/accept", "Book one of the "
              "offered first-session times", "person", AcceptedView, 201, body=AcceptBody,
              errors=(*PERSON, "programme_not_found", "intro_not_found", "slot_not_offered",
                      "booking_exists", "slot_taken", "slot_unavailable", "too_soon",
                      "slot_in_past", *BODY_ERRORS)),
    Operation("post", "/api/programmes/{programme_id}/coffee-rounds", "Run a coffee round: "
              "pair the pool (>= 30 min common, no recent repeats) and book each coffee",
              "admin_session", IntrosView, 201, body=CoffeeBody,
              errors=(*PROGRAMME, "pool_too_small", "coffee_round_in_progress",
                      "coffee_round_exists", "week_out_of_range", *BODY_ERRORS)),
    Operation("get", "/api/programmes/{programme_id}/dashboard", "Participation figures, "
              "per-pair progress and coffee rounds over time", "admin_session", DashboardView,
              errors=PROGRAMME),
    Operation("get", "/api/programmes/{programme_id}/intros", "The intros sent at the last "
              "publish, each with its state (proposed, accepted, booked, cancelled) and "
              "its session", "admin_session", IntroHistoryView, errors=PROGRAMME),
    Operation("get", "/api/programmes/{programme_id}/coffee-rounds", "Past coffee rounds, "
              "newest first: the pairs with their bookings, who sat out", "admin_session",
              CoffeeHistoryView, errors=PROGRAMME),
)


def openapi_path(aiohttp_path: str) -> str:
    """``/feeds/{feed_token:[a-z]+}.ics`` -> ``/feeds/{feed_token}.ics``."""
    return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*):[^}]*\}", r"{\1}", aiohttp_path)


Refs = dict[tuple[Any, JsonSchemaMode], Any]


def _security(auth: Auth) -> list[dict[str, list[str]]]:
    schemes = {"admin": ["adminKey"], "person": ["personToken"],
               "admin_or_host": ["adminKey", "personToken"],
               "recordings_admin": ["adminKey", "adminSession"],
               "admin_session": ["adminKey", "adminSession"],
               "session_reader": ["adminKey", "adminSession", "personToken", "joinToken"],
               "none": []}[auth]
    return [{scheme: []} for scheme in schemes]


def _schemas() -> tuple[Refs, dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorBody, "serialization"),
                                                           (WebhookEvent, "serialization"),
                                                           (IntroEvent, "serialization"),
                                                           (ImportErrorBody, "serialization")]
    for op in OPERATIONS:
        if op.response is not None:
            wanted.append((op.response, "serialization"))
        if op.body is not None:
            wanted.append((op.body, "validation"))
    refs, defs = models_json_schema(list(dict.fromkeys(wanted)), by_alias=True,
                                    ref_template=REF)
    return refs, defs.get("$defs", {})


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
              for name in re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", op.path)]
    if op.query is not None:
        schema = op.query.model_json_schema(by_alias=True)
        required = set(schema.get("required", ()))
        params += [{"name": name, "in": "query", "required": name in required,
                    "schema": prop} for name, prop in schema["properties"].items()]
    params += [{"name": name, "in": "query", "required": False, "description": text,
                "schema": {"type": "string"}} for name, text in op.extra_query]
    return params


def _operation(op: Operation, refs: Refs) -> dict[str, Any]:
    if op.response is not None:
        ref = refs[(op.response, "serialization")]
        content = {op.content_type: {"schema": {"type": "array", "items": ref}
                                     if op.many else ref}}
    elif op.content_type in (CALENDAR, MARKDOWN, PROMETHEUS):
        content = {op.content_type: {"schema": {"type": "string"}}}
    elif op.content_type == BINARY:
        content = {BINARY: {"schema": {"type": "string", "format": "binary"}}}
    else:
        content = {op.content_type: {"schema": {"type": "object"}}}
    responses: dict[str, Any] = {str(op.status): {"description": op.summary,
                                                  "content": content}}
    if op.headers:
        responses[str(op.status)]["headers"] = op.headers
    by_status: dict[int, list[str]] = {}
    for code in (*op.errors, "unavailable") if op.uses_store else op.errors:
        status = (RECORDING_STATUS.get(code) or PROGRAMME_STATUS.get(code)
                  or status_of(code))
        by_status.setdefault(status, []).append(code)
    error_ref = refs[(ErrorBody, "serialization")]
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = {"description": "codes: " + ", ".join(codes),
                                  "content": {"application/json": {"schema": error_ref}}}
        if status == 429:
            responses[str(status)]["headers"] = RETRY_AFTER
    if op.response is Health:
        responses["503"] = {"description": "degraded: a dependency (Redis) is down",
                            "content": {"application/json": {
                                "schema": refs[(Health, "serialization")]}}}
    doc: dict[str, Any] = {"summary": op.summary, "operationId": _operation_id(op),
                           "responses": responses}
    params = _parameters(op)
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": refs[(op.body, "validation")]}}}
    doc["security"] = _security(op.auth)
    return doc


def _operation_id(op: Operation) -> str:
    words = re.findall(r"[A-Za-z]+", op.path.replace("{", "by_").replace("}", ""))
    return op.method + "_" + "_".join(w.lower() for w in words if w != "api")


def build_openapi() -> dict[str, Any]:
    """The whole document (deterministic: the same for every server)."""
    refs, schemas = _schemas()
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mentorcall",
            "version": metadata.version("mentorcall"),
            "description": "Rooms, people, availability, slots, bookings, calendars, "
                           "recordings and mentoring programmes. See docs/api.md, "
                           "docs/scheduling-api.md, docs/recordings-api.md and "
                           "docs/programmes-api.md. Webhook bodies are the WebhookEvent "
                           "and IntroEvent schemas.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "adminKey": {"type": "http", "scheme": "bearer",
                             "description": "the admin key (MENTORCALL_ADMIN_KEY)"},
                "personToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                "description": "the token of a person's schedule link"},
                "joinToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                              "description": "the token of a call link (a join token): "
                              "reads its own room's notes export"},
                "adminSession": {"type": "apiKey", "in": "cookie", "name": "mentorcall_admin",
                                 "description": "the admin page's session (POST "
                                 "/api/recordings-session); requests that change something "
                                 "also send X-CSRF-Token"},
            },
        },
    }


def openapi_route() -> web.RouteDef:
    """``GET /api/openapi.json``."""
    document = build_openapi()

    async def serve(request: web.Request) -> web.Response:
        return web.json_response(document)

    return web.get("/api/openapi.json", serve)


def main() -> int:
    """Print the document (``python -m web.openapi > docs/openapi.json``)."""
    sys.stdout.write(json.dumps(build_openapi(), indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
