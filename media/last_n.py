"""Last-N video: which publishers' video each subscriber receives, and on which track.

Pure logic over string ids. :func:`select_videos` picks, for one subscriber, its pinned
publishers plus the N most recent speakers among the others (the order
:meth:`media.active_speaker.ActiveSpeakers.recent_speakers` gives). :class:`VideoSlots`
maps that selection onto the subscriber's video tracks (*slots*) so a change moves as
few tracks as possible: a publisher still selected keeps its slot, a newly selected one
takes a slot freed by one no longer selected. Each slot change is a source switch
behind an existing sending track (:meth:`media.sender.ForwardingSender.switch_source`:
no renegotiation, a keyframe requested); only a selection larger than the slots needs
new tracks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

DEFAULT_LAST_N = 6


def select_videos(
    ranked: Sequence[str],
    publishers: Iterable[str],
    subscriber_id: str,
    n: int = DEFAULT_LAST_N,
    pinned: Collection[str] = (),
) -> set[str]:
    """The video publishers ``subscriber_id`` receives.

    ``publishers`` are the peers publishing video now (in join order); ``ranked`` is
    the speaker order, most recent first (publishers missing from it rank after it, in
    ``publishers`` order). The result is every pinned publisher plus the first ``n`` of
    the others, never the subscriber itself. The same inputs give the same set.
    """
    available = [p for p in dict.fromkeys(publishers) if p != subscriber_id]
    present = set(available)
    chosen = {p for p in pinned if p in present}
    order = [p for p in dict.fromkeys(ranked) if p in present]
    ranked_set = set(order)
    order += [p for p in available if p not in ranked_set]
    others = [p for p in order if p not in chosen]
    chosen.update(others[: max(n, 0)])
    return chosen


@dataclass(frozen=True)
class SlotChange:
    """Slot ``slot`` now carries ``new`` instead of ``old`` (None: nothing)."""

    slot: int
    old: str | None
    new: str | None


class VideoSlots:
    """One subscriber's video tracks, each carrying one publisher's video or nothing."""

    def __init__(self, count: int = 0) -> None:
        self._slots: list[str | None] = [None] * count

    @property
    def slots(self) -> list[str | None]:
        """The publisher each slot carries, by slot index."""
        return list(self._slots)

    def add_slot(self) -> int:
        """One more (empty) slot, e.g. after a new track was negotiated; its index."""
        self._slots.append(None)
        return len(self._slots) - 1

    def slot_of(self, publisher_id: str) -> int | None:
        """The slot carrying ``publisher_id``, if any."""
        try:
            return self._slots.index(publisher_id)
        except ValueError:
            return None

    def assign(self, wanted: Iterable[str], order: Sequence[str] = ()) -> list[SlotChange]:
        """Carry exactly ``wanted`` (as far as the slots go); returns what changed.

        Publishers already in a slot stay there. Slots of publishers no longer wanted,
        then empty slots, take the newcomers - in ``order`` (e.g. speaker rank, so the
        most recent speaker gets a slot first when there are too few), then by id.
        A slot whose publisher went and no newcomer needs is emptied.
        """
        wanted_set = set(wanted)
        rank = {p: i for i, p in enumerate(order)}
        placed = {p for p in self._slots if p is not None and p in wanted_set}
        newcomers = sorted(wanted_set - placed, key=lambda p: (rank.get(p, len(rank)), p))
        free = [i for i, p in enumerate(self._slots) if p is not None and p not in wanted_set]
        free += [i for i, p in enumerate(self._slots) if p is None]
        changes = []
        for slot, new in zip(free, newcomers, strict=False):
            changes.append(SlotChange(slot, self._slots[slot], new))
            self._slots[slot] = new
        for slot in free[len(newcomers) :]:
            if self._slots[slot] is not None:
                changes.append(SlotChange(slot, self._slots[slot], None))
                self._slots[slot] = None
        return sorted(changes, key=lambda c: c.slot)

    def unplaced(self, wanted: Iterable[str]) -> list[str]:
        """Wanted publishers that have no slot (the subscriber needs more tracks)."""
        carried = set(self._slots)
        return sorted(p for p in set(wanted) if p not in carried)


class LastN:
    """Last-N for one group: every subscriber's slots, kept following the speaker order.

    The caller registers each subscriber with the number of video tracks (slots) its
    subscribe connection has and what it pinned, then calls :meth:`update` whenever
    the speaker order or the video publishers change; it gets back, per subscriber,
    the slots to switch (``SlotChange.new`` None: stop forwarding on that track).
    """

    def __init__(self, n: int = DEFAULT_LAST_N) -> None:
        self.n = n
        self._slots: dict[str, VideoSlots] = {}
        self._pinned: dict[str, frozenset[str]] = {}

    def set_subscriber(self, subscriber_id: str, slots: int, pinned: Iterable[str] = ()) -> None:
        """Register ``subscriber_id`` (or change its slot count and pins). Slots only grow
        (a track, once negotiated, stays)."""
        current = self._slots.setdefault(subscriber_id, VideoSlots())
        while len(current.slots) < slots:
            current.add_slot()
        self._pinned[subscriber_id] = frozenset(pinned)

    def subscriber_ids(self) -> list[str]:
        """The registered subscribers."""
        return list(self._slots)

    def remove_subscriber(self, subscriber_id: str) -> None:
        self._slots.pop(subscriber_id, None)
        self._pinned.pop(subscriber_id, None)

    def slots(self, subscriber_id: str) -> list[str | None]:
        """The publisher each of the subscriber's slots carries."""
        current = self._slots.get(subscriber_id)
        return current.slots if current is not None else []

    def wanted(
        self, subscriber_id: str, ranked: Sequence[str], video_publishers: Iterable[str]
    ) -> set[str]:
        """The publishers whose video ``subscriber_id`` should receive."""
        return select_videos(
            ranked, video_publishers, subscriber_id, self.n, self._pinned.get(subscriber_id, ())
        )

    def update(
        self, ranked: Sequence[str], video_publishers: Sequence[str]
    ) -> dict[str, list[SlotChange]]:
        """Re-plan every subscriber; only subscribers with changes are in the result.
        A subscriber wanting more publishers than it has slots gets the best ranked
        (see :meth:`unplaced` for what more slots would carry)."""
        order = list(ranked) + [p for p in video_publishers if p not in set(ranked)]
        plan: dict[str, list[SlotChange]] = {}
        for subscriber_id, slots in self._slots.items():
            changes = slots.assign(self.wanted(subscriber_id, ranked, video_publishers), order)
            if changes:
                plan[subscriber_id] = changes
        return plan

    def unplaced(
        self, subscriber_id: str, ranked: Sequence[str], video_publishers: Sequence[str]
    ) -> list[str]:
        """Wanted publishers without a slot: the subscriber needs that many more tracks."""
        current = self._slots.get(subscriber_id)
        wanted = self.wanted(subscriber_id, ranked, video_publishers)
        return current.unplaced(wanted) if current is not None else sorted(wanted)
