"""Settings of the signaling layer, passed in by the app factory."""

from __future__ import annotations

from dataclasses import dataclass

from .turn import TurnConfig


@dataclass(frozen=True)
class SignalingOptions:
    """Settings the namespace and its handler modules need, passed in by the app factory."""

    disconnect_grace_s: float = 10.0
    ice_servers: tuple[str, ...] = ()  # STUN URLs handed to clients as they are
    turn: TurnConfig | None = None  # TURN servers: each join gets its own credential
    presence_interval_s: float = 5.0  # seat lease renewal and sweep period
    # a subscribe connection whose first offer is unanswered this long is closed
    subscriber_answer_timeout_s: float = 30.0
