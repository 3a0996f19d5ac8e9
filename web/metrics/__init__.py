"""``/metrics`` in the Prometheus text format (see docs/operations.md, "Metrics")."""
