"""The SFU: publishers' RTP forwarded to subscribers over one subscribe connection each.

:class:`Sfu` is the public face; its parts are the publish side and forwarding gates
(media/publications.py), one subscribe connection per participant
(media/subscribe_connections.py), the deprecated per-pair subscriptions
(media/pair_subscriptions.py) and what every connection shares while it lives and as
it ends (media/connection_watch.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from media.active_speaker import ActiveSpeakers
from media.admission import IngressCounters
from media.config import MediaConfig
from media.connection_watch import ConnectionWatch, PeerFailedHook
from media.counts import ConnectionCounts, FirstFrameTimes, SfuStats, StreamCounts
from media.errors import MEDIA_FAILED, MediaError
from media.fanout import PacketSink
from media.guards import check_aiortc
from media.ice import allowed_networks
from media.last_n_video import LastNVideo
from media.pair_subscriptions import PairSubscriptions
from media.peer import ForwardingPeerConnection
from media.publications import PUBLISH_CONNECTION, Publications, PublishedTrack
from media.sender import ForwardingCounters
from media.subscribe_connections import RenegotiateHook, SubscribeConnections, VideoSlotsHook
from media.subscriber_offer import SubscriberOffer

__all__ = ["PUBLISH_CONNECTION", "PublishedTrack", "Sfu"]


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

    Last-N video (:meth:`set_last_n`, per group of ``speakers``): the members' subscribe
    connections carry video slots following the speakers instead of every video;
    ``on_video_slots`` tells a slot mapping that changed without an offer.

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
        self._first_frame = FirstFrameTimes()
        self._watch = ConnectionWatch()
        # active speaker per group of peers the caller defines (speakers.set_group) from
        # the audio levels of their published audio; see media/active_speaker.py
        self.speakers = ActiveSpeakers(config.speakers)
        self._publish = Publications(config, self._counters, self.speakers, self._watch)
        self._pairs = PairSubscriptions(config, self._publish, self._watch)
        self._subscribe = SubscribeConnections(
            config,
            self._publish.fanouts_of,
            self._watch.close_pc,
            self._watch.watch,
            self._watch.spawn,
            self._first_frame,
        )
        # last-N video per speaker group that turns it on (media/last_n_video.py)
        self._last_n = LastNVideo(
            self.speakers,
            self._subscribe.by_peer,
            self._publish.publishes_video,
            self._subscribe.slots_changed,
            config.last_n,
        )
        self._subscribe.arrange = self._last_n.arrange
        self.speakers.on_speaker_order = self._last_n.update
        # the parts' own collections, under the names tests and benchmarks inspect
        self._publications = self._publish.by_peer
        self._fanouts = self._publish.fanouts
        self._subscriptions = self._pairs.by_id
        self._subscribers = self._subscribe.by_peer  # subscribe connections by peer id
        self._tasks = self._watch.tasks

    @property
    def on_peer_failed(self) -> PeerFailedHook | None:
        """Awaited with ``(peer_id, connection)`` when a connection fails (see above)."""
        return self._watch.on_peer_failed

    @on_peer_failed.setter
    def on_peer_failed(self, hook: PeerFailedHook | None) -> None:
        self._watch.on_peer_failed = hook

    @property
    def on_renegotiate(self) -> RenegotiateHook | None:
        """Awaited with ``(peer_id, offer)`` for offers no call returned (see above)."""
        return self._subscribe.on_renegotiate

    @on_renegotiate.setter
    def on_renegotiate(self, hook: RenegotiateHook | None) -> None:
        self._subscribe.on_renegotiate = hook

    @property
    def on_video_slots(self) -> VideoSlotsHook | None:
        """Awaited with ``(peer_id, subscription_id, ((mid, publisher_id), ...))`` when a
        subscribe connection's last-N slots carry other publishers and no offer said so."""
        return self._subscribe.on_video_slots

    @on_video_slots.setter
    def on_video_slots(self, hook: VideoSlotsHook | None) -> None:
        self._subscribe.on_video_slots = hook

    # -- publishing ---------------------------------------------------------------------

    async def publish(self, peer_id: str, offer_sdp: str) -> str:
        """Accept a peer's offer to send audio and/or video; returns the answer SDP.

        A second publish by the same peer replaces its publisher connection; its
        subscribers stay connected and continue with the new media. An offer from the
        same client connection with new ICE credentials (``restartIce``) restarts ICE on
        the publisher connection instead (media/ice_restart.py): nothing else changes.
        """
        self._check_open()
        if self._publish.restarts_ice(peer_id, offer_sdp):
            # the same client connection with new ICE credentials: restart ICE on ours
            return await self._publish.restart_ice(peer_id, offer_sdp)
        answer = await self._publish.publish(peer_id, offer_sdp)
        self._last_n.update_all()
        self._subscribe.publisher_changed(peer_id)
        return answer

    def set_forwarding(self, peer_id: str, kind: str, enabled: bool) -> None:
        """Stop (``enabled`` False) or resume forwarding ``peer_id``'s tracks of ``kind``
        ("audio"/"video") to every subscriber, now and across re-publishes until resumed
        or the peer is removed. The publisher's packets still arrive; none go out."""
        self._publish.set_forwarding(peer_id, kind, enabled)
        if kind == "video":
            self._last_n.update_all()  # a stopped video gives up its slots

    def forwarding(self, peer_id: str, kind: str) -> bool:
        """Whether ``peer_id``'s tracks of ``kind`` are forwarded (see set_forwarding)."""
        return self._publish.forwarding(peer_id, kind)

    def published_tracks(self, peer_id: str) -> list[PublishedTrack]:
        """The tracks ``peer_id`` currently publishes (empty if none)."""
        return self._publish.tracks(peer_id)

    # -- sinks (the recorder, media/recording/) ------------------------------------------

    def add_track_sink(
        self, peer_id: str, kind: str, sink: PacketSink
    ) -> Callable[[], None] | None:
        """Hand ``sink`` the packets of ``peer_id``'s published track of ``kind`` as the
        publisher sent them (no SRTP, no rewriting), and its sender reports, until
        :meth:`remove_track_sink` or the track ends (``sink.source_ended()``). Across
        re-publishes the sink stays (the packets' SSRC changes).

        Returns the function that asks the publisher for a keyframe (paced with the
        subscribers' requests), or None when the peer publishes no such track.
        """
        fanout = self._publish.fanout_of(peer_id, kind)
        if fanout is None:
            return None
        fanout.add_sink(sink)
        return fanout.request_keyframe

    def remove_track_sink(self, peer_id: str, kind: str, sink: PacketSink) -> None:
        """Stop handing ``sink`` packets (not attached: ignored)."""
        fanout = self._publish.fanout_of(peer_id, kind)
        if fanout is not None:
            fanout.remove_sink(sink)

    # -- subscribing --------------------------------------------------------------------

    async def subscribe(self, subscriber_id: str, publisher_id: str) -> tuple[str, str]:
        """Offer ``subscriber_id`` the tracks of ``publisher_id`` on a connection of their
        own (the older, per-pair way; see media/pair_subscriptions.py).

        Returns ``(subscription_id, offer_sdp)``; complete it with :meth:`accept_answer`.
        Media flows once connected (video from the next keyframe, requested at once).
        """
        self._check_open()
        return await self._pairs.subscribe(subscriber_id, publisher_id)

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
        await self._pairs.accept_answer(subscription_id, answer_sdp)

    async def unsubscribe(self, subscription_id: str) -> None:
        """Close one subscription, or a subscribe connection by its subscription id (an
        unknown or already closed id is ignored)."""
        connection = self._subscribe.by_id(subscription_id)
        if connection is not None:
            await self._subscribe.close(connection.peer_id)
        await self._pairs.unsubscribe(subscription_id)

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

    async def restart_subscriber_ice(self, peer_id: str) -> SubscriberOffer | None:
        """An offer with new ICE credentials on ``peer_id``'s live subscribe connection
        (a client back after its network path was cut: media/ice_restart.py), replacing
        any outstanding offer; None if it has none that still works."""
        connection = self._subscribers.get(peer_id)
        if connection is None or connection.closing or connection.pc.connectionState in (
                "closed", "failed"):
            return None
        return await connection.make_offer(ice_restart=True)

    def holds_media(self, peer_id: str) -> bool:
        """True if ``peer_id``'s publisher and subscribe connections (those it has) are
        alive here, so its client can restart ICE on them."""
        return self._publish.alive(peer_id) and self._subscribe.alive(peer_id)

    def subscriber_offer(self, peer_id: str) -> SubscriberOffer | None:
        """The offer waiting for ``peer_id``'s answer, if any (to send it again)."""
        connection = self._subscribers.get(peer_id)
        return connection.outstanding if connection is not None else None

    # -- last-N video (media/last_n_video.py; slot rules: media/subscriber.py rule 8) ------

    def set_last_n(self, group_id: str, on: bool = True, n: int | None = None) -> None:
        """Turn last-N video on (or off) for the speaker group ``group_id``
        (``Sfu.speakers``) with ``n`` (None: MediaConfig.last_n). Its members' subscribe
        connections then carry video slots: the ``n`` most recent speakers' video plus
        their pins, switched without renegotiation (offers only for new slots)."""
        self._last_n.set_group(group_id, (self._config.last_n if n is None else n) if on else None)

    def last_n(self, group_id: str) -> int | None:
        """The group's N, or None when last-N is off for it."""
        return self._last_n.enabled(group_id)

    def pin_videos(self, peer_id: str, publisher_ids: Sequence[str]) -> None:
        """``peer_id`` always gets a video slot for these publishers (replacing its pins;
        only publishers of its group that publish video count)."""
        self._last_n.pin(peer_id, publisher_ids)

    def pinned_videos(self, peer_id: str) -> frozenset[str]:
        """The publishers ``peer_id`` pinned (see :meth:`pin_videos`)."""
        return self._last_n.pins(peer_id)

    async def close_subscriber(self, peer_id: str) -> None:
        """Close the peer's subscribe connection (none: ignored)."""
        await self._subscribe.close(peer_id)

    # -- lifecycle ----------------------------------------------------------------------

    async def remove_peer(self, peer_id: str) -> None:
        """Close the peer's publisher connection, its subscriptions, and those to it."""
        closing: list[Awaitable[None]] = []
        closing.append(self._subscribe.close(peer_id))
        closing += self._pairs.remove_peer(peer_id)
        closing += self._publish.withdraw(peer_id)
        await asyncio.gather(*closing)
        self._publish.forget(peer_id)
        self.speakers.remove_peer(peer_id)
        self._last_n.forget(peer_id)
        self._last_n.update_all()
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
            decoders_created=self._watch.codecs_seen + sum(pc.codecs_running() for pc in live),
            bytes_forwarded=counters.bytes_forwarded,
            nacks_sent=counters.nacks_sent,
            nacks_received=counters.nacks_received,
            plis_received=counters.plis_received,
        )

    def stream_counts(self) -> StreamCounts:
        """Tracks published and forwarded now, and the loss over them: upstream (the
        publishers') and downstream (the subscribers')."""
        published = forwarded = expected = lost = sent = lost_down = 0
        for fanouts in self._fanouts.values():
            for fanout in fanouts.values():
                source = fanout.source
                if source is None:
                    continue
                published += 1
                for sender in fanout.senders:
                    if sender.ready:
                        forwarded += 1
                        sent += sender.sr_packet_count
                        lost_down += sender.downstream_lost
                track_expected, track_lost = source.loss()
                expected += track_expected
                lost += track_lost
        return StreamCounts(published, forwarded, expected, lost, sent, lost_down)

    def first_frame_times(self) -> FirstFrameTimes:
        """Join-to-first-frame times of the subscribe connections (see
        media/first_frame.py: from the first offer carrying a publisher's video to the
        first video packet forwarded on the connection). Live: read, do not change."""
        return self._first_frame

    def ingress_stats(self) -> IngressCounters:
        """Datagrams the SFU's ICE ports dropped since it started, by reason."""
        total = IngressCounters()
        total.add(self._watch.ingress_closed)
        for pc in self._connections():
            total.add(pc.ingress_counters())
        return total

    async def close(self) -> None:
        """Close every connection; the SFU cannot be used afterwards."""
        self._watch.closed = True
        self._subscribe.closed = True
        for peer_id in (
            list(self._publications) + list(self._subscribers) + self._pairs.subscriber_ids()
        ):
            await self.remove_peer(peer_id)
        self._publish.close_fanouts()
        self._watch.cancel_tasks()

    # -- internals ----------------------------------------------------------------------

    def _connections(self) -> list[ForwardingPeerConnection]:
        """Every live server-side peer connection (publishers, then subscriptions)."""
        live = [p.pc for p in self._publications.values()]
        live += [s.pc for s in self._subscribers.values()]
        return live + [s.pc for s in self._subscriptions.values()]

    def _check_open(self) -> None:
        if self._watch.closed:
            raise MediaError(MEDIA_FAILED, "The media server is shutting down.")
