"""This server process as a node of a deployment: its registry entry, placement of
rooms, draining on SIGTERM, ``--workers`` and ``GET /api/nodes`` (docs/operations.md)."""
