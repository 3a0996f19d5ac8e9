"""AuditCoalescer: repeated reads are counted once a minute; everything else is written."""

from __future__ import annotations

from rooms.recordings.audit import AuditAction, AuditCoalescer, AuditEntry, AuditOutcome


def entry(at: float, action: AuditAction = AuditAction.LIST, actor: str = "admin",
          outcome: AuditOutcome = AuditOutcome.ALLOWED, detail: str = "",
          recording_id: str | None = None) -> AuditEntry:
    return AuditEntry(at=at, actor=actor, action=action, outcome=outcome, detail=detail,
                      recording_id=recording_id)


def test_a_list_polled_every_3_s_is_written_once_a_minute_with_the_count() -> None:
    coalescer = AuditCoalescer(window_s=60)
    written = [e for e in (coalescer.admit(entry(3.0 * i)) for i in range(41)) if e]
    assert [e.at for e in written] == [0.0, 60.0, 120.0]
    assert [e.detail for e in written] == ["", "+19 identical since 0", "+19 identical since 60"]


def test_other_actors_targets_queries_and_actions_are_written_each() -> None:
    coalescer = AuditCoalescer(window_s=60)
    kinds = [entry(1), entry(1, actor="token:host"), entry(1, detail="room_id=r1"),
             entry(1, AuditAction.READ, recording_id="a"),
             entry(1, AuditAction.READ, recording_id="b")]
    assert all(coalescer.admit(e) is e for e in kinds)
    assert all(coalescer.admit(e.model_copy(update={"at": 2.0})) is None for e in kinds)


def test_refusals_links_downloads_and_deletions_are_always_written() -> None:
    coalescer = AuditCoalescer(window_s=60)
    always = [entry(1, outcome=AuditOutcome.REFUSED), entry(1, AuditAction.LINK),
              entry(1, AuditAction.DOWNLOAD), entry(1, AuditAction.DELETE),
              entry(1, AuditAction.READ, outcome=AuditOutcome.REFUSED)]
    for _ in range(3):
        assert all(coalescer.admit(e) is e for e in always)


def test_memory_is_bounded() -> None:
    coalescer = AuditCoalescer(window_s=60, max_keys=10)
    for i in range(100):
        assert coalescer.admit(entry(1, recording_id=f"r{i}", action=AuditAction.READ))
    assert coalescer.admit(entry(2, recording_id="r99", action=AuditAction.READ)) is None
    # forgotten (the oldest): written again, which is the safe side
    assert coalescer.admit(entry(2, recording_id="r0", action=AuditAction.READ))
