"""AuditCoalescer: repeated reads, and repeated refusals from one address, are counted
once a minute; everything else (and every refusal of the admin key) is written."""

from __future__ import annotations

from rooms.recordings.audit import AuditAction, AuditCoalescer, AuditEntry, AuditOutcome


def entry(at: float, action: AuditAction = AuditAction.LIST, actor: str = "admin",
          outcome: AuditOutcome = AuditOutcome.ALLOWED, detail: str = "",
          recording_id: str | None = None, remote: str = "198.51.100.1",
          code: str | None = None) -> AuditEntry:
    return AuditEntry(at=at, actor=actor, action=action, outcome=outcome, detail=detail,
                      recording_id=recording_id, remote=remote, code=code)


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


def test_the_admin_keys_refusals_links_downloads_and_deletions_are_always_written() -> None:
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


def refused(at: float, remote: str = "198.51.100.1", actor: str = "anonymous",
            action: AuditAction = AuditAction.READ, code: str = "unauthorized",
            recording_id: str = "r1") -> AuditEntry:
    return entry(at, action, actor, AuditOutcome.REFUSED, recording_id=recording_id,
                 remote=remote, code=code)


def test_refusals_are_written_once_a_minute_per_address_actor_action_and_code() -> None:
    coalescer = AuditCoalescer(window_s=60)
    flood = [coalescer.admit(refused(i / 10, recording_id=f"r{i}")) for i in range(600)]
    written = [e for e in flood if e is not None]
    assert [(e.at, e.recording_id) for e in written] == [(0.0, "r0")]
    later = coalescer.admit(refused(61))
    assert later is not None and later.detail == "+599 refused alike since 0"
    others = [refused(62, remote="198.51.100.2"), refused(62, actor="link"),
              refused(62, action=AuditAction.LIST), refused(62, code="link_invalid")]
    assert all(coalescer.admit(e) is e for e in others)
    assert all(coalescer.admit(e.model_copy(update={"at": 63.0})) is None for e in others)


def test_a_flood_from_many_addresses_writes_a_bounded_number_of_lines() -> None:
    coalescer = AuditCoalescer(window_s=60, max_refusal_lines=10)
    flood = [coalescer.admit(refused(i / 100, remote=f"2001:db8::{i:x}")) for i in range(500)]
    written = [e for e in flood if e is not None]
    assert len(written) == 11 and written[-1].detail == "many addresses"
    assert written[-1].remote == "2001:db8::a"  # the first of the many
    assert coalescer.admit(refused(5, remote="2001:db8::1:1", code="link_invalid"))
    assert coalescer.admit(refused(61, remote="2001:db8::1:2")) is not None  # a new minute
    assert coalescer.admit(entry(30, AuditAction.DELETE, outcome=AuditOutcome.REFUSED))
