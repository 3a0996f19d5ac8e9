"""SubscriberConnection: one peer connection carrying every track a participant receives.

A participant has one publish connection (the client offers, the server answers) and
one subscribe connection (the server offers, the client answers): LiveKit's model. The
subscribe connection carries one sendonly m-line per track of every publisher the
participant sees (its *sources*), and the server renegotiates it as sources are set
and as those publishers publish, re-publish, unpublish or leave.

Negotiation rules (the subscribe connection):

1. The server is always the offerer and the client only answers, so there is no glare:
   the client never offers on this connection.
2. Offers carry a version: 1 for the first, +1 for each next one (also the session
   version of the SDP's ``o=`` line; the session id stays the same).
3. At most one offer is in flight per connection. A change (sources set, a publisher
   publishing or leaving) while an offer is outstanding is not offered at once: every
   change up to the answer is coalesced into one next offer, made right after the
   answer is applied (and only if the state still differs from what was negotiated).
4. An answer must name the version of the outstanding offer. An answer to any other
   version (a duplicate, a late one, or one when nothing is outstanding) is refused
   with the media error ``stale_answer`` and changes nothing. An answer that cannot be
   applied (``invalid_sdp``/``unsupported_codec``) leaves the offer outstanding.
5. Forwarding follows the negotiated state, never ahead of it: a new track starts
   flowing once the answer that adds it is applied (video from the next keyframe,
   requested upstream at once); a track the participant should no longer receive stops
   being forwarded at once, and its m-line goes ``inactive`` in the next offer.
6. aiortc 1.16 cannot remove an m-line: an inactive m-line is recycled for a later
   track of the same kind (its direction back to sendonly, a new msid) in an offer
   after the one that made it inactive, so the SDP never grows beyond the most tracks
   carried at once plus those freed in the last offer. A recycled m-line keeps its
   SSRC; its sequence numbers and timestamps continue, the new source starting at a
   keyframe. Clients must map m-lines to publishers by ``mid`` (each offer lists them),
   not by msid or track identity.
7. The first offer always has at least one m-line (an inactive audio one when there is
   nothing to receive yet), so ICE and DTLS are up before the first publisher arrives.
8. Last-N video (:meth:`SubscriberConnection.set_video_slots`, driven by
   media/last_n_video.py): while on, the connection's video m-lines are *slots* instead
   of one per publisher's video track. Slot ``i`` carries the video of the publisher
   assigned to it now (or nothing); a new assignment switches the source behind the
   slot's sending track at once (no offer, a keyframe requested) once the slot is
   negotiated. Slot m-lines stay sendonly while last-N is on and their number only
   grows; only a new slot needs an offer. Every offer's ``tracks`` names each slot's
   publisher then (``slot`` set); a later change of that mapping is told by
   :meth:`SubscriberConnection.untold_slots` (signaling's ``video_slots`` event). Audio
   stays one m-line per publisher. Turning last-N off makes the slots inactive
   (recyclable, rule 6) and offers one m-line per video track again.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from aiortc import RTCRtpTransceiver

from media.admission import EXTRA_SSRCS, MAX_SIGNALLED_SSRCS
from media.errors import STALE_ANSWER, MediaError
from media.fanout import TrackFanout
from media.first_frame import FirstFrameClock
from media.ice_restart import abandon_restart, begin_restart, finish_restart
from media.peer import ForwardingPeerConnection, apply_remote_checked
from media.sdp import MSID_TOKEN, codec_preferences, parse_description
from media.sender import ForwardingSender
from media.subscriber_offer import SubscribedTrack, SubscriberOffer

TrackKey = tuple[str, str]  # (publisher id, track id)
Key = TrackKey | int  # a track, or a video slot's index (last-N, rule 8)

# RTCP SSRCs admitted per m-line (media/admission.py): an aiortc client signals a media
# and an RTX SSRC per m-line; a browser sends receive-only RTCP from unsignalled ones
SSRCS_PER_MLINE = 2
_ORIGIN = re.compile(r"^o=.*$", re.MULTILINE)


class _Want(NamedTuple):
    """What an m-line should carry: a kind, and a publisher's track (or nothing)."""

    kind: str
    publisher_id: str | None
    fanout: TrackFanout | None


