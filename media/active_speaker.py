"""Active speaker from RFC 6464 audio levels (the client-to-mixer header extension).

Nothing is decoded: every audio packet's header carries the sender's level in -dBov
(0 loudest, 127 silence) and a voice-activity flag. :class:`SpeakerDetector` turns
those into speaker changes for one group of publishers with hysteresis; it is pure
logic, fed arrival times by the caller. :class:`ActiveSpeakers` keeps one detector per
group id the caller assigns (media knows nothing of rooms) and reports changes.

The rules (:class:`SpeakerParams`):

* each publisher's level is smoothed in dB (time constant ``smoothing_s``, each packet
  standing for ``packet_s`` of audio); a publisher that sends nothing (DTX, muted)
  decays towards ``floor_dbov`` as if silent;
* a publisher that has ever set the voice-activity flag is trusted: its packets
  without the flag count as silence (Chrome sets it; aiortc never does, so its
  publishers are judged by level alone);
* a publisher is *active* while its smoothed level is at least ``threshold_dbov``;
* the loudest active publisher becomes the speaker once it has been the challenger
  for ``dwell_s`` without a break. While the current speaker is itself active, a
  challenger must also be ``margin_db`` louder than it - two similar voices talking
  over each other do not flap. Silence never switches: the last speaker stays.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpeakerParams:
    """Hysteresis of active-speaker detection (see the module docstring)."""

    threshold_dbov: float = -50.0
    margin_db: float = 6.0
    dwell_s: float = 0.4
    smoothing_s: float = 0.25
    floor_dbov: float = -80.0
    packet_s: float = 0.02
    evaluate_every_s: float = 0.05


class _Level:
    """One publisher's smoothed level (dBov) with its last packet, which arrived at ``at``
    (seconds) and stands for the ``packet_s`` that follow."""

    __slots__ = ("at", "db", "trusts_flag")

    def __init__(self, floor: float) -> None:
        self.db = floor
        self.at: float | None = None
        self.trusts_flag = False


class SpeakerDetector:
    """Active speaker of one group of publishers (string ids), from their audio levels."""

    def __init__(self, params: SpeakerParams | None = None) -> None:
        self.params = params or SpeakerParams()
        self._levels: dict[str, _Level] = {}  # members, in the order they were added
        self._speaker: str | None = None
        self._recent: list[str] = []  # speakers, the most recent first
        self._challenger: str | None = None
        self._challenger_since = 0.0
        self._next_evaluation = -math.inf
        self._weight = math.exp(-self.params.packet_s / self.params.smoothing_s)

    @property
    def speaker(self) -> str | None:
        """The current speaker (None until someone has spoken)."""
        return self._speaker

    @property
    def members(self) -> list[str]:
        """The publishers of the group, in the order they were added."""
        return list(self._levels)

    def add(self, peer_id: str) -> None:
        """Make ``peer_id`` a member (its levels are ignored until then)."""
        if peer_id not in self._levels:
            self._levels[peer_id] = _Level(self.params.floor_dbov)

    def remove(self, peer_id: str) -> None:
        """Forget ``peer_id``; if it was the speaker there is none until someone speaks."""
        self._levels.pop(peer_id, None)
        if peer_id in self._recent:
            self._recent.remove(peer_id)
        if self._speaker == peer_id:
            self._speaker = None
        if self._challenger == peer_id:
            self._challenger = None

    def recent_speakers(self) -> list[str]:
        """Every member, the most recent speakers first, then those who have not spoken
        in the order they were added (what last-N selection ranks by)."""
        spoken = set(self._recent)
        return self._recent + [p for p in self._levels if p not in spoken]

    def level(self, peer_id: str, now: float) -> float:
        """``peer_id``'s smoothed level at ``now`` (the floor if unknown)."""
        level = self._levels.get(peer_id)
        if level is None:
            return self.params.floor_dbov
        return self._decayed(level, now)

    def feed(self, peer_id: str, level_dbov: float, voice: bool, now: float) -> str | None:
        """One audio packet: ``level_dbov`` (0 loudest, -127 silence), its voice-activity
        flag, its arrival time in seconds. Returns the new speaker if this changed it."""
        level = self._levels.get(peer_id)
        if level is None:
            return None
        params = self.params
        if voice:
            level.trusts_flag = True
        elif level.trusts_flag:
            level_dbov = params.floor_dbov
        value = max(params.floor_dbov, min(0.0, level_dbov))
        before = self._decayed(level, now)
        level.db = value + (before - value) * self._weight
        level.at = now
        if now < self._next_evaluation:
            return None
        return self.evaluate(now)

    def evaluate(self, now: float) -> str | None:
        """Decide at ``now``; returns the new speaker if it changed. :meth:`feed` calls
        this at most every ``evaluate_every_s``."""
        params = self.params
        self._next_evaluation = now + params.evaluate_every_s
        loudest: str | None = None
        loudest_db = params.threshold_dbov
        current_db: float | None = None
        for peer_id, level in self._levels.items():
            db = self._decayed(level, now)
            if peer_id == self._speaker:
                current_db = db
            if db >= loudest_db and (loudest is None or db > loudest_db):
                loudest, loudest_db = peer_id, db
        if loudest is None or loudest == self._speaker:
            self._challenger = None  # silence, or the speaker is the loudest
            return None
        claimant = self._challenger
        challenger = None if claimant is None else self._levels.get(claimant)
        if claimant is not None and challenger is not None and claimant != loudest:
            challenger_db = self._decayed(challenger, now)
            if (challenger_db >= params.threshold_dbov
                    and challenger_db >= loudest_db - params.margin_db):
                # the challenger still talks about as loud as the loudest: it keeps its
                # claim (several people talking alike would otherwise reset it at every
                # evaluation and nobody would ever take over)
                loudest, loudest_db = claimant, challenger_db
        if (
            current_db is not None
            and current_db >= params.threshold_dbov
            and loudest_db < current_db + params.margin_db
        ):
            self._challenger = None  # the speaker still talks, and is not outvoiced
            return None
        if self._challenger != loudest:
            self._challenger, self._challenger_since = loudest, now
            return None
        if now - self._challenger_since < params.dwell_s:
            return None
        self._speaker = loudest
        self._challenger = None
        if loudest in self._recent:
            self._recent.remove(loudest)
        self._recent.insert(0, loudest)
        return loudest

    def _decayed(self, level: _Level, now: float) -> float:
        """The level at ``now``: silent since its last packet ended, it decays to the floor."""
        if level.at is None:
            return level.db
        gap = now - level.at - self.params.packet_s
        if gap <= 0:
            return level.db
        floor = self.params.floor_dbov
        return floor + (level.db - floor) * math.exp(-gap / self.params.smoothing_s)


