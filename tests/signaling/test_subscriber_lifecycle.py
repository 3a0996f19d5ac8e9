"""The subscribe connection through a participant's life: the lobby, admission, a ban,
a restart the client asks for, and a join whose subscribe connection cannot open
(aiortc clients on the one-subscribe-connection model, tests/signaling/subscribing.py)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from typing import Any

import pytest

from media.errors import MediaError
from media.sfu import Sfu
from signaling.session import peer_id_for
from tests.live_server import live_server, token_of

from .client import SignalClient
from .roundtable import create_roundtable
from .subscribing import SubscribingParticipant, connect


async def knock(who: SubscribingParticipant, token: str) -> str:
    ack = await who.signal.call("join", {"token": token})
    assert ack["ok"] and ack["waiting"] and "subscriber_offer" not in ack, ack
    return str(ack["identity"])


async def admit(host: SubscribingParticipant, who: SubscribingParticipant, identity: str,
                token: str) -> None:
    ack = await host.signal.call("admit", {"identity": identity})
    assert ack == {"ok": True}, ack
    await who.signal.next_event("admitted")
    joined = await who.join(token)
    assert joined["subscriber_offer"] is not None


async def test_lobby_admission_and_ban_drive_the_subscribe_connections() -> None:
    async with live_server() as server, AsyncExitStack() as stack:
        sfu: Sfu = server.services.sfu
        room = await create_roundtable(server.base_url, [("Pat", "participant"),
                                                          ("Tia", "participant")], lobby=True)
        tokens = room["tokens"]
        host, pat, tia = [await connect(server, stack, seed) for seed in (1, 2, 3)]
        await host.join(tokens["host"])
        await host.publish()

        # knocking: no subscribe connection, no offer, no media
        pat_id = await knock(pat, tokens["Pat"])
        tia_id = await knock(tia, tokens["Tia"])
        await asyncio.sleep(0.5)
        assert pat.offers == [] and tia.offers == [] and pat.received == {}
        assert sfu.connection_counts().subscribe == 1

        # admitted: an offer carrying everyone, everyone's media, and the others get the
        # newcomer's tracks once they publish
        await admit(host, pat, pat_id, tokens["Pat"])
        await pat.publish()
        await admit(host, tia, tia_id, tokens["Tia"])
        await tia.publish()
        people = (host, pat, tia)
        for who in people:
            await who.wait_carrying({p.identity for p in people if p is not who})
        for who in people:
            for other in people:
                if other is not who:
                    await who.wait_media_from(other)
        counts = sfu.connection_counts()
        assert (counts.publish, counts.subscribe) == (3, 3), counts

        # removed (banned): Pat's m-lines go inactive at everyone, Pat's connection goes
        pat_mids = {who: {who.mid_of(pat_id, "audio"), who.mid_of(pat_id, "video")}
                    for who in (host, tia)}
        ack = await host.signal.call("remove", {"identity": pat_id})
        assert ack == {"ok": True}, ack
        await pat.signal.next_event("removed")
        for who in (host, tia):
            await who.wait_carrying({p.identity for p in (host, tia) if p is not who})
            inactive = {t["mid"] for t in who.offers[-1]["tracks"] if t["identity"] is None}
            assert pat_mids[who] <= inactive, (pat_mids[who], who.offers[-1]["tracks"])
        counts = sfu.connection_counts()
        assert (counts.publish, counts.subscribe) == (2, 2), counts
        await host.wait_media_from(tia)
        await tia.wait_media_from(host)


async def test_subscriber_restart_replaces_the_subscribe_connection(
        caplog: pytest.LogCaptureFixture) -> None:
    async with live_server() as server, AsyncExitStack() as stack:
        sfu: Sfu = server.services.sfu
        room = await server.create_room("Ada", "Grace")
        mentor, mentee = await connect(server, stack, 1), await connect(server, stack, 2)
        joined = await mentor.join(token_of(room["links"]["mentor"]))
        await mentee.join(token_of(room["links"]["mentee"]))
        await mentee.publish()
        await mentor.wait_carrying({mentee.identity})
        await mentor.wait_media_from(mentee)
        old = mentor.subscription_id
        peer = peer_id_for(joined["room"]["room"]["room_id"], mentor.identity)
        old_pc = sfu._subscribers[peer].pc

        ack = await mentor.signal.call("subscriber_restart", {})
        assert ack == {"ok": True}, ack
        fresh = mentor.offers[-1]
        assert fresh["subscription_id"] != old and fresh["version"] == 1, fresh
        await mentor.wait_carrying({mentee.identity})
        await mentor.wait_media_from(mentee)
        assert old_pc.connectionState == "closed"
        counts = sfu.connection_counts()
        assert (counts.publish, counts.subscribe) == (1, 2), counts
        stale = await mentor.signal.call("subscriber_answer", {
            "subscription_id": old, "version": 2, "sdp": "v=0"})
        assert stale["error"]["code"] == "unknown_subscription", stale

        refused = await mentor.signal.call("subscriber_restart", {"now": True})
        assert refused["error"]["code"] == "invalid_payload", refused
        outsider = SubscribingParticipant(await SignalClient().connect(server.base_url))
        stack.push_async_callback(outsider.close)
        refused = await outsider.signal.call("subscriber_restart", {})
        assert refused["error"]["code"] == "not_joined", refused
    # nothing failed, not even while the server closed the connections being renegotiated
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_a_join_whose_subscribe_connection_fails_gives_the_seat_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async with live_server() as server, AsyncExitStack() as stack:
        sfu: Sfu = server.services.sfu
        room = await server.create_room("Ada", "Grace")
        mentor, mentee = await connect(server, stack, 1), await connect(server, stack, 2)
        joined = await mentor.join(token_of(room["links"]["mentor"]))
        room_id = joined["room"]["room"]["room_id"]
        opened = sfu.open_subscriber

        async def fail(peer_id: str, sources: Any = ()) -> Any:
            raise MediaError("media_failed", "The media server could not set that up.")

        monkeypatch.setattr(sfu, "open_subscriber", fail)
        ack = await mentee.signal.call("join", {"token": token_of(room["links"]["mentee"])})
        assert ack["ok"] is False and ack["error"]["code"] == "media_failed", ack
        snapshot = await server.services.service.snapshot(room_id)
        assert [p.identity for p in snapshot.participants] == [mentor.identity]
        assert sfu.connection_counts().subscribe == 1

        monkeypatch.setattr(sfu, "open_subscriber", opened)
        await mentee.join(token_of(room["links"]["mentee"]))  # the same connection, again
        await mentee.publish()
        await mentor.wait_carrying({mentee.identity})
        await mentor.wait_media_from(mentee)


async def test_a_subscribe_connection_whose_first_offer_is_never_answered_is_closed() -> None:
    async with live_server(subscriber_answer_timeout_s=0.5) as server, \
            AsyncExitStack() as stack:
        sfu: Sfu = server.services.sfu
        room = await server.create_room("Ada", "Grace")
        old, new = await connect(server, stack, 1), await connect(server, stack, 2)
        old.auto_answer = False  # an old client: it never answers the join's offer
        first = (await old.join(token_of(room["links"]["mentor"])))["subscriber_offer"]
        await new.join(token_of(room["links"]["mentee"]))
        await new.publish()

        closed = await old.signal.next_event("subscriber_closed")
        assert closed["subscription_id"] == first["subscription_id"]
        assert closed["code"] == "offer_unanswered" and closed["message"]
        assert sfu.connection_counts().subscribe == 1  # the answering one stays
        await new.wait_carrying(set())
        assert sfu.subscriber_offer(peer_id_for(room["room_id"], old.identity)) is None
        late = await old.signal.call("subscriber_answer", {
            "subscription_id": first["subscription_id"], "version": 1, "sdp": "v=0\r\n"})
        assert late["ok"] is False

        # it may ask for a fresh one, and once it answers that, it keeps it
        old.auto_answer = True
        assert await old.signal.call("subscriber_restart", {}) == {"ok": True}
        await old.wait_carrying({new.identity})
        await old.wait_media_from(new)
        await asyncio.sleep(1.0)  # twice the timeout: an answered offer is never closed
        assert sfu.connection_counts().subscribe == 2
        assert "subscriber_closed" not in [e for e, _ in old.signal.drain()]
