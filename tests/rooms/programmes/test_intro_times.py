"""An intro's first-session times: one per local day of both people, in both people's
current zones, offered again when they no longer hold."""

from __future__ import annotations

from datetime import datetime

from rooms.programmes.importer import read_csv

from .conftest import World

# Chatham (+13:45 in March) is free 09:00-15:00 every day; Accra (+00:00) all day long.
FAR = b"""key,name,role,zone,languages,skills,goals,capacity,exclusions,preferences,availability
mc,Mere Chatham,mentor,Pacific/Chatham,en,python,,1,,,mon-sun 09:00-15:00
ma,Ama Accra,mentee,Africa/Accra,en,,python,,,mc,mon-sun 00:00-24:00
"""


async def test_intro_times_fall_on_different_local_days_of_both_people(world: World) -> None:
    service = world.service
    programme = await service.create("Far apart")
    await service.import_people(programme.programme_id, read_csv(FAR))
    await service.run_matching(programme.programme_id)
    (intro,) = await service.publish(programme.programme_id)
    mentor = [datetime.fromisoformat(s.mentor_local) for s in intro.slots]
    mentee = [datetime.fromisoformat(s.mentee_local) for s in intro.slots]
    assert len(mentor) == 3
    # one offer per Chatham day and per Accra day, each the earliest time of its day
    assert len({t.date() for t in mentor}) == 3 and len({t.date() for t in mentee}) == 3
    assert [t.strftime("%H:%M %z") for t in mentor] == ["09:00 +1345"] * 3
    assert [t.day for t in mentor] == [3, 4, 5]  # March 2026, from Monday the 2nd 08:00Z
