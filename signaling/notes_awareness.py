"""Awareness updates (presence, cursors) as the server relays them: parsed whole, and
each state stamped with the sender's identity and display name.

An awareness update is ``varuint count`` then per client ``varuint clientID, varuint
clock, varstring state JSON`` (y-protocols). Clients put who they are in the state's
``user`` field (``{name, color, colorLight}``, what y-codemirror.next draws by remote
cursors); the server never trusts it: ``user.name`` and ``user.id`` are replaced by the
connection's own, so nobody can appear as someone else. A state that is not a JSON
object (or null: the client left), or nests deeper than MAX_AWARENESS_DEPTH, is refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .notes_wire import (
    MAX_AWARENESS_CLIENTS,
    MAX_AWARENESS_DEPTH,
    MAX_AWARENESS_STATE,
    Reader,
    WireError,
    uint,
)

COLOR = re.compile(r"^#[0-9a-fA-F]{3,8}$")


@dataclass(frozen=True)
class AwarenessEntry:
    client: int
    clock: int
    state: dict[str, Any] | None  # None: the client's state was removed


def _depth(value: Any) -> int:
    """How deep arrays and objects nest in a parsed JSON value (iteratively)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (item.values() if isinstance(item, dict)
                    else item if isinstance(item, list) else None)
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_awareness(update: bytes) -> list[AwarenessEntry]:
    """The entries of an awareness update, checked whole (WireError otherwise): at most
    MAX_AWARENESS_CLIENTS, each state a JSON object (or null) of bounded size and depth."""
    too_deep = f"awareness state nests deeper than {MAX_AWARENESS_DEPTH} levels"
    reader = Reader(update)
    count = reader.uint()
    if count > MAX_AWARENESS_CLIENTS:
        raise WireError("too many awareness states")
    entries: list[AwarenessEntry] = []
    for _ in range(count):
        client, clock, raw = reader.uint(), reader.uint(), reader.bytes()
        if len(raw) > MAX_AWARENESS_STATE:
            raise WireError("awareness state too large")
        # The size is bounded above; the C decoder stops a deeper nesting than the
        # recursion limit with RecursionError, and anything past MAX_AWARENESS_DEPTH is
        # refused after it (browsers would have to parse it too).
        try:
            state = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise WireError("awareness state is not JSON") from None
        except RecursionError:
            raise WireError(too_deep) from None
        if _depth(state) > MAX_AWARENESS_DEPTH:
            raise WireError(too_deep)
        if state is not None and not isinstance(state, dict):
            raise WireError("awareness state is not an object")
        entries.append(AwarenessEntry(client, clock, state))
    reader.end()
    return entries


def stamped(entries: list[AwarenessEntry], identity: str, name: str) -> bytes:
    """The awareness update to relay: every state's ``user`` says who really sent it
    (colours the client chose are kept when they are colours)."""
    body = bytearray(uint(len(entries)))
    for entry in entries:
        state = entry.state
        if state is not None:
            claimed = state.get("user")
            user: dict[str, Any] = {"id": identity, "name": name}
            if isinstance(claimed, dict):
                for key in ("color", "colorLight"):
                    value = claimed.get(key)
                    if isinstance(value, str) and COLOR.match(value):
                        user[key] = value
            state = {**state, "user": user}
        raw = json.dumps(state, separators=(",", ":")).encode()
        body += uint(entry.client) + uint(entry.clock) + uint(len(raw)) + raw
    return bytes(body)
