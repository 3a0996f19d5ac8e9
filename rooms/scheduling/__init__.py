"""Time-zone-aware scheduling: availability, slot finding, recurrence, bookings, ICS.

The local <-> UTC policy (gaps, overlaps, skipped dates) is written down in
:mod:`rooms.scheduling.zones`.
"""
