"""/metrics: a real call (aiortc peers over Socket.IO), then a scrape parsed with
prometheus_client's own text parser; refusals without the admin key; the open listener."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.live_server import LiveServer, live_server, token_of
from tests.signaling.subscribing import connect
from web.metrics.node import node_id_of
from web.metrics.routes import METRICS_LISTENER
from web.settings import Settings

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, node: str, **labels: str) -> float:
    return samples[(name, tuple(sorted({"node": node, **labels}.items())))]


async def scrape(url: str, key: str | None) -> tuple[int, str, str]:
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def scraped(server: LiveServer) -> Samples:
    status, content_type, text = await scrape(f"{server.base_url}/metrics", server.admin_key)
    assert status == 200, text
    assert content_type.startswith("text/plain; version=")  # the text format
    return parse(text)


async def test_a_call_moves_the_metrics_of_its_node() -> None:
    async with live_server(node_id="node-a") as server, AsyncExitStack() as stack:
        before = await scraped(server)
        assert value(before, "mentorcall_participants", "node-a") == 0
        assert value(before, "mentorcall_packets_forwarded_total", "node-a") == 0
        assert value(before, "mentorcall_join_to_first_frame_seconds_count", "node-a") == 0

        room = await server.create_room("Ada", "Grace")
        mentor, mentee = await connect(server, stack, 1), await connect(server, stack, 2)
        await mentor.join(token_of(room["links"]["mentor"]))
        await mentor.publish()
        await mentee.join(token_of(room["links"]["mentee"]))
        await mentee.publish()
        await mentee.wait_carrying({mentor.identity})
        await mentor.wait_carrying({mentee.identity})
        await mentee.wait_media_from(mentor)
        await mentor.wait_media_from(mentee)

        during = await scraped(server)
        node = "node-a"
        assert value(during, "mentorcall_rooms", node) == 1
        assert value(during, "mentorcall_participants", node) == 2
        assert value(during, "mentorcall_peer_connections", node, role="publish") == 2
        assert value(during, "mentorcall_peer_connections", node, role="subscribe") == 2
        assert value(during, "mentorcall_streams_published", node) == 4  # audio + video each
        assert value(during, "mentorcall_streams_forwarded", node) == 4
        assert value(during, "mentorcall_packets_received_total", node) > 0
        forwarded = value(during, "mentorcall_packets_forwarded_total", node)
        assert forwarded > 0
        assert value(during, "mentorcall_bytes_forwarded_total", node) > 12 * forwarded
        assert value(during, "mentorcall_plis_sent_total", node) >= 1  # first keyframes
        assert value(during, "mentorcall_upstream_packets_expected", node) > 0
        assert value(during, "mentorcall_upstream_packets_lost", node) >= 0
        sent = value(during, "mentorcall_downstream_packets_sent", node)
        assert 0 < sent <= forwarded
        assert 0 <= value(during, "mentorcall_downstream_packets_lost", node) <= sent
        # each subscribe connection saw its first video frame once
        first_frames = value(during, "mentorcall_join_to_first_frame_seconds_count", node)
        assert first_frames == 2
        assert value(during, "mentorcall_join_to_first_frame_seconds_bucket", node,
                     le="+Inf") == 2
        assert value(during, "mentorcall_join_to_first_frame_seconds_sum", node) > 0
        for name in ("nacks_sent", "nacks_received", "retransmissions", "plis_received"):
            assert value(during, f"mentorcall_{name}_total", node) >= 0
        assert value(during, "mentorcall_ingress_dropped_total", node, reason="foreign") == 0

        await asyncio.sleep(0.5)
        later = await scraped(server)
        assert value(later, "mentorcall_packets_forwarded_total", node) > forwarded
        assert value(later, "mentorcall_join_to_first_frame_seconds_count", node) == 2

        await mentee.close()
        await mentor.close()

        async def emptied() -> Samples:
            while True:
                samples = await scraped(server)
                if value(samples, "mentorcall_streams_published", node) == 0:
                    return samples
                await asyncio.sleep(0.05)

        after = await asyncio.wait_for(emptied(), 10)
        assert value(after, "mentorcall_participants", node) == 0
        assert value(after, "mentorcall_streams_forwarded", node) == 0
        assert value(after, "mentorcall_packets_forwarded_total", node) >= forwarded  # counter


@pytest.mark.parametrize(("key", "status", "code"), [
    (None, 401, "unauthorized"),
    ("wrong-key-0123456789abcdef-0123456789", 403, "forbidden"),
])
async def test_metrics_refuse_a_missing_or_wrong_admin_key(
        key: str | None, status: int, code: str) -> None:
    async with live_server() as server, aiohttp.ClientSession() as http:
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        async with http.get(f"{server.base_url}/metrics", headers=headers) as response:
            assert response.status == status
            body = await response.json()
            assert body["error"]["code"] == code and body["error"]["message"]
            assert "mentorcall_" not in await response.text()


async def test_the_bind_address_serves_metrics_without_the_key() -> None:
    async with live_server(metrics_bind="127.0.0.1:0") as server:
        listener = server.app[METRICS_LISTENER]
        assert listener.host == "127.0.0.1" and listener.port > 0
        status, _, text = await scrape(f"http://127.0.0.1:{listener.port}/metrics", None)
        assert status == 200
        node = node_id_of(server.services.settings)
        assert value(parse(text), "mentorcall_participants", node) == 0
        # the main listener still asks for the key
        status, _, _ = await scrape(f"{server.base_url}/metrics", None)
        assert status == 401


def test_the_node_id_is_the_setting_else_one_per_process() -> None:
    assert node_id_of(Settings(node_id="eu-1")) == "eu-1"
    assert node_id_of(Settings()) == node_id_of(Settings()) != ""
    assert Settings(metrics_bind="9100").metrics_bind == "9100"
    with pytest.raises(ValueError, match="METRICS_BIND"):
        Settings(metrics_bind="here")
