"""Carrier: which aioice connection carries an aiortc ICE transport's data.

aiortc's ``RTCIceTransport`` sends with its connection's ``send`` and receives with its
``recv``, bound once at construction, so the DTLS transport above could never move to
another connection. :func:`carrier_of` rebinds both to a :class:`Carrier`: sending goes
to ``carrier.connection``, receiving reads one queue that every connection the
transport has (see media/ice_restart.py) feeds, so a connection that closes after
another took over ends nothing. The forwarding sender (media/sender.py) sends on the
carrier's connection too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aioice import Connection
from aiortc.rtcicetransport import RTCIceTransport

from media.guards import CONNECTION_QUEUE

if TYPE_CHECKING:
    from media.ingress import RtpIngress

CARRIER = "_mentorcall_ice_carrier"  # where an ICE transport keeps its carrier


@dataclass(eq=False)
class Carrier:
    """Which aioice connection carries an ICE transport's data, and its restart."""

    connection: Connection
    queue: asyncio.Queue[tuple[bytes, int] | None]  # every connection's data, in order
    pending: Connection | None = None  # being checked; carries nothing yet
    checks: asyncio.Task[bool] | None = None
    monitor: asyncio.Task[None] | None = None  # ours, watching the newest connection
    ingresses: list[RtpIngress] = field(default_factory=list)  # screening its datagrams
    restarts: int = 0  # restarts completed
    retiring: set[asyncio.Future[None]] = field(default_factory=set)  # old ones closing


def carrier_of(transport: RTCIceTransport) -> Carrier:
    """The transport's carrier, installed on first use (before or after DTLS starts):
    from then on the transport sends through it and receives from its queue."""
    carrier = getattr(transport, CARRIER, None)
    if isinstance(carrier, Carrier):
        return carrier
    connection = transport._connection
    carrier = Carrier(connection, getattr(connection, CONNECTION_QUEUE))
    setattr(transport, CARRIER, carrier)

    async def send(data: bytes) -> None:
        try:
            await carrier.connection.send(data)
        except ConnectionError:
            if carrier.pending is None:
                raise
            # restarting ICE: the old path is gone, the new one not checked yet: this
            # datagram is lost (aiortc's senders would stop for good on the error)

    async def recv() -> bytes:
        # aioice's recv without its "nominated?" test: the queue outlives connections
        item = await carrier.queue.get()
        if item is None:
            raise ConnectionError("Connection lost while receiving data")
        return item[0]

    transport._send = send
    transport._recv = recv
    return carrier
