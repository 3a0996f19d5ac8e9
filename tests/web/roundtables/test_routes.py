"""POST /api/rooms with "kind": "roundtable" over a real server: links per person, a
shareable link, capacity and lobby, and coded refusals."""

from __future__ import annotations

from typing import Any

from rooms.models import Role
from rooms.roundtables.redis_store import RedisRoundtableStore
from tests.live_server import LiveServer, live_server, token_of
from tests.web.calls.test_routes import post_rooms

BODY: dict[str, Any] = {
    "kind": "roundtable",
    "host_name": "Hana",
    "participants": [{"name": "Ana", "role": "co-host"}, {"name": "Ben"},
                     {"name": "Oli", "role": "observer"}],
}


async def create(server: LiveServer, **fields: Any) -> dict[str, Any]:
    status, answer = await post_rooms(server, BODY | fields)
    assert status == 201, answer
    return answer


async def test_one_link_per_person_and_a_shareable_one() -> None:
    async with live_server() as server:
        answer = await create(server, shareable=True, capacity=30, lobby=True,
                              title="Circle", duration_minutes=90)
        assert {k: answer[k] for k in ("kind", "title", "capacity", "lobby")} == {
            "kind": "roundtable", "title": "Circle", "capacity": 30, "lobby": True}
        service = server.services.service
        links = answer["links"]
        host = service.verify(token_of(links["host"]))
        people = [service.verify(token_of(p["link"])) for p in links["participants"]]
        shared = service.verify(token_of(links["shareable"]))
        assert [(p["name"], p["role"]) for p in links["participants"]] == [
            ("Ana", "co-host"), ("Ben", "participant"), ("Oli", "observer")]
        assert (host.role, host.admin) == (Role.HOST, True)
        assert [(g.role, g.publish, g.record) for g in people] == [
            (Role.CO_HOST, True, True), (Role.PARTICIPANT, True, False),
            (Role.OBSERVER, False, False)]
        assert (host.record, shared.record) == (True, False)
        assert (shared.role, shared.shareable) == (Role.PARTICIPANT, True)
        assert {g.room_id for g in [host, *people, shared]} == {answer["room_id"]}
        assert links["host"].startswith(f"{server.base_url}/join#token=")
        room = await server.services.store.get_room(answer["room_id"])
        assert room is not None and room.expires_at - room.created_at == 90 * 60
        state = await service.roundtables.state(answer["room_id"])
        assert (state.host, state.co_hosts, state.lobby) == (host.identity,
                                                             [people[0].identity], True)
        guest, personal = await service.redeem(token_of(links["shareable"]), None, "Zoe")
        assert personal is not None and guest.identity != shared.identity


async def test_a_shareable_link_alone_and_the_defaults() -> None:
    async with live_server() as server:
        answer = await create(server, participants=[], shareable=True)
        assert (answer["capacity"], answer["lobby"], answer["links"]["participants"]) == (
            12, False, [])
        room = await server.services.store.get_room(answer["room_id"])
        assert room is not None and room.expires_at - room.created_at == 60 * 60
        status, coffee = await post_rooms(server, {"kind": "coffee", "mentor_name": "Ada",
                                                   "mentee_name": "Bea"})
        assert (status, coffee["kind"], sorted(coffee["links"])) == (
            201, "coffee", ["mentee", "mentor"])


async def test_bad_roundtable_requests_get_coded_answers() -> None:
    many = [{"name": f"P{i}"} for i in range(12)]
    cases: list[tuple[dict[str, Any], str | None, int, str]] = [
        (BODY, "wrong-key", 401, "unauthorized"),
        ({k: v for k, v in BODY.items() if k != "host_name"}, None, 400, "invalid_body"),
        (BODY | {"participants": [], "shareable": False}, None, 400, "invalid_body"),
        (BODY | {"participants": many}, None, 400, "invalid_body"),  # 13 > 12
        (BODY | {"capacity": 51}, None, 400, "invalid_body"),
        (BODY | {"capacity": 1}, None, 400, "invalid_body"),
        (BODY | {"participants": [{"name": "Eve", "role": "host"}]}, None, 400,
         "invalid_body"),
        (BODY | {"participants": [{"name": "\u202eEve"}]}, None, 400, "invalid_body"),
        (BODY | {"mentor_name": "Ada"}, None, 400, "invalid_body"),
        (BODY | {"shareable": "yes"}, None, 400, "invalid_body"),
        (BODY | {"kind": "party"}, None, 400, "invalid_body"),
    ]
    async with live_server() as server:
        for body, key, status, code in cases:
            got_status, got = await post_rooms(server, body, key)
            assert (got_status, got["error"]["code"]) == (status, code), body
            assert got["error"]["message"]
        answer = await create(server, participants=many[:11])  # exactly 12
        assert len(answer["links"]["participants"]) == 11


async def test_with_redis_the_roundtable_state_is_shared(redis_url: str) -> None:
    async with live_server(redis_url=redis_url) as server:
        answer = await create(server, lobby=True)
    store = RedisRoundtableStore(redis_url)  # another process, after this one stopped
    state = await store.get(answer["room_id"])
    await store.close()
    assert state is not None and state.lobby and state.host is not None
