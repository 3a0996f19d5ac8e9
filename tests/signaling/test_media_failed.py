"""A media connection that fails on the server is reported, and the client recovers.

The server-side transport of a subscription, then of a publish connection, is stopped
(as a transport killed by a bad packet was): the participant receives `media_failed`
naming that connection, subscribes or publishes again, and video flows again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from media.sfu import Sfu
from signaling.session import peer_id_for
from tests.live_server import live_server, token_of
from tests.media.peers import LoopbackPeer, MovingVideoTrack, ReceivedMedia, start_consuming

from .client import SignalClient


async def publish(signal: SignalClient) -> LoopbackPeer:
    peer = LoopbackPeer()
    offer = await peer.offer_to_publish(MovingVideoTrack(320, 180))
    ack = await signal.call("publish", {"sdp": offer})
    assert ack["ok"], ack
    await peer.accept_answer(ack["sdp"])
    return peer


async def subscribe(signal: SignalClient, publisher: str) -> tuple[LoopbackPeer, str]:
    peer = LoopbackPeer()
    ack = await signal.call("subscribe", {"publisher": publisher})
    assert ack["ok"], ack
    answer = await peer.answer_offer(ack["sdp"])
    done = await signal.call(
        "subscription_answer", {"subscription_id": ack["subscription_id"], "sdp": answer}
    )
    assert done == {"ok": True}
    return peer, str(ack["subscription_id"])


async def frames(peer: LoopbackPeer, tasks: list[asyncio.Task[None]]) -> ReceivedMedia:
    """Start decoding ``peer``'s video; returns once the first frame arrived."""
    await asyncio.wait_for(peer.track_arrived.wait(), 15)
    received, task = start_consuming(peer.track("video"))
    tasks.append(task)
    await asyncio.wait_for(received.first.wait(), 15)
    return received


async def more_frames(received: ReceivedMedia, count: int = 20) -> None:
    target = len(received.times) + count
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while len(received.times) < target:
        assert loop.time() < deadline, f"video did not resume: {len(received.times)} frames"
        await asyncio.sleep(0.05)


async def kill_server_side(pc: Any) -> None:
    """Stop the server end's DTLS transport, as a fatal receive error would."""
    await pc.getTransceivers()[0].receiver.transport.stop()


async def test_a_failed_connection_is_reported_and_the_client_recovers() -> None:
    async with live_server() as server:
        sfu: Sfu = server.services.sfu
        room = await server.create_room("Ada", "Grace")
        mentor = await SignalClient().connect(server.base_url)
        mentee = await SignalClient().connect(server.base_url)
        peers: list[LoopbackPeer] = []
        tasks: list[asyncio.Task[None]] = []
        try:
            joined = await mentor.call("join", {"token": token_of(room["links"]["mentor"])})
            ada, room_id = joined["you"], joined["room"]["room"]["room_id"]
            await mentee.call("join", {"token": token_of(room["links"]["mentee"])})
            peers.append(await publish(mentor))
            viewer, subscription_id = await subscribe(mentee, ada["identity"])
            peers.append(viewer)
            await frames(viewer, tasks)

            # the subscription's server end dies: the subscriber is told which one
            await kill_server_side(sfu._subscriptions[subscription_id].pc)
            event = await mentee.next_event("media_failed")
            assert event["connection"] == "subscription"
            assert event["subscription_id"] == subscription_id
            assert event["publisher"] == ada["identity"]
            assert event["message"].endswith(".")
            assert subscription_id not in sfu._subscriptions  # dropped by the server
            viewer, subscription_id = await subscribe(mentee, ada["identity"])
            peers.append(viewer)
            received = await frames(viewer, tasks)

            # the publisher's server end dies: the publisher is told, publishes again,
            # and the subscriber's video resumes on the same subscription
            await kill_server_side(sfu._publications[peer_id_for(room_id, ada["identity"])].pc)
            event = await mentor.next_event("media_failed")
            assert event == {"connection": "publish", "message": event["message"]}
            peers.append(await publish(mentor))
            await more_frames(received)
        finally:
            for task in tasks:
                task.cancel()
            for peer in peers:
                await peer.close()
            await mentor.close()
            await mentee.close()
