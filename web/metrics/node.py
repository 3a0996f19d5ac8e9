"""This process's node id: the ``node`` label of its metrics.

``MENTORCALL_NODE_ID`` when set, else an id made once per process (host name and pid).
The node registry (issue 10) keeps nodes in Redis under an id: point :func:`node_id_of`
at it so that both name a node alike.
"""

from __future__ import annotations

import os
import secrets
import socket

from ..settings import Settings

_PROCESS_ID = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


def node_id_of(settings: Settings) -> str:
    """The node id of a process running with ``settings``."""
    return settings.node_id or _PROCESS_ID
