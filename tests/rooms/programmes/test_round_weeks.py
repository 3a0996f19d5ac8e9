"""The week of a matching or coffee round is bounded; a week has one coffee round; a coffee
round never pairs a mentor with their own mentee (review findings 8 and 10)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from rooms.programmes.errors import ProgrammeError
from rooms.programmes.importer import read_csv

from .conftest import START, World
from .test_service import CSV


async def refusal(call: object) -> str:
    with pytest.raises(ProgrammeError) as refused:
        await call  # type: ignore[misc]
    return refused.value.code


@pytest.mark.parametrize("week", [date(9999, 12, 31), date(1, 1, 1),
                                  START.date() + timedelta(days=400),
                                  START.date() - timedelta(days=400)])
async def test_a_matching_week_far_away_is_refused(world: World, week: date) -> None:
    service = world.service
    programme = await service.create("P")
    await service.import_people(programme.programme_id, read_csv(CSV))
    assert await refusal(service.run_matching(programme.programme_id, week)) == (
        "week_out_of_range")


async def test_last_week_still_matches(world: World) -> None:
    service = world.service
    programme = await service.create("P")
    await service.import_people(programme.programme_id, read_csv(CSV))
    done = await service.run_matching(programme.programme_id,
                                      START.date() - timedelta(days=7))
    assert done.pairs


@pytest.mark.parametrize("week", [date(2020, 1, 6), START.date() - timedelta(days=7),
                                  date(9999, 12, 31), START.date() + timedelta(days=400)])
async def test_a_coffee_week_that_is_over_or_far_away_is_refused(world: World,
                                                                 week: date) -> None:
    service = world.service
    programme = await service.create("P")
    await service.import_people(programme.programme_id, read_csv(CSV))
    assert await refusal(service.coffee_round(programme.programme_id, week)) == (
        "week_out_of_range")
    assert await service.store.coffee_rounds(programme.programme_id) == []


async def test_a_week_has_one_coffee_round(world: World) -> None:
    service = world.service
    programme = await service.create("P")
    pid = programme.programme_id
    await service.import_people(pid, read_csv(CSV))
    first = await service.coffee_round(pid)
    assert first and {i.round_no for i in first} == {1}
    week = first[0].week_of
    assert week is not None and week.weekday() == 0
    assert await refusal(service.coffee_round(pid)) == "coffee_round_exists"
    assert await refusal(service.coffee_round(pid, week + timedelta(days=3))) == (
        "coffee_round_exists")  # any day of that week
    assert len(await service.store.coffee_rounds(pid)) == 1
    later = await service.coffee_round(pid, week + timedelta(days=7))
    assert {i.round_no for i in later} == {2}


async def test_a_coffee_round_never_pairs_a_mentor_with_their_own_mentee(
        world: World) -> None:
    # Lee (Los Angeles afternoons) and Kenji (Tokyo mornings) share their time, as do Ana
    # and Lou (Paris): the only coffee pairs with common time are the mentoring pairs.
    service = world.service
    programme = await service.create("P")
    pid = programme.programme_id
    await service.import_people(pid, read_csv(CSV))
    matching = await service.run_matching(pid)
    mentoring = {frozenset((p.mentor, p.mentee)) for p in matching.pairs}
    assert mentoring == {frozenset(("lee", "kenji")), frozenset(("ana", "lou"))}
    intros = await service.coffee_round(pid)
    met = {frozenset((i.mentor, i.mentee)) for i in intros if i.mentee}
    assert not met & mentoring
    assert sorted(i.mentor for i in intros if not i.mentee) == ["ana", "kenji", "lee", "lou"]
