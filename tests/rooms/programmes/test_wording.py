"""The intro told to each of the two people, not the admin's explanation."""

from __future__ import annotations

from rooms.programmes.importer import read_csv
from rooms.programmes.wording import and_list, days_text, for_person, hours_text

from .conftest import World
from .test_service import CSV


def test_lists_days_and_hours_read_as_sentences() -> None:
    assert and_list(["Tue"]) == "Tue" and and_list(["Tue", "Thu"]) == "Tue and Thu"
    assert and_list(["a", "b", "c"]) == "a, b and c"
    assert days_text("Tue/Thu mornings") == "Tue and Thu mornings"
    assert days_text("Mon/Tue afternoons, Wed evenings") == (
        "Mon and Tue afternoons and Wed evenings")
    assert (hours_text(1.0), hours_text(2.4), hours_text(12.0)) == (
        "1 hour", "2.5 hours", "12 hours")


async def test_each_person_reads_about_themselves_in_their_time(world: World) -> None:
    service = world.service
    programme = await service.create("P")
    pid = programme.programme_id
    people = {p.key: p for p in await service.import_people(pid, read_csv(CSV))}
    await service.run_matching(pid)
    intro = next(i for i in await service.publish(pid) if i.mentee == "kenji")
    assert "h/week overlap" in intro.explanation  # the admin's, kept for the admin
    kenji, lee = people["kenji"], people["lee"]
    # Lee, Los Angeles, Mon-Fri 16:00-19:00; Kenji, Tokyo, Mon-Fri 09:00-12:00; the
    # matching's week (9 March) is after the US went to summer time: 2 hours a day
    assert for_person(programme, intro, kenji, lee) == (
        "You are both free Tue, Wed, Thu and Fri mornings (your time), about 8 hours a "
        "week; Lee's experience in data engineering matches your goal \u201cmove into data "
        "engineering\u201d; you both speak English; you chose Lee first.")
    told_lee = for_person(programme, intro, lee, kenji)
    assert told_lee.startswith("You are both free Mon, Tue, Wed and Thu evenings (your "
                               "time), about 8 hours a week;")
    assert ("your experience in data engineering matches Kenji's goal \u201cmove into data "
            "engineering\u201d; you both speak English; Kenji chose you first.") in told_lee
    in_new_york = for_person(programme, intro, kenji, lee, "America/New_York")
    assert in_new_york.startswith("You are both free Mon, Tue, Wed and Thu evenings "
                                  "(America/New_York time), about 8 hours a week;")


async def test_with_nothing_in_common_it_still_says_who(world: World) -> None:
    service = world.service
    programme = await service.create("P", require_shared_language=False)
    pid = programme.programme_id
    people = {p.key: p for p in await service.import_people(pid, read_csv(CSV))}
    await service.run_matching(pid)
    intro = next(i for i in await service.publish(pid) if i.mentee == "lou")
    lou, ana = people["lou"], people["ana"]
    bare = intro.model_copy(update={"skill": None, "goal": None})
    text = for_person(programme, bare, lou.model_copy(update={"languages": ()}), ana)
    assert text.startswith("You are both free") and "speak" not in text
    assert "experience" not in text and "chose" not in text
