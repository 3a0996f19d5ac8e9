"""SpeakerDetector and ActiveSpeakers fed synthetic audio-level sequences (manual time)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

import pytest

from media.active_speaker import ActiveSpeakers, SpeakerDetector, SpeakerParams

PACKET_S = 0.02
SILENCE = -127.0

Levels = Mapping[str, Callable[[float], float | None]]  # peer -> level at t (None: no packet)


def run(
    detector: SpeakerDetector | ActiveSpeakers,
    levels: Levels,
    start: float,
    end: float,
    voice: bool = False,
) -> list[tuple[float, str]]:
    """Feed a packet per peer every 20 ms from ``start`` to ``end``; the changes seen."""
    changes: list[tuple[float, str]] = []
    steps = round((end - start) / PACKET_S)
    for step in range(steps):
        now = start + step * PACKET_S
        for peer, level_at in levels.items():
            level = level_at(now)
            if level is None:
                continue
            if isinstance(detector, SpeakerDetector):
                changed = detector.feed(peer, level, voice, now)
                if changed is not None:
                    changes.append((now, changed))
            else:
                detector.feed(peer, level, voice, now)
    return changes


def const(level: float | None) -> Callable[[float], float | None]:
    return lambda t: level


def detector_with(*peers: str) -> SpeakerDetector:
    detector = SpeakerDetector()
    for peer in peers:
        detector.add(peer)
    return detector


def test_a_speaker_is_chosen_after_the_dwell_time() -> None:
    d = detector_with("a", "b")
    changes = run(d, {"a": const(-20), "b": const(SILENCE)}, 0.0, 2.0)
    ((when, who),) = changes
    assert who == "a" and d.speaker == "a"
    assert 0.4 <= when <= 0.6  # dwell 0.4 s, decided every 50 ms, after the rise


def test_a_short_sound_is_not_a_speaker() -> None:
    d = detector_with("a", "b")
    cough = lambda t: -15.0 if t < 0.3 else SILENCE  # noqa: E731
    assert run(d, {"a": cough, "b": const(SILENCE)}, 0.0, 3.0) == []
    assert d.speaker is None


def test_silence_never_switches() -> None:
    d = detector_with("a", "b")
    run(d, {"a": const(-20), "b": const(SILENCE)}, 0.0, 2.0)
    assert run(d, {"a": const(SILENCE), "b": const(SILENCE)}, 2.0, 10.0) == []
    assert run(d, {}, 10.0, 20.0) == []  # nobody sends at all (DTX)
    assert d.speaker == "a"


def test_turn_taking_switches_once_per_turn() -> None:
    d = detector_with("a", "b", "c")
    turns = {
        "a": lambda t: -22.0 if t < 3 else SILENCE,
        "b": lambda t: -25.0 if 3 <= t < 6 else SILENCE,
        "c": lambda t: -30.0 if t >= 6 else SILENCE,
    }
    changes = run(d, turns, 0.0, 9.0)
    assert [who for _, who in changes] == ["a", "b", "c"]
    # each new speaker after its dwell (plus the previous one's fade below threshold)
    assert 3.4 <= changes[1][0] <= 3.8 and 6.4 <= changes[2][0] <= 6.8
    assert d.recent_speakers() == ["c", "b", "a"]


def test_two_similar_voices_talking_over_each_other_do_not_flap() -> None:
    rng = random.Random(3)
    d = detector_with("a", "b")
    # both at -20 dBov +- 4 dB, packet by packet; b starts slightly earlier
    noisy = lambda t: -20.0 + rng.uniform(-4, 4)  # noqa: E731
    late = lambda t: None if t < 0.1 else -20.0 + rng.uniform(-4, 4)  # noqa: E731
    changes = run(d, {"b": noisy, "a": late}, 0.0, 30.0)
    assert len(changes) == 1  # the first speaker, then never a switch


def test_a_much_louder_voice_takes_over_a_talking_speaker_after_the_dwell() -> None:
    d = detector_with("a", "b")
    run(d, {"a": const(-30), "b": const(SILENCE)}, 0.0, 2.0)
    assert d.speaker == "a"
    # b shouts for 0.3 s over a: too short
    shout = lambda t: -12.0 if t < 2.3 else SILENCE  # noqa: E731
    assert run(d, {"a": const(-30), "b": shout}, 2.0, 4.0) == []
    # b is 10 dB louder for good: it takes over
    changes = run(d, {"a": const(-30), "b": const(-20)}, 4.0, 6.0)
    assert [who for _, who in changes] == ["b"]
    # 4 dB louder is not enough while a still talks
    d2 = detector_with("a", "b")
    run(d2, {"a": const(-30), "b": const(SILENCE)}, 0.0, 2.0)
    assert run(d2, {"a": const(-30), "b": const(-26)}, 2.0, 8.0) == []


def test_publishers_that_flag_voice_activity_are_judged_by_the_flag() -> None:
    d = detector_with("chrome", "aiortc")
    # a flagged voice, then loud unflagged noise (typing, fan) from the same sender
    d.feed("chrome", -25, True, 0.0)
    run(d, {"chrome": const(-20)}, 0.02, 3.0, voice=False)
    assert d.speaker is None
    # a sender that never flags (aiortc) is judged by its level
    run(d, {"aiortc": const(-35)}, 3.0, 5.0, voice=False)
    assert d.speaker == "aiortc"


def test_levels_outside_the_range_and_unknown_peers_are_harmless() -> None:
    d = detector_with("a")
    assert d.feed("stranger", -10, True, 0.0) is None
    run(d, {"a": const(12.0)}, 0.0, 1.0)  # > 0 dBov clamps to 0
    assert d.speaker == "a"
    assert d.level("a", 1.0) <= 0.0
    assert d.level("stranger", 1.0) == SpeakerParams().floor_dbov


def test_removing_the_speaker_leaves_none_and_recent_speakers_follow() -> None:
    d = detector_with("a", "b", "c")
    assert d.recent_speakers() == ["a", "b", "c"]  # nobody spoke: in join order
    run(d, {"c": const(-20)}, 0.0, 1.0)
    assert d.recent_speakers() == ["c", "a", "b"]
    d.remove("c")
    assert d.speaker is None and d.recent_speakers() == ["a", "b"]
    changes = run(d, {"b": const(-20)}, 1.0, 2.0)
    assert [who for _, who in changes] == ["b"]


def test_groups_report_changes_with_their_id_and_are_independent() -> None:
    seen: list[tuple[str, str]] = []
    speakers = ActiveSpeakers(on_active_speaker=lambda g, p: seen.append((g, p)))
    speakers.set_group("room1", ["a", "b"])
    speakers.set_group("room2", ["c", "d"])
    run(speakers, {"a": const(-20), "d": const(-25), "x": const(-5)}, 0.0, 1.0)
    assert sorted(seen) == [("room1", "a"), ("room2", "d")]
    assert speakers.speaker("room1") == "a" and speakers.speaker("room2") == "d"
    assert speakers.recent_speakers("room2") == ["d", "c"]
    assert speakers.speaker("nowhere") is None and speakers.recent_speakers("nowhere") == []


def test_a_peer_moves_between_groups_and_leaves() -> None:
    seen: list[tuple[str, str]] = []
    speakers = ActiveSpeakers(on_active_speaker=lambda g, p: seen.append((g, p)))
    speakers.set_group("room", ["a", "b", "c"])
    speakers.set_group("pair", ["a", "b"])  # a breakout: a and b leave the room's group
    assert speakers.recent_speakers("room") == ["c"]
    run(speakers, {"a": const(-20)}, 0.0, 1.0)
    assert seen == [("pair", "a")]
    speakers.remove_peer("a")
    assert speakers.recent_speakers("pair") == ["b"]
    speakers.set_group("pair", ["b"])
    speakers.remove_group("pair")
    run(speakers, {"b": const(-20)}, 1.0, 2.0)  # in no group: ignored
    assert seen == [("pair", "a")]
    speakers.set_group("room", ["c", "b"])
    assert speakers.recent_speakers("room") == ["c", "b"]


def test_a_failing_callback_does_not_stop_detection(caplog: pytest.LogCaptureFixture) -> None:
    def broken(group_id: str, peer_id: str) -> None:
        raise RuntimeError("emit failed")

    speakers = ActiveSpeakers(on_active_speaker=broken)
    speakers.set_group("room", ["a", "b"])
    run(speakers, {"a": const(-20)}, 0.0, 1.0)
    run(speakers, {"a": const(SILENCE), "b": const(-20)}, 1.0, 2.0)
    assert speakers.speaker("room") == "b"
    assert "on_active_speaker(room, a) failed" in caplog.text


def test_a_hard_muted_peer_cannot_become_the_speaker() -> None:
    seen: list[tuple[str, str]] = []
    speakers = ActiveSpeakers(on_active_speaker=lambda g, p: seen.append((g, p)))
    speakers.set_group("room", ["a", "b"])
    run(speakers, {"a": const(-30)}, 0.0, 1.0)
    speakers.set_muted("b", True)  # the server stopped forwarding b's microphone
    run(speakers, {"a": const(SILENCE), "b": const(-10)}, 1.0, 3.0)
    assert seen == [("room", "a")]
    speakers.set_muted("b", False)
    run(speakers, {"a": const(SILENCE), "b": const(-10)}, 3.0, 4.0)
    assert seen == [("room", "a"), ("room", "b")]
    assert speakers.recent_speakers("room") == ["b", "a"]


def test_one_of_many_people_talking_alike_becomes_the_speaker_and_stays() -> None:
    # Ten tones at one level, each packet a little louder or softer: the loudest changes
    # at nearly every evaluation. Before, each change reset the challenger, so nobody
    # ever held it for the dwell time and no speaker was chosen at all.
    rng = random.Random(7)
    peers = [f"p{i}" for i in range(10)]
    d = detector_with(*peers)
    jitter = {p: (lambda t: -30.0 + rng.uniform(-1.5, 1.5)) for p in peers}
    changes = run(d, jitter, 0.0, 4.0)
    assert changes, "no speaker was chosen"
    assert len(changes) == 1, changes  # and no flapping among people talking alike
    assert changes[0][0] <= 1.0
