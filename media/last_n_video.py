"""Last-N video on the subscribe connections: which publisher each video slot carries.

Last-N is switched on per group of :class:`~media.active_speaker.ActiveSpeakers` (a
room). In such a group every member's subscribe connection gets video *slots* instead
of one video m-line per publisher (rules: media/subscriber.py, rule 8): as many as it
must show - the N most recent speakers among the members publishing video (forwarded,
so not hard-muted), plus its pins - and never fewer than it had. When the group has
N or fewer video publishers, each of them has a slot. :class:`~media.last_n.LastN`
decides the slots; this module re-plans a group whenever its speaker order, its video
publishers, a member's pins or its subscribe connections change, and hands the new
mapping to each connection (a negotiated slot switches source at once, with a keyframe
requested; only new slots need an offer). ``notify(connection)`` is then called for
every connection whose mapping changed, to offer its new slots or tell the new mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from media.active_speaker import ActiveSpeakers
from media.last_n import DEFAULT_LAST_N, LastN
from media.subscriber import SubscriberConnection


class LastNVideo:
    """Last-N per group over the SFU's subscribe connections (see the module docstring).

    ``connections`` are the subscribe connections by peer id (read, never changed);
    ``publishes_video(peer_id)`` says whether a peer's video is published and forwarded.
    """

    def __init__(
        self,
        speakers: ActiveSpeakers,
        connections: Mapping[str, SubscriberConnection],
        publishes_video: Callable[[str], bool],
        notify: Callable[[SubscriberConnection], None],
        default_n: int = DEFAULT_LAST_N,
    ) -> None:
        self._speakers = speakers
        self._connections = connections
        self._publishes_video = publishes_video
        self._notify = notify
        self.default_n = default_n
        self._groups: dict[str, LastN] = {}
        self._pins: dict[str, frozenset[str]] = {}

    def enabled(self, group_id: str) -> int | None:
        """The group's N, or None when last-N is off for it."""
        last_n = self._groups.get(group_id)
        return None if last_n is None else last_n.n

    def set_group(self, group_id: str, n: int | None) -> None:
        """Last-N with ``n`` for the group (None: off, every video on an m-line of its
        own again). Re-plans every connection."""
        if n is None:
            self._groups.pop(group_id, None)
        elif group_id not in self._groups or self._groups[group_id].n != n:
            self._groups[group_id] = LastN(n)
        self.update_all()

    def pin(self, peer_id: str, publisher_ids: Collection[str]) -> None:
        """``peer_id`` always receives these publishers' video (while they publish it
        and are in its group); replaces its earlier pins."""
        self._pins[peer_id] = frozenset(p for p in publisher_ids if p != peer_id)
        group_id = self._speakers.group_of(peer_id)
        if group_id is not None and group_id in self._groups:
            self.update(group_id)

    def pins(self, peer_id: str) -> frozenset[str]:
        """The publishers ``peer_id`` pinned."""
        return self._pins.get(peer_id, frozenset())

    def forget(self, peer_id: str) -> None:
        """``peer_id`` left: its pins go (its slots in others' connections follow from
        :meth:`update_all`)."""
        self._pins.pop(peer_id, None)

    def arrange(self, connection: SubscriberConnection) -> None:
        """Before an offer on ``connection`` (opened, or its sources set): re-plan its
        group (it gets slots), or turn its slots off outside any group with last-N."""
        group_id = self._speakers.group_of(connection.peer_id)
        if group_id is not None and group_id in self._groups:
            self.update(group_id, connection)
        else:
            connection.set_video_slots(None)

    def update_all(self) -> None:
        """Re-plan every group, and turn slots off on connections outside any group
        with last-N (after publishers or forwarding changed, or a group was set)."""
        for group_id in list(self._groups):
            self.update(group_id)
        for peer_id, connection in list(self._connections.items()):
            if self._speakers.group_of(peer_id) not in self._groups:
                self._apply(connection, None, None)

    def update(self, group_id: str, current: SubscriberConnection | None = None) -> None:
        """Re-plan one group (after a speaker change: from the packet path, so quick)."""
        last_n = self._groups.get(group_id)
        if last_n is None:
            return
        members = self._speakers.members(group_id)
        ranked = self._speakers.recent_speakers(group_id)
        publishers = [p for p in members if self._publishes_video(p)]
        subscribers = {
            p: self._connections[p] for p in members if p in self._connections
        }
        if current is not None and current.peer_id in members:
            subscribers[current.peer_id] = current  # replaces an older connection
        for peer_id in set(last_n.subscriber_ids()) - set(subscribers):
            last_n.remove_subscriber(peer_id)
        for peer_id, connection in subscribers.items():
            pinned = self._pins.get(peer_id, frozenset())
            had = len(connection.video_slots or ())
            last_n.set_subscriber(peer_id, had, pinned)
            needed = len(last_n.wanted(peer_id, ranked, publishers))
            last_n.set_subscriber(peer_id, needed, pinned)  # slots only grow
        last_n.update(ranked, publishers)
        for peer_id, connection in subscribers.items():
            self._apply(connection, last_n.slots(peer_id), current)

    def _apply(
        self,
        connection: SubscriberConnection,
        slots: list[str | None] | None,
        current: SubscriberConnection | None,
    ) -> None:
        if slots is not None:
            had = connection.video_slots or []
            slots = slots + [None] * (len(had) - len(slots))  # a replaced LastN entry
        if connection.closing:
            return
        if connection.set_video_slots(slots) and connection is not current:
            self._notify(connection)
