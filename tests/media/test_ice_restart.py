"""ICE restart on live connections (media/ice_restart.py): real aiortc peers and the SFU
on 127.0.0.1. The same peer connection and DTLS transport carry the media afterwards
(no new handshake), over a new aioice connection with new credentials, and the old one
is closed; frames keep arriving at the subscriber."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from media import Sfu
from media.errors import MediaError
from media.ice_carrier import carrier_of
from media.ice_restart import (
    begin_restart,
    finish_restart,
    ice_credentials,
    restart_count,
    restarted,
)
from media.ingress import RtpIngress
from media.peer import ForwardingPeerConnection
from tests.media.peers import LoopbackPeer, MovingVideoTrack, publish_to
from tests.media.subscribers import SubscriberClient, route_renegotiations

FRAMES = 30
SIZE = (320, 180)


async def frames_grow(client: SubscriberClient, mid: str, by: int, timeout: float = 15) -> None:
    received = client.received[mid]
    start = received.sizes.count(SIZE)

    async def poll() -> None:
        while received.sizes.count(SIZE) < start + by:  # noqa: ASYNC110 (decoded frames)
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


def dtls_events(pc: ForwardingPeerConnection) -> list[str]:
    """Every state change of ``pc``'s DTLS transport from now on."""
    (dtls,) = pc.dtls_transports()
    seen: list[str] = []
    dtls.on("statechange", lambda: seen.append(dtls.state))
    return seen


async def closes(connection: Any) -> bool:
    """Whether ``connection`` closes within a few seconds (the old path's grace)."""
    async with asyncio.timeout(5):
        while not connection._closed:  # noqa: ASYNC110 (aioice's state)
            await asyncio.sleep(0.05)
    return True


def connection_of(pc: Any) -> Any:
    (transceiver, *_) = pc.getTransceivers()
    return transceiver.receiver.transport.transport._connection


async def call(sfu: Sfu) -> tuple[LoopbackPeer, SubscriberClient, str]:
    """``a`` publishes video, ``b`` receives it on its subscribe connection."""
    publisher = LoopbackPeer()
    await publish_to(sfu, "a", publisher, MovingVideoTrack(*SIZE))
    client = SubscriberClient(sfu, "b")
    route_renegotiations(sfu, {"b": client})
    await client.open(["a"])
    await client.wait_settled({"a"})
    mid = client.mid_of("a", "video")
    await frames_grow(client, mid, FRAMES)
    return publisher, client, mid


async def test_a_publisher_restarts_ice_on_the_same_server_connection(sfu: Sfu) -> None:
    publisher, client, mid = await call(sfu)
    try:
        server_pc = sfu._publications["a"].pc
        (server_dtls,) = server_pc.dtls_transports()
        handshake = server_dtls._ssl
        events = dtls_events(server_pc)
        old_connection = connection_of(server_pc)
        before = ice_credentials(server_pc.remoteDescription.sdp)
        local_before = ice_credentials(server_pc.localDescription.sdp)

        await begin_restart(publisher.pc)
        offer = await publisher._apply_local(await publisher.pc.createOffer())
        answer = await sfu.publish("a", offer)
        await publisher.accept_answer(answer)
        finish_restart(publisher.pc)
        assert await asyncio.wait_for(restarted(publisher.pc), 10) == [True]
        assert await asyncio.wait_for(restarted(server_pc), 10) == [True]

        # the same connection, DTLS transport and SSL session; new ICE credentials both ways
        assert sfu._publications["a"].pc is server_pc
        assert server_pc.dtls_transports() == [server_dtls]
        assert server_dtls._ssl is handshake and server_dtls.state == "connected"
        assert events == []
        assert ice_credentials(server_pc.remoteDescription.sdp) != before
        assert ice_credentials(answer) != local_before
        assert restart_count(server_pc) == 1 and restart_count(publisher.pc) == 1
        assert connection_of(server_pc) is not old_connection and await closes(old_connection)
        assert server_pc.connectionState == "connected"
        await frames_grow(client, mid, FRAMES)  # over the new path only: the old is closed
    finally:
        await client.close()
        await publisher.close()


