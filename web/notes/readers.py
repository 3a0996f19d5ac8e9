"""Who reads a session's notes export, and the names its action items' owners go by.

A session's participants read its export with the person token of their schedule link
or, for any room (a booked one or one made with ``POST /api/rooms``), with the join token
their call page joined with: the token of that room, checked as for a join (signature,
issuer, room), and accepted until ``JOIN_TOKEN_READ_GRACE_S`` after it expired (join
tokens expire with their room; the notes stay readable with it for a week after, then
the person token or an admin's export remain). A shareable link names nobody and reads
nothing; the personal token a guest got with it does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rooms.errors import RoomError
from rooms.grants import JoinGrant
from rooms.models import RoomSnapshot
from rooms.recordings.model import Recording
from rooms.scheduling.people import Person

from ..scheduling.routes import problem

JOIN_TOKEN_READ_GRACE_S = 7 * 24 * 3600
GRACE_TEXT = "7 days"
MAX_NAMES_LOOKED_UP = 100  # distinct owners looked up in the directory per export


class JoinVerifier(Protocol):
    def __call__(self, token: str | None, room_id: str | None = None,
                 expired_grace_s: float = 0.0) -> JoinGrant: ...


@dataclass(frozen=True)
class Reader:
    """Who reads: a participant's identity (None: an admin) and, with a join token, the
    name it gave them."""

    identity: str | None
    name: str | None = None


def join_reader(verify: JoinVerifier, token: str | None, room_id: str) -> Reader | None:
    """The participant a join token of ``room_id`` names; None if ``token`` is no join
    token at all (the person-token refusal then stands). A join token of another room
    is ``forbidden``; one that expired more than the grace ago is ``unauthorized``."""
    try:
        grant = verify(token, room_id, JOIN_TOKEN_READ_GRACE_S)
    except RoomError as exc:
        if exc.code in ("token_invalid", "token_missing"):
            return None
        if exc.code == "token_wrong_room":
            raise problem("forbidden", "That call link is for another room: a call link "
                                       "reads the notes of its own session only.") from exc
        if exc.code == "token_expired":
            raise problem("unauthorized", "That call link expired more than "
                          f"{GRACE_TEXT} ago: read the notes with your schedule link or "
                          "ask an admin.") from exc
        raise problem("unauthorized", exc.message) from exc
    if grant.shareable:
        raise problem("forbidden", "A shareable link names nobody: read the notes with the "
                                   "link your call page got when you joined.")
    return Reader(grant.identity, grant.display_name)


PersonLookup = Callable[[str], Awaitable[Person]]
RosterLookup = Callable[[str], Awaitable[RoomSnapshot]]


class SessionNames:
    """Display names of a session's people, from what is known about them: the people
    directory (registered people), the room's roster while it is open, the session's
    recordings (the names their links gave) and the reader's own join token."""

    def __init__(self, person: PersonLookup | None = None,
                 roster: RosterLookup | None = None) -> None:
        self._person = person
        self._roster = roster

    async def of(self, room_id: str, wanted: Iterable[str], recorded: Sequence[Recording],
                 reader: Reader) -> dict[str, str]:
        """Names by identity for those of ``wanted`` known anywhere (others are left out)."""
        wanted = {w for w in wanted if w}
        names: dict[str, str] = {}
        for recording in recorded:
            names.update(recording.names)
        if self._roster is not None and wanted - names.keys():
            try:
                snapshot = await self._roster(room_id)
            except RoomError:  # the room is gone (ended) or never was
                pass
            else:
                names.update({p.identity: p.display_name for p in snapshot.participants})
        if reader.identity is not None and reader.name:
            names[reader.identity] = reader.name
        if self._person is not None:  # a registered person's current name wins
            for identity in sorted(wanted)[:MAX_NAMES_LOOKED_UP]:
                try:
                    names[identity] = (await self._person(identity)).display_name
                except RoomError:  # not a registered person
                    continue
        return {k: v for k, v in names.items() if k in wanted}