class ActiveSpeakers:
    """Speaker detection for every group of publishers the caller defines.

    Groups are string ids the caller assigns (a room, a breakout pair); a peer is in at
    most one group. ``on_active_speaker(group_id, peer_id)`` is called, from the packet
    path, when a group's speaker changes: it must return quickly (schedule any I/O).
    ``on_speaker_order(group_id)`` is the SFU's own listener (last-N video), called
    just before it.
    """

    def __init__(
        self,
        params: SpeakerParams | None = None,
        on_active_speaker: Callable[[str, str], None] | None = None,
    ) -> None:
        self.params = params or SpeakerParams()
        self.on_active_speaker = on_active_speaker
        self.on_speaker_order: Callable[[str], None] | None = None
        self._groups: dict[str, SpeakerDetector] = {}
        self._group_of: dict[str, str] = {}
        self._muted: set[str] = set()

    def set_group(self, group_id: str, peer_ids: Iterable[str]) -> None:
        """The group's members are exactly ``peer_ids`` (added in that order); a peer of
        another group moves here. Members kept keep their levels and speaker history."""
        wanted = list(dict.fromkeys(peer_ids))
        detector = self._groups.get(group_id)
        if detector is None:
            detector = self._groups[group_id] = SpeakerDetector(self.params)
        for peer_id in detector.members:
            if peer_id not in wanted:
                detector.remove(peer_id)
                self._group_of.pop(peer_id, None)
        for peer_id in wanted:
            other = self._group_of.get(peer_id)
            if other is not None and other != group_id:
                self._groups[other].remove(peer_id)
            self._group_of[peer_id] = group_id
            detector.add(peer_id)

    def remove_group(self, group_id: str) -> None:
        """Forget the group and its members' levels."""
        detector = self._groups.pop(group_id, None)
        if detector is not None:
            for peer_id in detector.members:
                self._group_of.pop(peer_id, None)

    def remove_peer(self, peer_id: str) -> None:
        """Take ``peer_id`` out of its group (a peer that left)."""
        self._muted.discard(peer_id)
        group_id = self._group_of.pop(peer_id, None)
        if group_id is not None:
            self._groups[group_id].remove(peer_id)

    def set_muted(self, peer_id: str, muted: bool) -> None:
        """A hard-muted peer's levels are ignored (it fades to silence and cannot become
        the speaker) until unmuted; it stays a member and keeps its rank."""
        if muted:
            self._muted.add(peer_id)
        else:
            self._muted.discard(peer_id)

    def group_of(self, peer_id: str) -> str | None:
        """The group ``peer_id`` is in, if any."""
        return self._group_of.get(peer_id)

    def members(self, group_id: str) -> list[str]:
        """The group's members, in the order they were added."""
        detector = self._groups.get(group_id)
        return detector.members if detector is not None else []

    def speaker(self, group_id: str) -> str | None:
        """The group's current speaker, if any."""
        detector = self._groups.get(group_id)
        return detector.speaker if detector is not None else None

    def recent_speakers(self, group_id: str) -> list[str]:
        """The group's members, the most recent speakers first (see SpeakerDetector)."""
        detector = self._groups.get(group_id)
        return detector.recent_speakers() if detector is not None else []

    def feed(self, peer_id: str, level_dbov: float, voice: bool, now: float) -> None:
        """One audio packet of ``peer_id`` (ignored unless it is in a group)."""
        group_id = self._group_of.get(peer_id)
        if group_id is None or peer_id in self._muted:
            return
        speaker = self._groups[group_id].feed(peer_id, level_dbov, voice, now)
        if speaker is None:
            return
        if self.on_speaker_order is not None:
            try:
                self.on_speaker_order(group_id)
            except Exception:  # the packet path must go on
                logger.exception("on_speaker_order(%s) failed", group_id)
        if self.on_active_speaker is not None:
            try:
                self.on_active_speaker(group_id, speaker)
            except Exception:  # the packet path must go on
                logger.exception("on_active_speaker(%s, %s) failed", group_id, speaker)