async def test_the_server_restarts_ice_on_a_subscribe_connection(sfu: Sfu) -> None:
    publisher, client, mid = await call(sfu)
    try:
        connection = sfu._subscribers["b"]
        server_pc = connection.pc
        (server_dtls,) = server_pc.dtls_transports()
        events = dtls_events(server_pc)
        old_connection = connection_of(server_pc)
        before = ice_credentials(server_pc.localDescription.sdp)

        offer = await sfu.restart_subscriber_ice("b")
        assert offer is not None and offer.ice_restart
        assert ice_credentials(offer.sdp) != before
        await client.offered(offer)  # the client sees new credentials: restarts too
        assert await asyncio.wait_for(restarted(client.peer.pc), 10) == [True]
        assert await asyncio.wait_for(restarted(server_pc), 10) == [True]

        assert sfu._subscribers["b"] is connection
        assert server_pc.dtls_transports() == [server_dtls] and events == []
        assert connection_of(server_pc) is not old_connection and await closes(old_connection)
        await frames_grow(client, mid, FRAMES)
    finally:
        await client.close()
        await publisher.close()


async def test_a_second_restart_goes_on_from_the_first(sfu: Sfu) -> None:
    publisher, client, mid = await call(sfu)
    try:
        server_pc = sfu._subscribers["b"].pc
        for _ in range(2):
            offer = await sfu.restart_subscriber_ice("b")
            assert offer is not None
            await client.offered(offer)
            assert await asyncio.wait_for(restarted(server_pc), 10) == [True]
            await frames_grow(client, mid, FRAMES // 2)
        assert restart_count(server_pc) == 2
    finally:
        await client.close()
        await publisher.close()


async def test_the_old_path_may_end_before_the_new_one_is_checked(sfu: Sfu) -> None:
    # its ICE consent expired during the cut (aioice closes the connection): the DTLS
    # transport above must not end with it, only wait for the new path
    publisher, client, mid = await call(sfu)
    try:
        server_pc = sfu._subscribers["b"].pc
        events = dtls_events(server_pc)
        (transceiver, *_) = server_pc.getTransceivers()
        old = carrier_of(transceiver.receiver.transport.transport).connection
        offer = await sfu.restart_subscriber_ice("b")
        assert offer is not None
        await old.close()
        await asyncio.sleep(0.2)
        assert server_pc.connectionState == "connected" and events == []
        await client.offered(offer)
        assert await asyncio.wait_for(restarted(server_pc), 10) == [True]
        await frames_grow(client, mid, FRAMES)
        assert events == []
    finally:
        await client.close()
        await publisher.close()


async def test_the_old_path_is_still_received_for_a_moment_after_the_swap(sfu: Sfu) -> None:
    # the server's checks may end before the client's: the client then still sends on
    # the old path for a moment, and those packets must not be lost
    publisher, client, _ = await call(sfu)
    try:
        server_pc = sfu._publications["a"].pc
        (transceiver, *_) = publisher.pc.getTransceivers()
        client_transport = transceiver.receiver.transport.transport
        client_old = client_transport._connection
        await begin_restart(publisher.pc)
        offer = await publisher._apply_local(await publisher.pc.createOffer())
        await publisher.accept_answer(await sfu.publish("a", offer))
        finish_restart(publisher.pc)
        assert await asyncio.wait_for(restarted(server_pc), 10) == [True]
        assert await asyncio.wait_for(restarted(publisher.pc), 10) == [True]
        carrier_of(client_transport).connection = client_old  # its checks end later
        ingress = RtpIngress.installed(server_pc.dtls_transports()[0])
        assert ingress is not None
        packets, foreign = ingress.packets, ingress.counters.foreign
        await asyncio.sleep(0.5)
        assert ingress.packets >= packets + 10 and ingress.counters.foreign == foreign
    finally:
        await client.close()
        await publisher.close()


async def test_a_refused_restart_offer_leaves_the_connection_as_it_was(sfu: Sfu) -> None:
    publisher, client, mid = await call(sfu)
    try:
        server_pc = sfu._publications["a"].pc
        before = connection_of(server_pc)
        await begin_restart(publisher.pc)
        offer = await publisher._apply_local(await publisher.pc.createOffer())
        broken = re.sub(r"VP8/90000", "H265/90000", offer)
        with pytest.raises(MediaError) as refused:
            await sfu.publish("a", broken)
        assert refused.value.code == "unsupported_codec"
        assert connection_of(server_pc) is before  # the begun restart was dropped
        assert ice_credentials(server_pc.localDescription.sdp) is not None
        await frames_grow(client, mid, FRAMES // 2)  # still over the old path
        # and the client's next (whole) restart offer works
        await begin_restart(publisher.pc)
        offer = await publisher._apply_local(await publisher.pc.createOffer())
        await publisher.accept_answer(await sfu.publish("a", offer))
        finish_restart(publisher.pc)
        assert await asyncio.wait_for(restarted(server_pc), 10) == [True]
        assert restart_count(server_pc) == 1
        await frames_grow(client, mid, FRAMES // 2)
    finally:
        await client.close()
        await publisher.close()
