"""Roundtables: group rooms that a host runs, with every control enforced by the server.

* :mod:`~rooms.roundtables.model`: the state of one roundtable (members and their roles,
  lobby and knocks, lock, bans, hard mutes, raised hands, speaking timer, breakout plan).
* :mod:`~rooms.roundtables.rules`, :mod:`~rooms.roundtables.floor` and
  :mod:`~rooms.roundtables.breakout`: pure changes of that state, each checking who may
  make it (the pair rooms themselves are :mod:`rooms.breakouts`).
* :mod:`~rooms.roundtables.store`: the store interface, with
  :mod:`~rooms.roundtables.memory_store` and :mod:`~rooms.roundtables.redis_store`.
* :mod:`~rooms.roundtables.service`: :class:`RoundtableService`, what signaling calls.
  :class:`rooms.service.RoomService` consults it on every join of a roundtable room (bans,
  lock, lobby) and on every leave (host succession).

Roles: ``host`` (one; also hands hosting over, promotes and demotes co-hosts, removes
co-hosts), ``co-host`` (every other host control), ``participant``, ``observer`` (watches:
its grants never publish, it cannot be promoted or host). The state's ``members`` decides
a person's role once they are in; the token's role only counts the first time.

Error codes (``RoomError.code``; the sentence is ``RoomError.message``):

=======================  ====================================================================
``not_host``             the actor is not host/co-host, or the action is the host's alone
                         (hand over, promote, demote, remove a co-host); nothing changed
``not_roundtable``       a roundtable action on a room of another kind
``banned``               this identity was removed from the room and cannot join it again
``room_locked``          the room is locked: only people already let in may (re)join
``lobby_waiting``        the join was not made: the person now knocks in the lobby and may
                         join once a host admits them (their next join goes straight in)
``lobby_full``           too many people are knocking (``MAX_KNOCKS``)
``not_knocking``         admit/deny of someone not waiting (already admitted or denied: of
                         two answers to one knock exactly one wins, the other gets this)
``unknown_participant``  the target was never let in (or is not in the room, for hand-over)
``target_is_host``       the host cannot be muted, banned, demoted or promoted
``invalid_target``       an observer cannot be promoted or given hosting
``hand_not_raised``      call on someone whose hand is not up
``invalid_timer``        a speaking time outside 1 s .. 1 h
``invalid_breakout``     pairs must be distinct participants, 2 or 3 a room, ending later
``breakout_running``     a breakout is already running
``too_many_bans``        the room's ban list is full (``MAX_BANS``)
=======================  ====================================================================

Join of a shareable link (one link for many, ``JoinGrant.shareable``): signaling calls
:meth:`rooms.service.RoomService.redeem` first; it answers a personal grant with a fresh
identity and a personal token for reconnecting. Joining with the shareable grant itself
is ``forbidden``. Bans are per identity, so a banned guest can open the shared link again
as someone new: lock the room or turn the lobby on to stop that.
"""
