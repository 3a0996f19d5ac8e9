"""Nodes: the server processes of one deployment, and which one hosts each room.

Each serving process is a node: it renews a lease in the registry every heartbeat with
its public signaling URL, ICE addresses, capacity and load. A room is placed on one
node at its first join (:meth:`NodeRegistry.place`), least loaded first; a placement
holds while its node's lease is alive and the node is not draining.
"""
