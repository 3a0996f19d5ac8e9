"""Shared notes: one Yjs document per session and one private document per participant
(held with ``pycrdt``), persisted as an append-only update log compacted into snapshots,
and action items indexed per mentoring pair or roundtable series across sessions.

* :mod:`.model` — document keys, action items, session contexts, limits;
* :mod:`.documents` — what is read from and written into a pycrdt document;
* :mod:`.store` — the store interface; :mod:`.memory_store` and :mod:`.redis_store`;
* :mod:`.service` — live documents, applying updates, compaction, the action index;
* :mod:`.contexts` — which pair or series a booked room belongs to (a booking listener);
* :mod:`.export` — a session's notes as Markdown.
"""
