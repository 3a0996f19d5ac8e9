"""Publications: the publish side of the SFU and its forwarding gates.

Each publisher has one peer connection (the client offers, the server answers) and a
:class:`~media.fanout.TrackFanout` per published track, which subscribers' senders join.
Forwarding of a peer's audio or video can be stopped (``set_forwarding``) across its
re-publishes; published audio feeds the active-speaker detector.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable
from dataclasses import dataclass

from media.active_speaker import ActiveSpeakers
from media.config import MediaConfig
from media.connection_watch import ConnectionWatch
from media.fanout import TrackFanout
from media.ice_restart import abandon_restart, begin_restart, finish_restart, is_restart_offer
from media.peer import ForwardingPeerConnection, apply_remote_checked
from media.receiver import ForwardingReceiver
from media.sdp import codec_preferences, inspect_offer
from media.sender import ForwardingCounters

PUBLISH_CONNECTION = "publish"  # on_peer_failed's name for a peer's publisher connection


@dataclass(frozen=True)
class PublishedTrack:
    """A track a peer publishes: ``kind`` is "audio" or "video"; ``track_id`` is stable
    for the peer across re-publishes ("audio-0", "video-0", ...)."""

    kind: str
    track_id: str


@dataclass
class Publication:
    """One peer's publisher connection and the tracks it carries."""

    peer_id: str
    pc: ForwardingPeerConnection
    tracks: list[PublishedTrack]
    closing: bool = False


class Publications:
    """Every publisher of an SFU: its connection, its tracks' fan-outs, its gates."""

    def __init__(
        self,
        config: MediaConfig,
        counters: ForwardingCounters,
        speakers: ActiveSpeakers,
        connections: ConnectionWatch,
    ) -> None:
        self._config = config
        self._counters = counters
        self._speakers = speakers
        self._connections = connections
        self.by_peer: dict[str, Publication] = {}
        self.fanouts: dict[str, dict[str, TrackFanout]] = {}  # by peer id, then track id
        self.stopped: set[tuple[str, str]] = set()  # (peer id, kind) not forwarded

    def alive(self, peer_id: str) -> bool:
        """True unless the peer's publisher connection (if any) is closing or failed."""
        publication = self.by_peer.get(peer_id)
        return publication is None or (
            not publication.closing
            and publication.pc.connectionState not in ("closed", "failed"))

    def restarts_ice(self, peer_id: str, offer_sdp: str) -> bool:
        """True if ``offer_sdp`` restarts ICE on the peer's live publisher connection
        (the same client connection, new ICE credentials)."""
        old = self.by_peer.get(peer_id)
        return old is not None and not old.closing and is_restart_offer(old.pc, offer_sdp)

    async def restart_ice(self, peer_id: str, offer_sdp: str) -> str:
        """Answer an ICE restart offer on the peer's publisher connection: the same
        connection, DTLS and fan-outs go on over the new path once it is checked."""
        pc = self.by_peer[peer_id].pc
        await begin_restart(pc)
        try:
            await apply_remote_checked(pc, offer_sdp, "offer")
            answer = await pc.apply_local()
        except BaseException:
            await abandon_restart(pc)
            raise
        finish_restart(pc)
        return answer

    async def publish(self, peer_id: str, offer_sdp: str) -> str:
        """See :meth:`media.sfu.Sfu.publish` (its subscribers are not told here)."""
        offered = inspect_offer(offer_sdp)
        pc = ForwardingPeerConnection(self._config)
        try:
            # recvonly transceivers with codec preferences *before* the remote offer:
            # aiortc ignores preferences set afterwards (see MEDIA_NOTES.md)
            for media in offered:
                transceiver = pc.addTransceiver(media.kind, direction="recvonly")
                transceiver.setCodecPreferences(codec_preferences(media.kind))
            await apply_remote_checked(pc, offer_sdp, "offer")
            answer = await pc.apply_local()
        except BaseException:
            await self._connections.close_pc(pc)
            raise

        fanouts = self.fanouts.setdefault(peer_id, {})
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
            fanout.set_enabled((peer_id, kind) not in self.stopped)
            if kind == "audio":
                receiver.on_audio_level = functools.partial(self._speakers.feed, peer_id)
            tracks.append(track)
        # a track the peer no longer publishes: its fan-out goes (its subscribers' senders
        # stay in their connections, silent, until they unsubscribe)
        published = {track.track_id for track in tracks}
        for track_id in [t for t in fanouts if t not in published]:
            fanouts.pop(track_id).close()

        publication = Publication(peer_id, pc, tracks)
        old = self.by_peer.get(peer_id)
        self.by_peer[peer_id] = publication
        self._connections.watch(pc, peer_id, PUBLISH_CONNECTION, lambda: publication.closing)
        if old is not None:
            old.closing = True
            await self._connections.close_pc(old.pc)
        return answer

    def set_forwarding(self, peer_id: str, kind: str, enabled: bool) -> None:
        """See :meth:`media.sfu.Sfu.set_forwarding`."""
        if enabled:
            self.stopped.discard((peer_id, kind))
        else:
            self.stopped.add((peer_id, kind))
        for fanout in self.fanouts.get(peer_id, {}).values():
            if fanout.kind == kind:
                fanout.set_enabled(enabled)

    def forwarding(self, peer_id: str, kind: str) -> bool:
        """Whether ``peer_id``'s tracks of ``kind`` are forwarded."""
        return (peer_id, kind) not in self.stopped

    def tracks(self, peer_id: str) -> list[PublishedTrack]:
        """The tracks ``peer_id`` currently publishes (empty if none)."""
        publication = self.by_peer.get(peer_id)
        return list(publication.tracks) if publication else []

    def fanout_of(self, peer_id: str, kind: str) -> TrackFanout | None:
        """The fan-out of ``peer_id``'s (first) published track of ``kind``, if any."""
        return self.fanouts.get(peer_id, {}).get(f"{kind}-0")

    def publishes_video(self, peer_id: str) -> bool:
        """Whether ``peer_id`` publishes video that is forwarded (not stopped)."""
        return self.forwarding(peer_id, "video") and any(
            f.kind == "video" for f in self.fanouts.get(peer_id, {}).values()
        )

    def fanouts_of(self, peer_id: str) -> list[TrackFanout]:
        """The fan-outs of ``peer_id``'s published tracks (empty if none)."""
        return list(self.fanouts.get(peer_id, {}).values())

    def withdraw(self, peer_id: str) -> list[Awaitable[None]]:
        """Take ``peer_id``'s publication away; returns the closing of its connection to
        await (its fan-outs and gates stay until :meth:`forget`)."""
        publication = self.by_peer.pop(peer_id, None)
        if publication is None:
            return []
        publication.closing = True
        return [self._connections.close_pc(publication.pc)]

    def forget(self, peer_id: str) -> None:
        """Close ``peer_id``'s fan-outs and drop its forwarding gates."""
        for fanout in self.fanouts.pop(peer_id, {}).values():
            fanout.close()
        self.stopped -= {(peer_id, "audio"), (peer_id, "video")}

    def close_fanouts(self) -> None:
        """Close every fan-out (the SFU is closing)."""
        for fanouts in self.fanouts.values():
            for fanout in fanouts.values():
                fanout.close()
        self.fanouts.clear()
