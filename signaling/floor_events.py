"""Raised hands and the speaking timer of a roundtable (docs/protocol.md, Roundtables).

Each event is one change of the roundtable's floor, checked and made atomically by
:class:`~rooms.roundtables.service.RoundtableService` and told to the room like every
other roundtable change (:meth:`signaling.roundtable_events.RoundtableEvents.act`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rooms.roundtables.service import RoundtableService

from .dispatch import Ack
from .errors import ok_ack
from .handlers import EventSpec, EventTable
from .limits import ROUNDTABLE_RATE
from .roundtable_events import Action
from .roundtable_payloads import CallOnPayload, LowerHandPayload, NoFieldsPayload, TimerPayload
from .session import CallSession


class FloorEvents:
    """raise_hand, lower_hand, call_on, start_timer and stop_timer."""

    def __init__(self, tables: RoundtableService,
                 act: Callable[[str, Action], Awaitable[CallSession]]) -> None:
        self._tables = tables
        self._act = act

    def events(self) -> EventTable:
        rate = ROUNDTABLE_RATE
        return {
            "raise_hand": EventSpec(NoFieldsPayload, self.raise_hand, rate),
            "lower_hand": EventSpec(LowerHandPayload, self.lower_hand, rate),
            "call_on": EventSpec(CallOnPayload, self.call_on, rate),
            "start_timer": EventSpec(TimerPayload, self.start_timer, rate),
            "stop_timer": EventSpec(NoFieldsPayload, self.stop_timer, rate),
        }

    async def raise_hand(self, sid: str, payload: NoFieldsPayload) -> Ack:
        await self._act(sid, self._tables.raise_hand)
        return ok_ack()

    async def lower_hand(self, sid: str, payload: LowerHandPayload) -> Ack:
        await self._act(sid, lambda g: self._tables.lower_hand(g, payload.identity))
        return ok_ack()

    async def call_on(self, sid: str, payload: CallOnPayload) -> Ack:
        await self._act(sid, lambda g: self._tables.call_on(g, payload.identity,
                                                            payload.seconds))
        return ok_ack()

    async def start_timer(self, sid: str, payload: TimerPayload) -> Ack:
        await self._act(sid, lambda g: self._tables.start_timer(g, payload.identity,
                                                                payload.seconds))
        return ok_ack()

    async def stop_timer(self, sid: str, payload: NoFieldsPayload) -> Ack:
        await self._act(sid, self._tables.stop_timer)
        return ok_ack()
