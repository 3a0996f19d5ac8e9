"""What a handler module is, and the port through which it reaches connections.

Each capability's Socket.IO events live in one handler module (``call_events.py``
today, ``roundtable_events.py`` next): a class whose ``events()`` returns its part of
the namespace's event table, ``{event name: EventSpec(payload model, handler)}``.
Handlers receive the connection's sid and the validated payload, return the ack, and
raise :class:`~signaling.errors.SignalingError` to refuse. They never see Socket.IO:
what they do to connections (emit, enter or leave a Socket.IO room, disconnect) goes
through :class:`Connections`, which the namespace implements.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, NamedTuple, Protocol

from pydantic import BaseModel

from .dispatch import Ack
from .payloads import MAX_PAYLOAD_BYTES

EventHandler = Callable[[str, Any], Awaitable[Ack]]  # (sid, validated payload) -> ack
RESERVED_EVENTS = frozenset({"connect", "disconnect"})


class EventSpec(NamedTuple):
    """One client event: the model its payload must match, the handler that runs it,
    its rate class (``""``: decided by the event's name, see :mod:`signaling.limits`) and
    the largest payload it takes (64 KiB for every event but `notes`)."""

    payload: type[BaseModel]
    handler: EventHandler
    rate_class: str = ""
    max_bytes: int = MAX_PAYLOAD_BYTES


EventTable = Mapping[str, EventSpec]


class HandlerModule(Protocol):
    """One capability's client events (see the module docstring)."""

    def events(self) -> EventTable:
        """This module's events, each bound to one of its methods."""
        ...


class Connections(Protocol):
    """What handlers may do to Socket.IO connections (the namespace does it)."""

    async def emit(
        self,
        event: str,
        data: Any = None,
        to: str | None = None,
        room: str | None = None,
        skip_sid: str | None = None,
    ) -> None:
        """Send ``event`` to one connection (``to``) or a room, except ``skip_sid``."""
        ...

    async def enter_room(self, sid: str, room: str) -> None:
        """Add the connection to a Socket.IO room (where room events are emitted)."""
        ...

    async def leave_room(self, sid: str, room: str) -> None:
        """Remove the connection from a Socket.IO room."""
        ...

    async def disconnect(self, sid: str) -> None:
        """Close the connection."""
        ...

    async def notify_processes(self, notice: str, data: dict[str, Any]) -> None:
        """Every server process (this one first, before returning) handles ``notice``
        for the connections it holds (see :mod:`signaling.process_notices`)."""
        ...

    def is_open(self, sid: str) -> bool:
        """Whether the connection is still open (its disconnect has not been handled)."""
        ...


def build_event_table(modules: Iterable[HandlerModule]) -> dict[str, EventSpec]:
    """Every module's events in one table; an event claimed twice or reserved by
    Socket.IO is a programming error, refused when the namespace is built."""
    table: dict[str, EventSpec] = {}
    for module in modules:
        for event, spec in module.events().items():
            if event in RESERVED_EVENTS:
                raise ValueError(f"{type(module).__name__} claims the reserved event {event!r}")
            if event in table:
                raise ValueError(f"event {event!r} is claimed by two handler modules")
            table[event] = spec
    return table
