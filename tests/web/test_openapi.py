"""The OpenAPI document: served, committed, complete, and consistent with the models."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from tests.live_server import live_server
from web.openapi import OPERATIONS, build_openapi, openapi_path
from web.scheduling.routes import STATUS_BY_CODE

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "openapi.json"


async def test_the_served_document_is_the_committed_one() -> None:
    async with live_server() as server, aiohttp.ClientSession() as http:
        response = await http.get(f"{server.base_url}/api/openapi.json")
        assert response.status == 200
        served = await response.json()
        routes = {
            (route.method.lower(), openapi_path(route.resource.canonical))
            for route in server.app.router.routes()
            if route.resource is not None and route.method != "HEAD"
            and route.resource.canonical.startswith(("/api/", "/feeds/", "/metrics"))
        }
    committed = json.loads(COMMITTED.read_text())
    assert served == committed, (
        "docs/openapi.json is stale: run `.venv/bin/python -m web.openapi > docs/openapi.json`")
    documented = {(method, path) for path, item in served["paths"].items() for method in item}
    assert routes == documented, routes ^ documented


def test_every_reference_resolves_and_every_operation_is_described() -> None:
    document = build_openapi()
    assert document["openapi"].startswith("3.1")
    schemas = document["components"]["schemas"]
    text = json.dumps(document)
    for ref in set(part.split('"')[0] for part in text.split('"$ref": "')[1:]):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["summary"] and operation["responses"], (method, path)
            assert len({o["operationId"] for o in item.values()}) == len(item)
    assert "WebhookEvent" in schemas


def test_bodies_refuse_unknown_fields_and_name_their_aliases() -> None:
    schemas = build_openapi()["components"]["schemas"]
    for op in OPERATIONS:
        if op.body is not None:
            body = schemas[op.body.__name__]
            # A body of several shapes (POST /api/rooms: coffee or roundtable) is each.
            shapes = [schemas[m["$ref"].rsplit("/", 1)[1]] for m in body.get("anyOf", [])]
            for shape in shapes or [body]:
                assert shape["additionalProperties"] is False, op.path
    assert len(schemas["CreateRoomBody"]["anyOf"]) == 2
    assert "with" in schemas["BookingBody"]["properties"]
    assert "with" in schemas["BookingView"]["properties"]
    assert "from" in schemas["RoundtableBody"]["properties"]


def test_error_statuses_follow_the_code_table() -> None:
    document = build_openapi()
    booking = document["paths"]["/api/bookings"]["post"]["responses"]
    assert "slot_taken" in booking["409"]["description"]
    assert "unauthorized" in booking["401"]["description"]
    assert STATUS_BY_CODE["person_not_found"] == 404 and "404" in booking


def test_changes_document_the_race_and_notice_codes() -> None:
    paths = build_openapi()["paths"]
    change = paths["/api/bookings/{booking_id}"]
    for method in ("patch", "delete"):
        assert "booking_changed" in change[method]["responses"]["409"]["description"]
    assert "too_soon" in change["patch"]["responses"]["400"]["description"]
    assert "too_soon" in paths["/api/bookings"]["post"]["responses"]["400"]["description"]


def test_every_store_backed_operation_documents_unavailable() -> None:
    paths = build_openapi()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            if path in ("/api/health", "/api/openapi.json", "/api/zones", "/metrics"):  # no store
                continue
            if (method, path) == ("get", "/api/recordings-session"):  # reads the cookie only
                continue
            assert "unavailable" in operation["responses"]["503"]["description"], (method, path)
    assert "503" in paths["/api/health"]["get"]["responses"]
