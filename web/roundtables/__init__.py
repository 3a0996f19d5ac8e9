"""Roundtables over HTTP: creating roundtable rooms with one link per person (see docs/api.md)."""
