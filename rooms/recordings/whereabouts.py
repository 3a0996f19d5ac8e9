"""Where a recording's files are, with several nodes (each its own recordings folder).

A recording is written into the local folder of the node that records it
(``Recording.node_id``); its files stay there until they are confirmed in the remote
store (S3, ``RecordingFile.uploaded``). A node other than that one can neither serve nor
delete a file still only in that folder: deleting the recording through it would drop
the metadata and leave the media on the other node's disk for good. Nodes that share one
folder (``--workers`` on one machine) see the recording's folder: they can.
"""

from __future__ import annotations

import asyncio

from rooms.recordings.local_storage import LocalFolderStorage
from rooms.recordings.model import Recording


class FileWhereabouts:
    """Whether this node reaches a recording's files. ``node_id`` is set only when
    several nodes share the store (one node: every recording's files are here)."""

    def __init__(self, local: LocalFolderStorage | None = None) -> None:
        self.local = local
        self.node_id: str | None = None

    async def elsewhere(self, recording: Recording) -> str | None:
        """The node holding files of ``recording`` that this node cannot reach (listed,
        not uploaded, its folder not here); None when this node can act on them."""
        if (self.node_id is None or recording.node_id is None
                or recording.node_id == self.node_id
                or all(f.uploaded for f in recording.files)):
            return None
        if self.local is not None:
            folder = self.local.folder(recording.recording_id)
            if await asyncio.to_thread(folder.is_dir):
                return None  # a folder shared with the recording's node
        return recording.node_id


def elsewhere_message(node_id: str) -> str:
    """The human sentence of ``recording_elsewhere`` (naming the node)."""
    return (f"This recording's files are on the server {node_id}, not on this one: "
            "send this request to that server (its files would stay there otherwise).")
