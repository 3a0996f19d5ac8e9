"""One subscribe connection per participant, negotiated over Socket.IO (aiortc clients).

The server offers on join and after every change (``subscriber_offer``), the client
only answers (``subscriber_answer`` with the offer's version); tracks are mapped to
participants by mid. Publishers send pre-encoded media (cheap on 2 cores).
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack

from media.sfu import Sfu
from rooms.grants import JoinGrant
from rooms.models import Role, Room
from signaling.session import peer_id_for
from tests.live_server import LiveServer, live_server, token_of

from .subscribing import connect


def roundtable_token(server: LiveServer, room_id: str, identity: str) -> str:
    grant = JoinGrant(room_id=room_id, identity=identity, display_name=identity.title(),
                      role=Role.PARTICIPANT, publish=True, subscribe=True)
    return server.services.signer.issue(grant, ttl_s=120)


async def test_one_to_one_call_over_one_subscribe_connection_each() -> None:
    async with live_server() as server, AsyncExitStack() as stack:
        sfu: Sfu = server.services.sfu
        room = await server.create_room("Ada", "Grace")
        mentor, mentee = await connect(server, stack, 1), await connect(server, stack, 2)
        ack = await mentor.join(token_of(room["links"]["mentor"]))
        first = ack["subscriber_offer"]
        assert first["version"] == 1 and [t["identity"] for t in first["tracks"]] == [None]
        await mentor.publish()
        await mentee.join(token_of(room["links"]["mentee"]))
        await mentee.publish()

        await mentor.wait_carrying({mentee.identity})
        await mentee.wait_carrying({mentor.identity})
        await mentor.wait_media_from(mentee)
        await mentee.wait_media_from(mentor)
        counts = sfu.connection_counts()
        assert (counts.publish, counts.subscribe, counts.subscribe_pairs) == (2, 2, 0), counts
        assert counts.dtls_transports == 4, counts
        assert {t["kind"] for t in mentor.offers[-1]["tracks"] if t["identity"]} == {
            "audio", "video"}


async def test_six_participants_then_one_leaves_and_another_joins() -> None:
    # Seven aiortc clients, their 60 decoders and the server share this one event loop:
    # at 30 fps a busy CI machine starves it into a loss spiral (one pair saw under five
    # frames in 20 s); 12 fps keeps the room's media within what a loaded core carries.
    async with live_server() as server, AsyncExitStack() as stack:
        sfu: Sfu = server.services.sfu
        room = Room.roundtable("round-6", capacity=6, duration_s=600, now=time.time())
        await server.services.store.create_room(room)
        people = [await connect(server, stack, seed) for seed in range(1, 7)]
        for index, who in enumerate(people):
            who.video_fps = 12
            await who.join(roundtable_token(server, room.room_id, f"p{index}"))
            await who.publish()
        for who in people:
            await who.wait_carrying({p.identity for p in people if p is not who})
        for who in people:
            for other in people:
                if other is not who:
                    await who.wait_media_from(other)
        counts = sfu.connection_counts()
        assert (counts.publish, counts.subscribe, counts.subscribe_pairs) == (6, 6, 0), counts
        assert counts.dtls_transports == 12, counts
        print("six participants:", counts)

        # p5 leaves, p6 joins: everyone else renegotiates; the others' media keeps flowing
        leaver = people.pop()
        assert (await leaver.signal.call("leave", {}))["ok"]
        for who in people:  # the leaver's m-lines go inactive (free for reuse after)
            await who.wait_carrying({p.identity for p in people if p is not who})
        newcomer = await connect(server, stack, 7)
        newcomer.video_fps = 12
        await newcomer.join(roundtable_token(server, room.room_id, "p6"))
        await newcomer.publish()
        people.append(newcomer)
        for who in people:
            await who.wait_carrying({p.identity for p in people if p is not who})
        for who in people:
            for other in (people[0], newcomer):
                if other is not who:
                    await who.wait_media_from(other)
        # the leaver's m-lines were recycled for the newcomer: the SDP did not grow
        assert all(len(who.offers[-1]["tracks"]) == 10 for who in people[:-1]), [
            len(who.offers[-1]["tracks"]) for who in people]
        counts = sfu.connection_counts()
        assert (counts.publish, counts.subscribe) == (6, 6), counts


async def test_a_stale_or_foreign_answer_is_refused() -> None:
    async with live_server() as server, AsyncExitStack() as stack:
        room = await server.create_room("Ada", "Grace")
        mentor, mentee = await connect(server, stack, 1), await connect(server, stack, 2)
        await mentor.join(token_of(room["links"]["mentor"]))
        await mentee.join(token_of(room["links"]["mentee"]))
        await mentee.publish()
        await mentor.wait_carrying({mentee.identity})
        answer = mentor.subscriber.pc.localDescription.sdp
        again = {"subscription_id": mentor.subscription_id,
                 "version": mentor.answered[-1], "sdp": answer}
        ack = await mentor.signal.call("subscriber_answer", again)
        assert ack["ok"] is False and ack["error"]["code"] == "stale_answer", ack
        foreign = dict(again, subscription_id=mentee.subscription_id)
        ack = await mentor.signal.call("subscriber_answer", foreign)
        assert ack["ok"] is False and ack["error"]["code"] == "unknown_subscription", ack
        ack = await mentor.signal.call("subscriber_answer", dict(again, version=0))
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", ack
        await mentor.wait_media_from(mentee)  # nothing changed


async def test_a_failed_subscribe_connection_is_reopened() -> None:
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
        await sfu._subscribers[peer].pc.getTransceivers()[0].receiver.transport.stop()
        failed = await mentor.signal.next_event("media_failed")
        assert failed["connection"] == "subscriber" and failed["subscription_id"] == old

        async def reopened() -> None:
            while mentor.subscription_id == old:  # noqa: ASYNC110 (offers are events)
                await asyncio.sleep(0.05)

        await asyncio.wait_for(reopened(), 15)
        await mentor.wait_carrying({mentee.identity})
        await mentor.wait_media_from(mentee)
        assert sfu.connection_counts().subscribe == 2


async def test_a_reconnecting_participant_gets_a_fresh_subscribe_connection() -> None:
    async with live_server() as server, AsyncExitStack() as stack:
        sfu: Sfu = server.services.sfu
        room = await server.create_room("Ada", "Grace")
        mentor, mentee = await connect(server, stack, 1), await connect(server, stack, 2)
        await mentor.join(token_of(room["links"]["mentor"]))
        await mentor.publish()
        await mentee.join(token_of(room["links"]["mentee"]))
        await mentee.publish()
        await mentee.wait_carrying({mentor.identity})
        await mentor.wait_carrying({mentee.identity})
        old = mentee.subscription_id

        await mentee.signal.close()  # the connection drops; the seat waits (grace)
        again = await connect(server, stack, 2)
        await again.join(token_of(room["links"]["mentee"]))
        await again.publish()
        assert again.subscription_id and again.subscription_id != old
        await again.wait_carrying({mentor.identity})
        await again.wait_media_from(mentor)
        await mentor.wait_carrying({again.identity})
        await mentor.wait_media_from(again)
        counts = sfu.connection_counts()
        assert (counts.publish, counts.subscribe) == (2, 2), counts
