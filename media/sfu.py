"""The SFU: publishers' RTP forwarded to subscribers over one subscribe connection each."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from media.active_speaker import ActiveSpeakers
from media.admission import IngressCounters
from media.config import MediaConfig
from media.counts import ConnectionCounts, SfuStats
from media.errors import (
    INVALID_SDP,
    MEDIA_FAILED,
    NOT_PUBLISHED,
    UNKNOWN_SUBSCRIPTION,
    MediaError,
)
from media.fanout import TrackFanout
from media.guards import check_aiortc
from media.ice import allowed_networks
from media.peer import ForwardingPeerConnection, apply_remote_checked
from media.receiver import ForwardingReceiver
from media.sdp import codec_preferences, inspect_offer, parse_description
from media.sender import ForwardingCounters, ForwardingSender
from media.subscribe_connections import RenegotiateHook, SubscribeConnections
from media.subscriber import SubscriberOffer

logger = logging.getLogger(__name__)

PUBLISH_CONNECTION = "publish"  # on_peer_failed's name for a peer's publisher connection

_MSID_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`{|}~]{1,64}")


@dataclass(frozen=True)
class PublishedTrack:
    """A track a peer publishes: ``kind`` is "audio" or "video"; ``track_id`` is stable
    for the peer across re-publishes ("audio-0", "video-0", ...)."""

    kind: str
    track_id: str


@dataclass
class _Publication:
    peer_id: str
    pc: ForwardingPeerConnection
    tracks: list[PublishedTrack]
    closing: bool = False


@dataclass
class _Subscription:
    subscription_id: str
    subscriber_id: str
    publisher_id: str
    pc: ForwardingPeerConnection
    senders: list[ForwardingSender] = field(default_factory=list)
    closing: bool = False


class Sfu:
    """Selective forwarding unit: peers publish audio/video, others subscribe to them.

    Every publisher has one peer connection (client offers, server answers). Every
    participant has one subscribe connection (:meth:`open_subscriber`: the server
    offers sendonly tracks pinned to the publishers' codecs, renegotiated as the
    publishers it sees come and go - the rules are in media/subscriber.py). The older
    way, one connection per (subscriber, publisher) pair (:meth:`subscribe`), still
    works. RTP is forwarded, never decoded or re-encoded. Descriptions are complete
    (candidates included, no trickle). Errors are :class:`MediaError`.

    ``on_renegotiate`` (optional) is awaited with ``(peer_id, offer)`` for every offer
    on a subscribe connection that no call returned: after a publisher it sees
    published, re-published or left, and after an answer when changes arrived while
    the offer was outstanding. Signaling sends it to the peer, who answers it with
    :meth:`accept_answer` and the offer's version.

    ``on_peer_failed`` (optional) is awaited with ``(peer_id, connection)`` when one of
    that peer's connections fails or is closed by the far end: ``connection`` is
    PUBLISH_CONNECTION for its publisher connection, else the subscription id. The SFU
    keeps the dead connection until it is replaced (publish / subscribe again) or
    removed; telling the peer is up to the hook.
    """

    def __init__(self, config: MediaConfig) -> None:
        check_aiortc()
        allowed_networks(config.ice_allowed_networks)  # fail now on a malformed CIDR
        self._config = config
        self._counters = ForwardingCounters()
        self._publications: dict[str, _Publication] = {}
        self._fanouts: dict[str, dict[str, TrackFanout]] = {}
        self._subscriptions: dict[str, _Subscription] = {}
        self._stopped: set[tuple[str, str]] = set()  # (peer id, kind) not forwarded
        self._codecs_seen = 0
        self._tasks: set[asyncio.Future[None]] = set()
        self._closed = False
        self._ingress_closed = IngressCounters()  # of connections already closed
        self.on_peer_failed: Callable[[str, str], Awaitable[None]] | None = None
        self._subscribe = SubscribeConnections(
            config, self._fanouts_of, self._close_pc, self._watch, self._spawn
        )
        self._subscribers = self._subscribe.by_peer  # subscribe connections by peer id
        # active speaker per group of peers the caller defines (speakers.set_group) from
        # the audio levels of their published audio; see media/active_speaker.py
        self.speakers = ActiveSpeakers(config.speakers)

    @property
    def on_renegotiate(self) -> RenegotiateHook | None:
        """Awaited with ``(peer_id, offer)`` for offers no call returned (see above)."""
        return self._subscribe.on_renegotiate

    @on_renegotiate.setter
    def on_renegotiate(self, hook: RenegotiateHook | None) -> None:
        self._subscribe.on_renegotiate = hook

    # -- publishing ---------------------------------------------------------------------

    async def publish(self, peer_id: str, offer_sdp: str) -> str:
        """Accept a peer's offer to send audio and/or video; returns the answer SDP.

        A second publish by the same peer replaces its publisher connection; its
        subscribers stay connected and continue with the new media.
        """
        self._check_open()
        offered = inspect_offer(offer_sdp)
        pc = ForwardingPeerConnection(self._config)
        try:
            # recvonly transceivers with codec preferences *before* the remote offer:
            # aiortc ignores preferences set afterwards (see MEDIA_NOTES.md)
            for media in offered:
                transceiver = pc.addTransceiver(media.kind, direction="recvonly")
                transceiver.setCodecPreferences(codec_preferences(media.kind))
            await self._apply_remote(pc, offer_sdp, "offer")
            answer = await pc.apply_local()
        except BaseException:
            await self._close_pc(pc)
            raise

        fanouts = self._fanouts.setdefault(peer_id, {})
        tracks = []
        per_kind: dict[str, int] = {}
        for transceiver in pc.getTransceivers():
            receiver = transceiver.receiver
            if transceiver.currentDirection not in ("recvonly", "sendrecv"):
                continue
            assert isinstance(receiver, ForwardingReceiver)  # every server transceiver
            kind = transceiver.kind
            index = per_kind.get(kind, 0)
            per_kind[kind] = index + 1
            track = PublishedTrack(kind, f"{kind}-{index}")
            fanout = fanouts.get(track.track_id)
            if fanout is None:
                fanout = fanouts[track.track_id] = TrackFanout(
                    kind, track.track_id, self._counters, self._config.keyframes
                )
            fanout.set_source(receiver)
            fanout.set_enabled((peer_id, kind) not in self._stopped)
            if kind == "audio":
                receiver.on_audio_level = functools.partial(self.speakers.feed, peer_id)
            tracks.append(track)
        # a track the peer no longer publishes: its fan-out goes (its subscribers' senders
        # stay in their connections, silent, until they unsubscribe)
        published = {track.track_id for track in tracks}
        for track_id in [t for t in fanouts if t not in published]:
            fanouts.pop(track_id).close()

        publication = _Publication(peer_id, pc, tracks)
        old = self._publications.get(peer_id)
        self._publications[peer_id] = publication
        self._watch(pc, peer_id, PUBLISH_CONNECTION, lambda: publication.closing)
        if old is not None:
            old.closing = True
            await self._close_pc(old.pc)
        self._subscribe.publisher_changed(peer_id)
        return answer

    def set_forwarding(self, peer_id: str, kind: str, enabled: bool) -> None:
        """Stop (``enabled`` False) or resume forwarding ``peer_id``'s tracks of ``kind``
        ("audio"/"video") to every subscriber, now and across re-publishes until resumed
        or the peer is removed. The publisher's packets still arrive; none go out."""
        if enabled:
            self._stopped.discard((peer_id, kind))
        else:
            self._stopped.add((peer_id, kind))
        for fanout in self._fanouts.get(peer_id, {}).values():
            if fanout.kind == kind:
                fanout.set_enabled(enabled)

    def forwarding(self, peer_id: str, kind: str) -> bool:
        """Whether ``peer_id``'s tracks of ``kind`` are forwarded (see set_forwarding)."""
        return (peer_id, kind) not in self._stopped

    def published_tracks(self, peer_id: str) -> list[PublishedTrack]:
        """The tracks ``peer_id`` currently publishes (empty if none)."""
        publication = self._publications.get(peer_id)
        return list(publication.tracks) if publication else []

    # -- subscribing --------------------------------------------------------------------

    async def subscribe(self, subscriber_id: str, publisher_id: str) -> tuple[str, str]:
        """Offer ``subscriber_id`` the tracks of ``publisher_id``.

        Returns ``(subscription_id, offer_sdp)``; complete it with :meth:`accept_answer`.
        Media flows once connected (video from the next keyframe, requested at once).
        """
        self._check_open()
        publication = self._publications.get(publisher_id)
        if publication is None or not publication.tracks:
            raise MediaError(NOT_PUBLISHED, "That participant is not sending media.")
        fanouts = self._fanouts[publisher_id]
        pc = ForwardingPeerConnection(self._config)
        subscription = _Subscription(uuid.uuid4().hex, subscriber_id, publisher_id, pc)
        try:
            for track in publication.tracks:
                transceiver = pc.addTransceiver(track.kind, direction="sendonly")
                transceiver.setCodecPreferences(codec_preferences(track.kind))
                sender = transceiver.sender
                assert isinstance(sender, ForwardingSender)
                if _MSID_TOKEN.fullmatch(publisher_id):
                    sender._stream_id = publisher_id
                sender._track_id = track.track_id
                fanouts[track.track_id].add(sender)
                subscription.senders.append(sender)
            offer = await pc.apply_local()
        except BaseException:
            await self._close_pc(pc)
            raise
        self._subscriptions[subscription.subscription_id] = subscription
        self._watch(pc, subscriber_id, subscription.subscription_id, lambda: subscription.closing)
        return subscription.subscription_id, offer

    async def accept_answer(
        self, subscription_id: str, answer_sdp: str, version: int | None = None
    ) -> None:
        """Apply a subscriber's answer to the offer :meth:`subscribe` returned, or on a
        subscribe connection to its outstanding offer, which ``version`` must name
        (else ``stale_answer``). Changes that arrived while that offer was outstanding
        are then offered through ``on_renegotiate``."""
        connection = self._subscribe.by_id(subscription_id)
        if connection is not None:
            await self._subscribe.accept_answer(connection, version, answer_sdp)
            return
        subscription = self._subscriptions.get(subscription_id)
        if subscription is None:
            raise MediaError(UNKNOWN_SUBSCRIPTION, "There is no such subscription.")
        if subscription.pc.signalingState != "have-local-offer":
            raise MediaError(INVALID_SDP, "This subscription has already been answered.")
        parse_description(answer_sdp)
        await self._apply_remote(subscription.pc, answer_sdp, "answer")

    async def unsubscribe(self, subscription_id: str) -> None:
        """Close one subscription, or a subscribe connection by its subscription id (an
        unknown or already closed id is ignored)."""
        connection = self._subscribe.by_id(subscription_id)
        if connection is not None:
            await self._subscribe.close(connection.peer_id)
        subscription = self._subscriptions.pop(subscription_id, None)
        if subscription is not None:
            await self._close_subscription(subscription)

    # -- one subscribe connection per participant (rules: media/subscriber.py) ----------

    async def open_subscriber(self, peer_id: str, sources: Sequence[str] = ()) -> SubscriberOffer:
        """Open ``peer_id``'s subscribe connection, receiving the tracks of ``sources``.

        Returns the first offer (version 1); answer it with :meth:`accept_answer`. A
        second call replaces the peer's subscribe connection (a client reconnecting).
        """
        self._check_open()
        return await self._subscribe.open(peer_id, sources)

    async def set_sources(
        self, peer_id: str, publisher_ids: Sequence[str]
    ) -> SubscriberOffer | None:
        """Make ``peer_id`` receive exactly the tracks of ``publisher_ids`` (each while it
        publishes; a peer never receives its own).

        Tracks no longer wanted stop being forwarded at once. Returns the offer to send
        now, or None when nothing needs negotiating or an offer is outstanding (the
        change then goes into the offer made after its answer). Raises
        ``unknown_subscription`` when the peer has no subscribe connection.
        """
        return await self._subscribe.set_sources(peer_id, publisher_ids)

    def subscriber_offer(self, peer_id: str) -> SubscriberOffer | None:
        """The offer waiting for ``peer_id``'s answer, if any (to send it again)."""
        connection = self._subscribers.get(peer_id)
        return connection.outstanding if connection is not None else None

    async def close_subscriber(self, peer_id: str) -> None:
        """Close the peer's subscribe connection (none: ignored)."""
        await self._subscribe.close(peer_id)

    # -- lifecycle ----------------------------------------------------------------------

    async def remove_peer(self, peer_id: str) -> None:
        """Close the peer's publisher connection, its subscriptions, and those to it."""
        closing: list[Awaitable[None]] = []
        closing.append(self._subscribe.close(peer_id))
        for key, subscription in list(self._subscriptions.items()):
            if peer_id in (subscription.subscriber_id, subscription.publisher_id):
                del self._subscriptions[key]
                closing.append(self._close_subscription(subscription))
        publication = self._publications.pop(peer_id, None)
        if publication is not None:
            publication.closing = True
            closing.append(self._close_pc(publication.pc))
        await asyncio.gather(*closing)
        for fanout in self._fanouts.pop(peer_id, {}).values():
            fanout.close()
        self._stopped -= {(peer_id, "audio"), (peer_id, "video")}
        self.speakers.remove_peer(peer_id)
        self._subscribe.publisher_changed(peer_id)

    def connection_counts(self) -> ConnectionCounts:
        """How many peer connections the server holds, by role, and their transports."""
        transports = {
            id(dtls): dtls
            for pc in self._connections()
            for dtls in pc.dtls_transports()
            if dtls.state != "closed"
        }
        return ConnectionCounts(
            publish=len(self._publications),
            subscribe=len(self._subscribers),
            subscribe_pairs=len(self._subscriptions),
            dtls_transports=len(transports),
        )

    def stats(self) -> SfuStats:
        """Forwarding counters; ``decoders_created`` is checked, not assumed."""
        live = self._connections()
        counters = self._counters
        return SfuStats(
            packets_received=counters.packets_received,
            packets_forwarded=counters.packets_forwarded,
            keyframe_requests_sent=counters.keyframe_requests_sent,
            nacks_answered=counters.nacks_answered,
            decoders_created=self._codecs_seen + sum(pc.codecs_running() for pc in live),
        )

    def ingress_stats(self) -> IngressCounters:
        """Datagrams the SFU's ICE ports dropped since it started, by reason."""
        total = IngressCounters()
        total.add(self._ingress_closed)
        for pc in self._connections():
            total.add(pc.ingress_counters())
        return total

    async def close(self) -> None:
        """Close every connection; the SFU cannot be used afterwards."""
        self._closed = True
        self._subscribe.closed = True
        for peer_id in (
            list(self._publications)
            + list(self._subscribers)
            + [s.subscriber_id for s in self._subscriptions.values()]
        ):
            await self.remove_peer(peer_id)
        for fanouts in self._fanouts.values():
            for fanout in fanouts.values():
                fanout.close()
        self._fanouts.clear()
        for task in list(self._tasks):
            task.cancel()

    # -- internals ----------------------------------------------------------------------

    def _connections(self) -> list[ForwardingPeerConnection]:
        """Every live server-side peer connection (publishers, then subscriptions)."""
        live = [p.pc for p in self._publications.values()]
        live += [s.pc for s in self._subscribers.values()]
        return live + [s.pc for s in self._subscriptions.values()]

    def _fanouts_of(self, publisher_id: str) -> list[TrackFanout]:
        return list(self._fanouts.get(publisher_id, {}).values())

    def _check_open(self) -> None:
        if self._closed:
            raise MediaError(MEDIA_FAILED, "The media server is shutting down.")

    @staticmethod
    async def _apply_remote(pc: ForwardingPeerConnection, sdp: str, kind: str) -> None:
        await apply_remote_checked(pc, sdp, kind)

    async def _close_subscription(self, subscription: _Subscription) -> None:
        subscription.closing = True
        # leave the fan-outs first: closing the connection (which stops the senders)
        # may fail or take a while, and nothing must be forwarded to it meanwhile
        for fanout in self._fanouts.get(subscription.publisher_id, {}).values():
            for sender in subscription.senders:
                fanout.remove(sender)
        await self._close_pc(subscription.pc)

    async def _close_pc(self, pc: ForwardingPeerConnection) -> None:
        self._codecs_seen += pc.codecs_running()
        try:
            await pc.close()
        except Exception:  # closing must not fail the caller; log why
            logger.exception("closing a peer connection failed")
        self._ingress_closed.add(pc.ingress_counters())

    def _watch(
        self,
        pc: ForwardingPeerConnection,
        peer_id: str,
        connection: str,
        expected: Callable[[], bool],
    ) -> None:
        reported = False

        @pc.on("connectionstatechange")
        def on_state() -> None:
            nonlocal reported
            state = pc.connectionState
            if reported or expected() or self._closed or state not in ("failed", "closed"):
                return
            reported = True
            logger.info("peer %s: connection %s %s", peer_id, connection, state)
            hook = self.on_peer_failed
            if hook is not None:
                self._spawn(self._call_hook(hook, peer_id, connection))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _call_hook(
        hook: Callable[[str, str], Awaitable[None]], peer_id: str, connection: str
    ) -> None:
        try:
            await hook(peer_id, connection)
        except Exception:
            logger.exception("on_peer_failed(%s, %s) failed", peer_id, connection)
