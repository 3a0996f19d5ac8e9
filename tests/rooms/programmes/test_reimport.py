"""Importing a programme's people again: the listed stay (same identity), the new join,
the unlisted leave (sessions cancelled, out of the directory and the programme)."""

from __future__ import annotations

import pytest

from rooms.errors import RoomError
from rooms.programmes.importer import read_csv

from .conftest import World
from .test_service import CSV

# Lou is dropped; Kenji is renamed and now lives in Osaka's zone (the same as Tokyo's);
# Mia is new.
AGAIN = (CSV.replace(b"lou,Lou,mentee,Europe/Paris,fr,,learn product design,,dept:eng,,"
                     b"mon-fri 10:00-13:00\n", b"")
         .replace(b"kenji,Kenji,", b"kenji,Kenji Sato,")
         + b"mia,Mia,mentee,Europe/Paris,en,,learn product design,,,,mon-fri 10:00-13:00\n")


async def test_people_left_out_leave_and_the_others_keep_their_identity(
        world: World) -> None:
    service, directory = world.service, world.scheduling.directory
    programme = await service.create("P", auto_book=True)
    pid = programme.programme_id
    first = {p.key: p for p in await service.import_people(pid, read_csv(CSV))}
    await service.run_matching(pid)
    await service.publish(pid)
    lou, ana = first["lou"], first["ana"]
    assert len(await world.scheduling.upcoming(lou.identity)) == 1

    again = {p.key: p for p in await service.import_people(pid, read_csv(AGAIN))}

    assert set(again) == {"lee", "ana", "kenji", "mia"}
    for key in ("lee", "ana", "kenji"):
        assert again[key].identity == first[key].identity, key
    names = sorted(p.display_name for p in await directory.everyone())
    assert names == ["Ana", "Kenji Sato", "Lee", "Mia"]
    with pytest.raises(RoomError) as gone:
        await directory.record(lou.identity)
    assert gone.value.code == "person_not_found"
    assert await service.store.programme_of(lou.identity) is None
    assert await service.store.programme_of(again["mia"].identity) == pid
    assert await world.scheduling.upcoming(ana.identity) == []  # Lou's session cancelled
    kenji_sessions = await world.scheduling.upcoming(first["kenji"].identity)
    assert len(kenji_sessions) == 1  # Kenji and Lee's first session goes on
    result = await service.run_matching(pid)
    assert {p.mentee for p in result.pairs} == {"kenji", "mia"}


async def test_a_refused_import_again_changes_nobody(world: World) -> None:
    service, directory = world.service, world.scheduling.directory
    programme = await service.create("P")
    pid = programme.programme_id
    first = await service.import_people(pid, read_csv(CSV))
    before = sorted((p.identity, p.display_name) for p in await directory.everyone())
    rows = read_csv(AGAIN)
    bad = rows[-1].__class__(**{**rows[-1].__dict__, "zone": "Not/AZone"})
    with pytest.raises(RoomError):
        await service.import_people(pid, [*rows[:-1], bad])
    assert sorted((p.identity, p.display_name) for p in await directory.everyone()) == before
    assert await service.store.participants(pid) == first
