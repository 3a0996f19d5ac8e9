"""Who may set up media: a link's publish/subscribe rights, and subscription ownership.

Ada publishes real media; Grace's link is reissued with one right taken away. A refusal
must come before the SFU is asked for anything, and must not take the other right.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from signaling.session import peer_id_for
from tests.live_server import LiveServer, live_server, token_of
from tests.media.peers import LoopbackPeer, MovingVideoTrack, ToneAudioTrack

from .client import SignalClient
from .participant import Participant
from .spies import SfuCalls


@dataclass
class Call:
    server: LiveServer
    room: dict[str, Any]
    ada: Participant  # mentor, publishing
    grace: Participant  # mentee, not joined yet
    sfu: SfuCalls

    def grace_token(self, **rights: bool) -> str:
        """Grace's link as issued, with `rights` (publish/subscribe) overridden."""
        signer = self.server.services.signer
        grant = signer.verify(token_of(self.room["links"]["mentee"]))
        return signer.issue(grant.model_copy(update=rights), ttl_s=600)

    @property
    def grace_peer(self) -> str:
        return peer_id_for(self.room["room_id"], self.grace.identity)


@pytest.fixture
async def call(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Call]:
    async with live_server() as server:
        room = await server.create_room("Ada", "Grace")
        ada = Participant("Ada", await SignalClient().connect(server.base_url))
        grace = Participant("Grace", await SignalClient().connect(server.base_url))
        try:
            await ada.join(token_of(room["links"]["mentor"]))
            await ada.publish()
            yield Call(server, room, ada, grace, SfuCalls(server.services.sfu, monkeypatch))
        finally:
            await ada.close()
            await grace.close()


def error_code(ack: Any) -> str:
    assert isinstance(ack, dict) and ack.get("ok") is False, ack
    return str(ack["error"]["code"])


async def test_link_without_publish_right_cannot_publish(call: Call) -> None:
    await call.grace.join(call.grace_token(publish=False))
    offer = await call.grace.publisher.offer_to_publish(MovingVideoTrack(), ToneAudioTrack())

    assert error_code(await call.grace.signal.call("publish", {"sdp": offer})) == "forbidden"

    assert call.sfu.published == []  # no peer connection was ever built for it
    assert call.server.services.sfu.published_tracks(call.grace_peer) == []
    snapshot = await call.server.services.service.snapshot(call.room["room_id"])
    assert all(not p.tracks for p in snapshot.participants if p.identity == call.grace.identity)
    await call.grace.subscribe(call.ada.identity)  # receiving is still allowed
    assert call.sfu.subscribed == [call.grace_peer]


async def test_link_without_subscribe_right_cannot_subscribe(call: Call) -> None:
    await call.grace.join(call.grace_token(subscribe=False))

    ack = await call.grace.signal.call("subscribe", {"publisher": call.ada.identity})

    assert error_code(ack) == "forbidden"
    assert call.sfu.subscribed == []  # Ada's media was never offered
    await call.grace.publish()  # sending is still allowed
    event = await call.ada.signal.next_event("track_published")
    assert event["identity"] == call.grace.identity and len(event["tracks"]) == 2


async def test_answer_for_another_connections_subscription_is_refused(call: Call) -> None:
    await call.grace.join(token_of(call.room["links"]["mentee"]))
    offer = await call.grace.signal.call("subscribe", {"publisher": call.ada.identity})
    assert offer["ok"], offer
    subscription_id = offer["subscription_id"]
    # Ada's connection learned Grace's subscription id and offer and answers it first,
    # with an answer that would otherwise be accepted.
    intruder = LoopbackPeer()
    try:
        answer = await intruder.answer_offer(offer["sdp"])
        ack = await call.ada.signal.call(
            "subscription_answer", {"subscription_id": subscription_id, "sdp": answer}
        )
    finally:
        await intruder.pc.close()

    assert error_code(ack) == "unknown_subscription"
    await call.grace.answer(subscription_id, offer["sdp"])  # Grace's own answer still fits
    await asyncio.wait_for(call.grace.received["video"].first.wait(), 15)  # frames arrive
