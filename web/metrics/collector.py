"""The Prometheus collector of one server process (node): read on each scrape.

The SFU's own counters (media/counts.py, ``Sfu.stats()``, ``Sfu.ingress_stats()``,
``Sfu.stream_counts()``), its connection counts and the sessions signaling holds are read
when Prometheus scrapes, not pushed: per forwarded packet the SFU only adds its size to
a byte counter and checks a sender's first-packet hook (join-to-first-frame). Every
metric carries the ``node`` label (docs/operations.md, "Metrics", lists them all).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry
from prometheus_client.utils import floatToGoString

from media.sfu import Sfu
from signaling.namespace import CallNamespace

PREFIX = "mentorcall_"


class NodeCollector(Collector):
    """Every metric of this node, labelled ``node=<node id()>``."""

    def __init__(self, sfu: Sfu, namespace: CallNamespace, node_id: Callable[[], str]) -> None:
        self._sfu = sfu
        self._namespace = namespace
        self._node_id = node_id

    def collect(self) -> Iterable[Metric]:
        node = [self._node_id()]

        def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
            family = GaugeMetricFamily(PREFIX + name, doc, labels=["node"])
            family.add_metric(node, value)
            return family

        def counter(name: str, doc: str, value: float) -> CounterMetricFamily:
            family = CounterMetricFamily(PREFIX + name, doc, labels=["node"])
            family.add_metric(node, value)
            return family

        sessions = list(self._namespace.participants.sessions.values())
        yield gauge("rooms", "Rooms with a participant connected to this node.",
                    len({s.room_id for s in sessions}))
        yield gauge("participants", "Participants joined through this node's connections.",
                    len(sessions))
        yield gauge("signaling_connections", "Open Socket.IO connections.",
                    self._namespace.connection_count())

        connections = self._sfu.connection_counts()
        peers = GaugeMetricFamily(PREFIX + "peer_connections",
                                  "The SFU's peer connections by role.", labels=["node", "role"])
        peers.add_metric([*node, "publish"], connections.publish)
        peers.add_metric([*node, "subscribe"], connections.subscribe)
        peers.add_metric([*node, "subscribe_pair"], connections.subscribe_pairs)
        yield peers

        streams = self._sfu.stream_counts()
        yield gauge("streams_published", "Tracks published now (with a live source).",
                    streams.published)
        yield gauge("streams_forwarded",
                    "Subscriber copies of published tracks being forwarded now.",
                    streams.forwarded)
        yield gauge("upstream_packets_expected",
                    "RTP packets expected from the tracks published now, since each started.",
                    streams.upstream_expected)
        yield gauge("upstream_packets_lost",
                    "RTP packets lost upstream (never arrived) of the tracks published now.",
                    streams.upstream_lost)
        yield gauge("downstream_packets_sent",
                    "RTP packets sent on the subscriber copies forwarded now, since each "
                    "started.", streams.downstream_sent)
        yield gauge("downstream_packets_lost",
                    "Of those, lost on the way to the subscribers (their latest RTCP "
                    "receiver reports).", streams.downstream_lost)

        stats = self._sfu.stats()
        yield counter("packets_received", "RTP packets received from publishers.",
                      stats.packets_received)
        yield counter("packets_forwarded", "RTP packets forwarded to subscribers.",
                      stats.packets_forwarded)
        yield counter("bytes_forwarded", "RTP bytes (header and payload) forwarded.",
                      stats.bytes_forwarded)
        yield counter("nacks_sent", "RTCP NACKs sent to publishers.", stats.nacks_sent)
        yield counter("nacks_received", "RTCP NACKs received from subscribers.",
                      stats.nacks_received)
        yield counter("retransmissions", "Packets resent to subscribers for their NACKs.",
                      stats.nacks_answered)
        yield counter("plis_sent", "Keyframe requests (PLI) sent to publishers.",
                      stats.keyframe_requests_sent)
        yield counter("plis_received", "Keyframe requests (PLI, FIR) from subscribers.",
                      stats.plis_received)

        ingress = self._sfu.ingress_stats()
        dropped = CounterMetricFamily(PREFIX + "ingress_dropped",
                                      "Datagrams the SFU's ports dropped, by reason.",
                                      labels=["node", "reason"])
        for item in fields(ingress):
            dropped.add_metric([*node, item.name], getattr(ingress, item.name))
        yield dropped

        times = self._sfu.first_frame_times()
        histogram = HistogramMetricFamily(
            PREFIX + "join_to_first_frame_seconds",
            "From a subscribe connection's first offer carrying video to the first video "
            "packet forwarded on it.", labels=["node"])
        histogram.add_metric(node, [(floatToGoString(bound), count)
                                    for bound, count in times.cumulative()], times.total)
        yield histogram


def node_registry(collector: NodeCollector) -> CollectorRegistry:
    """A private registry (one per app: tests build many apps in one process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry
