"""Last-N selection and slot assignment: pure logic."""

from __future__ import annotations

import random

from media.last_n import LastN, SlotChange, VideoSlots, select_videos

PUBLISHERS = ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"]


def test_the_n_most_recent_speakers_minus_the_subscriber() -> None:
    ranked = ["p5", "p2", "p7", "p1"]
    assert select_videos(ranked, PUBLISHERS, "p9", n=3) == {"p5", "p2", "p7"}
    assert select_videos(ranked, PUBLISHERS, "p2", n=3) == {"p5", "p7", "p1"}


def test_those_who_never_spoke_rank_in_join_order_after_speakers() -> None:
    assert select_videos(["p6"], PUBLISHERS, "p1", n=3) == {"p6", "p2", "p3"}
    assert select_videos([], PUBLISHERS, "p1", n=2) == {"p2", "p3"}


def test_pinned_publishers_come_on_top_of_n() -> None:
    ranked = ["p5", "p2", "p7"]
    assert select_videos(ranked, PUBLISHERS, "p1", n=2, pinned={"p8"}) == {"p8", "p5", "p2"}
    # a pinned recent speaker does not take one of the n places twice
    assert select_videos(ranked, PUBLISHERS, "p1", n=2, pinned={"p5"}) == {"p5", "p2", "p7"}
    # pinning oneself or someone not publishing video changes nothing
    assert select_videos(ranked, PUBLISHERS, "p1", n=2, pinned={"p1", "ghost"}) == {"p5", "p2"}


def test_fewer_publishers_than_n_means_all_of_them() -> None:
    assert select_videos(["p2"], ["p1", "p2", "p3"], "p1", n=6) == {"p2", "p3"}
    assert select_videos([], [], "p1") == set()
    assert select_videos(["p2"], ["p1", "p2"], "p1", n=0) == set()


def test_ranked_peers_that_do_not_publish_video_are_skipped() -> None:
    assert select_videos(["audio-only", "p3"], ["p2", "p3", "p4"], "p1", n=2) == {"p3", "p2"}


def test_slots_fill_in_order_and_stay_put_when_the_set_does_not_change() -> None:
    slots = VideoSlots(3)
    changes = slots.assign({"p3", "p1", "p2"}, order=["p2", "p3", "p1"])
    assert changes == [
        SlotChange(0, None, "p2"),
        SlotChange(1, None, "p3"),
        SlotChange(2, None, "p1"),
    ]
    assert slots.assign({"p1", "p2", "p3"}, order=["p1", "p3", "p2"]) == []  # reordered only
    assert slots.slots == ["p2", "p3", "p1"]
    assert slots.slot_of("p1") == 2 and slots.slot_of("p9") is None


def test_a_new_speaker_takes_the_slot_of_the_one_dropped() -> None:
    slots = VideoSlots(3)
    slots.assign({"p1", "p2", "p3"}, order=["p1", "p2", "p3"])
    changes = slots.assign({"p1", "p4", "p3"})
    assert changes == [SlotChange(1, "p2", "p4")]  # one switch, the others untouched
    assert slots.slots == ["p1", "p4", "p3"]


def test_slots_empty_when_fewer_are_wanted_and_too_few_slots_are_reported() -> None:
    slots = VideoSlots(2)
    slots.assign({"p1", "p2"}, order=["p1", "p2"])
    assert slots.assign({"p2"}) == [SlotChange(0, "p1", None)]
    changes = slots.assign({"p2", "p5", "p6", "p7"}, order=["p7", "p6", "p5"])
    assert changes == [SlotChange(0, None, "p7")]  # the best ranked newcomer first
    assert slots.unplaced({"p2", "p5", "p6", "p7"}) == ["p5", "p6"]
    index = slots.add_slot()
    assert index == 2
    assert slots.assign({"p2", "p5", "p6", "p7"}, order=["p7", "p6", "p5"]) == [
        SlotChange(2, None, "p6")
    ]


def test_following_a_speaker_sequence_moves_one_slot_per_change() -> None:
    """8 publishers, N = 3: each speaker change outside the shown set swaps exactly one
    slot; a change among the shown ones swaps none."""
    rng = random.Random(11)
    recent: list[str] = []
    slots = VideoSlots(3)
    slots.assign(select_videos(recent, PUBLISHERS, "me", n=3), order=PUBLISHERS)
    for _ in range(200):
        speaker = rng.choice(PUBLISHERS)
        shown_before = {p for p in slots.slots if p}
        recent = [speaker] + [p for p in recent if p != speaker]
        wanted = select_videos(recent, PUBLISHERS, "me", n=3)
        changes = slots.assign(wanted, order=recent)
        assert {p for p in slots.slots if p} == wanted
        assert speaker in wanted
        assert len(changes) == (0 if speaker in shown_before else 1)


def test_last_n_plans_every_subscriber_and_reports_only_changes() -> None:
    last_n = LastN(n=2)
    last_n.set_subscriber("p1", slots=2)
    last_n.set_subscriber("p2", slots=2, pinned={"p5"})
    publishers = ["p1", "p2", "p3", "p4", "p5"]
    plan = last_n.update([], publishers)
    assert last_n.slots("p1") == ["p2", "p3"]
    assert last_n.slots("p2") == ["p1", "p3"]  # p5 pinned but no slot for it yet
    assert last_n.unplaced("p2", [], publishers) == ["p5"]
    assert set(plan) == {"p1", "p2"}
    last_n.set_subscriber("p2", slots=3, pinned={"p5"})  # a third track negotiated
    assert last_n.update([], publishers) == {"p2": [SlotChange(2, None, "p5")]}
    assert last_n.update([], publishers) == {}  # nothing changed: nothing to do

    # p4 speaks: both subscribers show it in place of the lowest-ranked one
    plan = last_n.update(["p4"], publishers)
    assert plan == {"p1": [SlotChange(1, "p3", "p4")], "p2": [SlotChange(1, "p3", "p4")]}
    # p1 speaks: nobody's set changes (p1 never sees itself, p2 already shows p1)
    assert last_n.update(["p1", "p4"], publishers) == {}
    # p3 speaks: it replaces the lowest ranked one shown (p2 for p1, p4 for p2)
    plan = last_n.update(["p3", "p1", "p4"], publishers)
    assert plan == {"p1": [SlotChange(0, "p2", "p3")], "p2": [SlotChange(1, "p4", "p3")]}


def test_last_n_forgets_removed_subscribers() -> None:
    last_n = LastN(n=1)
    last_n.set_subscriber("a", slots=1)
    last_n.remove_subscriber("a")
    assert last_n.slots("a") == [] and last_n.update(["b"], ["b"]) == {}
    assert last_n.unplaced("a", ["b"], ["b"]) == ["b"]
