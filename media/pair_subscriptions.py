"""PairSubscriptions: the older way to subscribe, one connection per (subscriber,
publisher) pair, kept working for callers that still use it.

The server offers the publisher's tracks as sendonly, pinned to its codecs; each
sender joins that track's fan-out. New code uses one subscribe connection per
participant instead (media/subscribe_connections.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field

from media.config import MediaConfig
from media.connection_watch import ConnectionWatch
from media.errors import INVALID_SDP, NOT_PUBLISHED, UNKNOWN_SUBSCRIPTION, MediaError
from media.peer import ForwardingPeerConnection, apply_remote_checked
from media.publications import Publications
from media.sdp import MSID_TOKEN, codec_preferences, parse_description
from media.sender import ForwardingSender


@dataclass
class PairSubscription:
    """One subscriber's connection receiving one publisher's tracks."""

    subscription_id: str
    subscriber_id: str
    publisher_id: str
    pc: ForwardingPeerConnection
    senders: list[ForwardingSender] = field(default_factory=list)
    closing: bool = False


class PairSubscriptions:
    """The per-pair subscriptions of an SFU, by subscription id."""

    def __init__(
        self, config: MediaConfig, publications: Publications, connections: ConnectionWatch
    ) -> None:
        self._config = config
        self._publications = publications
        self._connections = connections
        self.by_id: dict[str, PairSubscription] = {}

    async def subscribe(self, subscriber_id: str, publisher_id: str) -> tuple[str, str]:
        """See :meth:`media.sfu.Sfu.subscribe`."""
        publication = self._publications.by_peer.get(publisher_id)
        if publication is None or not publication.tracks:
            raise MediaError(NOT_PUBLISHED, "That participant is not sending media.")
        fanouts = self._publications.fanouts[publisher_id]
        pc = ForwardingPeerConnection(self._config)
        subscription = PairSubscription(uuid.uuid4().hex, subscriber_id, publisher_id, pc)
        try:
            for track in publication.tracks:
                transceiver = pc.addTransceiver(track.kind, direction="sendonly")
                transceiver.setCodecPreferences(codec_preferences(track.kind))
                sender = transceiver.sender
                assert isinstance(sender, ForwardingSender)
                # private aiortc names, checked at start-up by media/guards.py
                if MSID_TOKEN.fullmatch(publisher_id):
                    sender._stream_id = publisher_id
                sender._track_id = track.track_id
                fanouts[track.track_id].add(sender)
                subscription.senders.append(sender)
            offer = await pc.apply_local()
        except BaseException:
            await self._connections.close_pc(pc)
            raise
        self.by_id[subscription.subscription_id] = subscription
        self._connections.watch(
            pc, subscriber_id, subscription.subscription_id, lambda: subscription.closing
        )
        return subscription.subscription_id, offer

    async def accept_answer(self, subscription_id: str, answer_sdp: str) -> None:
        """Apply the subscriber's answer to the offer :meth:`subscribe` returned."""
        subscription = self.by_id.get(subscription_id)
        if subscription is None:
            raise MediaError(UNKNOWN_SUBSCRIPTION, "There is no such subscription.")
        if subscription.pc.signalingState != "have-local-offer":
            raise MediaError(INVALID_SDP, "This subscription has already been answered.")
        parse_description(answer_sdp)
        await apply_remote_checked(subscription.pc, answer_sdp, "answer")

    async def unsubscribe(self, subscription_id: str) -> None:
        """Close one subscription (unknown or already closed: ignored)."""
        subscription = self.by_id.pop(subscription_id, None)
        if subscription is not None:
            await self._close(subscription)

    def remove_peer(self, peer_id: str) -> list[Awaitable[None]]:
        """Take away every subscription of or to ``peer_id``; returns their closing."""
        closing: list[Awaitable[None]] = []
        for key, subscription in list(self.by_id.items()):
            if peer_id in (subscription.subscriber_id, subscription.publisher_id):
                del self.by_id[key]
                closing.append(self._close(subscription))
        return closing

    def subscriber_ids(self) -> list[str]:
        """The subscriber of every subscription (repeats included)."""
        return [s.subscriber_id for s in self.by_id.values()]

    async def _close(self, subscription: PairSubscription) -> None:
        subscription.closing = True
        # leave the fan-outs first: closing the connection (which stops the senders)
        # may fail or take a while, and nothing must be forwarded to it meanwhile
        for fanout in self._publications.fanouts_of(subscription.publisher_id):
            for sender in subscription.senders:
                fanout.remove(sender)
        await self._connections.close_pc(subscription.pc)
