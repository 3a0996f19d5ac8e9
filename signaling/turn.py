"""Time-limited TURN credentials, by the shared-secret scheme of coturn's REST API.

The server and the TURN server share a secret and nothing else: no user database, no
call between them. For each participant the server makes

    username   = "<expiry, unix seconds>:<participant id>"
    credential = base64(HMAC-SHA1(secret, username))

and the TURN server (coturn with ``use-auth-secret`` and ``static-auth-secret``) checks
the HMAC and refuses a username whose expiry has passed. A leaked pair therefore works
for one participant until its expiry only, and the secret never leaves the servers.

A credential lives ``ttl_s`` from the join, and at least until the room's end. coturn
(4.6) keeps an allocation alive past its credential's expiry, but every new allocation
needs a valid credential, and the browser client uses a join's credential for every
connection it opens in that call (publishing again, a subscribe connection restarted
after a network change): one that lapsed mid-call would leave a relayed participant
unable to recover. The client gets a fresh one at every join.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

TURN_SCHEMES = ("turn:", "turns:")


@dataclass(frozen=True)
class TurnConfig:
    """The TURN servers handed to clients and the secret they share with this server."""

    urls: tuple[str, ...]
    secret: str = field(repr=False)  # never in a log line or an error
    ttl_s: int = 3600

    def __post_init__(self) -> None:
        if not self.urls:
            raise ValueError("a TURN configuration needs at least one turn: or turns: URL")
        for url in self.urls:
            if not url.startswith(TURN_SCHEMES):
                raise ValueError("TURN URLs must start with turn: or turns:")
        if not self.secret:
            raise ValueError("a TURN configuration needs its shared secret")
        if self.ttl_s <= 0:
            raise ValueError("a TURN credential's lifetime must be positive")


@dataclass(frozen=True)
class TurnCredential:
    """One participant's TURN username and password, and when they stop working."""

    username: str
    credential: str = field(repr=False)
    expires_at: int


def turn_username(expires_at: int, participant_id: str) -> str:
    """``"<expiry>:<participant id>"``, the username coturn reads the expiry from."""
    if not participant_id or ":" in participant_id:
        raise ValueError("a participant id for TURN is non-empty and has no ':'")
    return f"{expires_at}:{participant_id}"


def turn_password(secret: str, username: str) -> str:
    """``base64(HMAC-SHA1(secret, username))``: what coturn computes to check it."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def issue_credential(config: TurnConfig, participant_id: str, now: float,
                     lasts_until: float = 0.0) -> TurnCredential:
    """A credential for ``participant_id`` valid ``config.ttl_s`` from ``now`` and at
    least until ``lasts_until`` (the room's end; whole seconds, rounded up)."""
    expires_at = math.ceil(max(now + config.ttl_s, lasts_until))
    username = turn_username(expires_at, participant_id)
    return TurnCredential(username, turn_password(config.secret, username), expires_at)


def ice_servers_for(stun_urls: Iterable[str], turn: TurnConfig | None, participant_id: str,
                    now: float, lasts_until: float = 0.0) -> list[dict[str, Any]]:
    """The ``ice_servers`` of a join ack: W3C ``RTCIceServer`` dictionaries, the STUN
    URLs as they are and, with TURN configured, one entry with every TURN URL and this
    participant's credential."""
    servers: list[dict[str, Any]] = [{"urls": url} for url in stun_urls]
    if turn is not None:
        issued = issue_credential(turn, participant_id, now, lasts_until)
        servers.append({"urls": list(turn.urls), "username": issued.username,
                        "credential": issued.credential})
    return servers