class _Slot:
    """One m-line: the track negotiated on it, the one offered, the fan-out fed from."""

    __slots__ = ("carrying", "fanout", "key", "offered", "own_track_id", "sender",
                 "transceiver")

    def __init__(self, transceiver: RTCRtpTransceiver) -> None:
        sender = transceiver.sender
        assert isinstance(sender, ForwardingSender)  # every server transceiver
        self.transceiver = transceiver
        self.sender = sender
        self.key: Key | None = None  # negotiated
        self.offered: Key | None = None  # in the outstanding offer (= key if none)
        self.fanout: TrackFanout | None = None  # forwarding from, while attached
        self.carrying: TrackKey | None = None  # (publisher, track) of ``fanout``
        self.own_track_id = sender._track_id  # aiortc's random one, unique

    @property
    def kind(self) -> str:
        return self.transceiver.kind


class SubscriberConnection:
    """The subscribe connection of one participant (see the module's rules).

    ``fanouts_of(publisher_id)`` returns the fan-outs of the tracks a publisher
    publishes now (empty if none). Call :meth:`refresh` after any of them changed, then
    :meth:`make_offer` (None when nothing needs negotiating or an offer is outstanding).
    """

    def __init__(
        self,
        subscription_id: str,
        peer_id: str,
        pc: ForwardingPeerConnection,
        fanouts_of: Callable[[str], Sequence[TrackFanout]],
    ) -> None:
        self.subscription_id = subscription_id
        self.peer_id = peer_id
        self.pc = pc
        self.closing = False
        self.outstanding: SubscriberOffer | None = None
        self._fanouts_of = fanouts_of
        self._sources: tuple[str, ...] = ()
        self._version = 0
        self._session_id = random.getrandbits(62)
        self._slots: list[_Slot] = []
        self._lock = asyncio.Lock()
        self._video_slots: list[str | None] | None = None  # last-N off: None
        self._told: tuple[tuple[str, str | None], ...] = ()  # slot mapping told
        self.first_frame = FirstFrameClock(None)  # join-to-first-frame: not timed unless set

    @property
    def sources(self) -> tuple[str, ...]:
        """The publishers this participant receives (while they publish)."""
        return self._sources

    def set_sources(self, publisher_ids: Sequence[str]) -> None:
        """Receive these publishers' tracks (never the participant's own); stops
        forwarding the others at once. Renegotiate with :meth:`make_offer`."""
        unique = dict.fromkeys(p for p in publisher_ids if p != self.peer_id)
        self._sources = tuple(unique)
        self.refresh()

    def mline_count(self) -> int:
        """How many m-lines the connection has (negotiated or offered)."""
        return len(self._slots)

    def forwarding(self) -> dict[TrackKey, ForwardingSender]:
        """The tracks being forwarded now, each with its sender (slots by what they carry)."""
        return {
            slot.carrying: slot.sender
            for slot in self._slots if slot.fanout is not None and slot.carrying is not None
        }

    # -- last-N video slots (rule 8) --------------------------------------------------------

    @property
    def video_slots(self) -> list[str | None] | None:
        """The publisher assigned to each video slot (None: last-N is off)."""
        return None if self._video_slots is None else list(self._video_slots)

    def set_video_slots(self, publishers: Sequence[str | None] | None) -> bool:
        """Assign a publisher (or nothing) to each video slot; None turns last-N off.
        Negotiated slots switch at once; more slots than before need an offer
        (:meth:`make_offer`). True if anything changed."""
        new = None if publishers is None else list(publishers)
        if new == self._video_slots:
            return False
        if new is not None and self._video_slots is not None:
            assert len(new) >= len(self._video_slots), "video slots only grow"
        self._video_slots = new
        self.refresh()
        return True

    def slot_view(self) -> tuple[tuple[str, str | None], ...]:
        """``(mid, publisher)`` of every slot m-line with a mid, in SDP order (the
        publisher whose video the slot carries, or will once negotiated)."""
        wanted = self._wanted()
        view = []
        for slot in self._slots:
            key = slot.offered
            if isinstance(key, int) and slot.transceiver.mid is not None:
                want = wanted.get(key)
                publisher = want.publisher_id if want and want.fanout else None
                view.append((slot.transceiver.mid, publisher))
        return tuple(view)

    def untold_slots(self) -> tuple[tuple[str, str | None], ...] | None:
        """The slot mapping if it changed since the last offer or call (now told), else
        None. Never while an offer is outstanding: the answer comes first."""
        if self.outstanding is not None or self._version == 0:
            return None
        view = self.slot_view()
        if view == self._told:
            return None
        self._told = view
        return view

    # -- forwarding follows the negotiated state ------------------------------------------

    def refresh(self) -> None:
        """Forward exactly the wanted tracks whose m-line is negotiated to carry them."""
        wanted = self._wanted()
        for slot in self._slots:
            target = None
            if (
                slot.key is not None
                and slot.offered == slot.key
                and slot.transceiver.currentDirection in ("sendonly", "sendrecv")
                and slot.key in wanted
            ):
                target = wanted[slot.key]
            fanout = target.fanout if target else None
            if fanout is not slot.fanout:
                self._attach(slot, fanout)
            if fanout is not None and target is not None and target.publisher_id is not None:
                slot.carrying = (target.publisher_id, fanout.track_id)
            else:
                slot.carrying = None

    def detach_all(self) -> None:
        """Stop forwarding everything (the connection is closing)."""
        for slot in self._slots:
            self._attach(slot, None)

    def _wanted(self) -> dict[Key, _Want]:
        """What each m-line should carry, by track or slot index."""
        wanted: dict[Key, _Want] = {}
        slots = self._video_slots
        videos: dict[str, TrackFanout] = {}
        for publisher_id in self._sources:
            for fanout in self._fanouts_of(publisher_id):
                if slots is not None and fanout.kind == "video":
                    videos.setdefault(publisher_id, fanout)
                else:
                    wanted[(publisher_id, fanout.track_id)] = _Want(
                        fanout.kind, publisher_id, fanout)
        for index, assigned in enumerate(slots or ()):
            video = videos.get(assigned) if assigned else None
            wanted[index] = _Want("video", assigned if video else None, video)
        return wanted

    @staticmethod
    def _attach(slot: _Slot, fanout: TrackFanout | None) -> None:
        """Feed the slot's sender from ``fanout`` (None: from nothing). Its stream
        continues; a new source starts at a keyframe, requested at once."""
        if fanout is None:
            if slot.fanout is not None:
                slot.fanout.remove(slot.sender)  # even if the sender's hooks are gone
                slot.sender.leave_source()
            slot.carrying = None
        else:
            slot.sender.switch_source(fanout)
        slot.fanout = fanout

    # -- negotiation ------------------------------------------------------------------------

    async def make_offer(self, ice_restart: bool = False) -> SubscriberOffer | None:
        """The next offer, or None if one is outstanding or nothing needs negotiating.
        ``ice_restart``: with new ICE credentials (media/ice_restart.py), made anyway and
        superseding an outstanding offer (its client lost the connection it came on)."""
        async with self._lock:
            if self.closing or (self.outstanding is not None and not ice_restart):
                return None
            if not self._plan() and not ice_restart:
                return None
            try:
                for slot in self._slots:
                    self._describe(slot)
                if ice_restart:
                    await begin_restart(self.pc)
                sdp = await self.pc.apply_local()
            except BaseException:
                for slot in self._slots:
                    slot.offered = slot.key
                    self._describe(slot)
                await abandon_restart(self.pc)
                raise
            self._version += 1
            sdp = _ORIGIN.sub(f"o=- {self._session_id} {self._version} IN IP4 0.0.0.0", sdp, 1)
            by_mid = {slot.transceiver.mid: slot for slot in self._slots}
            wanted = self._wanted()
            tracks = []
            for media in parse_description(sdp).media:  # in SDP order
                slot = by_mid[media.rtp.muxId]
                tracks.append(_described(str(media.rtp.muxId), slot, wanted))
            self._told = self.slot_view()
            self.outstanding = SubscriberOffer(
                self.subscription_id, self._version, sdp, tuple(tracks), ice_restart
            )
            self.first_frame.offered(tracks, [s.sender for s in self._slots if s.kind == "video"])
            return self.outstanding

    async def accept_answer(self, version: int | None, answer_sdp: str) -> None:
        """Apply the answer to the outstanding offer ``version`` (else ``stale_answer``)."""
        async with self._lock:
            outstanding = self.outstanding
            if outstanding is None:
                raise MediaError(STALE_ANSWER, "No offer is waiting for an answer.")
            if version != outstanding.version:
                raise MediaError(
                    STALE_ANSWER,
                    f"That answer is for another offer: the offer waiting is version "
                    f"{outstanding.version}.",
                )
            parse_description(answer_sdp)
            # the client's RTCP comes from an SSRC or two per m-line, signalled or not
            admission = self.pc.admission
            per_mlines = SSRCS_PER_MLINE * len(self._slots)
            admission.signalled_limit = max(MAX_SIGNALLED_SSRCS, per_mlines)
            admission.unsignalled_limit = max(EXTRA_SSRCS, per_mlines)
            await apply_remote_checked(self.pc, answer_sdp, "answer")
            if outstanding.ice_restart:  # checks run on; then streams resync (keyframes)
                finish_restart(self.pc, self._resync)
            for slot in self._slots:
                slot.key = slot.offered
            self.outstanding = None
            self.refresh()

    def _resync(self) -> None:
        for slot in self._slots:
            slot.sender.resync()

    def _plan(self) -> bool:
        """Set every slot's ``offered`` track; True if that differs from the negotiated."""
        wanted = self._wanted()
        changed = self._version == 0  # the first offer is always made
        negotiated: set[Key] = set()
        for slot in self._slots:
            slot.offered = slot.key if slot.key in wanted else None
            if slot.offered != slot.key:
                changed = True  # goes inactive now, reusable after the answer
            elif slot.key is not None:
                negotiated.add(slot.key)
        free = [slot for slot in self._slots if slot.key is None]
        for key, want in sorted(wanted.items(), key=lambda item: isinstance(item[0], int)):
            if key in negotiated:
                continue
            reused = next((s for s in free if s.kind == want.kind), None)
            if reused is not None:
                free.remove(reused)
            (reused or self._add_slot(want.kind)).offered = key
            changed = True
        if not self._slots:
            self._add_slot("audio")  # an inactive m-line, so the transport comes up
        return changed

    def _add_slot(self, kind: str) -> _Slot:
        transceiver = self.pc.addTransceiver(kind, direction="inactive")
        transceiver.setCodecPreferences(codec_preferences(kind))
        slot = _Slot(transceiver)
        self._slots.append(slot)
        return slot

    @staticmethod
    def _describe(slot: _Slot) -> None:
        """Direction and msid of a slot's m-line for the offer being made."""
        slot.transceiver.direction = "inactive" if slot.offered is None else "sendonly"
        if slot.offered is None:
            return
        if isinstance(slot.offered, int):  # a video slot: its own msid, whoever it carries
            slot.sender._stream_id = "video-slots"
            slot.sender._track_id = slot.own_track_id
            return
        publisher_id, track_id = slot.offered
        sender = slot.sender
        if MSID_TOKEN.fullmatch(publisher_id):
            sender._stream_id = publisher_id
            sender._track_id = f"{publisher_id}.{track_id}"[:64]
        else:  # msid cannot carry it: unique per m-line (clients map by mid anyway)
            sender._track_id = slot.own_track_id


def _described(mid: str, slot: _Slot, wanted: dict[Key, _Want]) -> SubscribedTrack:
    """An m-line of an offer: what it carries (a slot: its publisher now)."""
    offered = slot.offered
    if isinstance(offered, int):
        want = wanted.get(offered)
        fanout = want.fanout if want else None
        publisher = want.publisher_id if want and fanout else None
        return SubscribedTrack(mid, slot.kind, publisher,
                               fanout.track_id if fanout and publisher else None, offered)
    return SubscribedTrack(mid, slot.kind, offered[0] if offered else None,
                           offered[1] if offered else None)
