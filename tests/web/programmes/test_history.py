"""The admin's history of a programme: intros sent (proposed, accepted, booked,
cancelled) and past coffee rounds, on memory and on Redis."""

from __future__ import annotations

from rooms.clock import ManualClock

from .test_api import CSV, T0, programme_api

# Zoe (Paris mornings, no mentee) gives the coffee rounds pairs: the other people with
# common time are mentoring pairs, which a coffee round never pairs again.
WITH_ZOE = CSV + b"zoe,Zoe,mentor,Europe/Paris,en;fr,cooking,,1,,,mon-fri 09:00-12:00\n"


async def test_intros_and_coffee_rounds_with_their_states(deployment: dict[str, str]) -> None:
    clock = ManualClock(T0.timestamp())
    async with programme_api("Spring", clock, **deployment) as (api, base):
        _, imported = await api.admin("POST", base + "/people.csv", raw=WITH_ZOE)
        links = {p["key"]: p["schedule_link"].split("#token=")[1] for p in imported["people"]}
        status, empty = await api.admin("GET", base + "/intros")
        assert (status, empty) == (200, {"intros": []})
        await api.admin("POST", base + "/matching", {})
        await api.admin("POST", base + "/publish")
        _, mine = await api.call("GET", base + "/intro", links["kenji"])
        _, booked = await api.call("POST", base + "/intro/accept", links["kenji"],
                                   {"start": mine["times"][1]["start"]})

        status, sent = await api.admin("GET", base + "/intros")
        assert status == 200
        by_mentee = {i["mentee"]: i for i in sent["intros"]}
        kenji, lou = by_mentee["kenji"], by_mentee["lou"]
        assert (kenji["state"], kenji["accepted_by"]) == ("accepted", "kenji")
        assert (kenji["mentor_name"], kenji["mentee_name"]) == ("Lee", "Kenji")
        assert kenji["session"] == {"booking_id": booked["booking_id"],
                                    "start": booked["start"], "end": booked["end"],
                                    "cancelled": False}
        assert len(kenji["offered"]) == 3 and kenji["sent_at"] == "2026-03-02T08:00:00Z"
        assert (lou["state"], lou["session"], lou["accepted_by"]) == ("proposed", None, None)

        sched = api.server.services.scheduling.service
        lee = await sched.directory.person(imported["people"][0]["identity"])
        await sched.cancel(lee, booked["booking_id"])
        _, sent = await api.admin("GET", base + "/intros")
        kenji = {i["mentee"]: i for i in sent["intros"]}["kenji"]
        assert kenji["state"] == "cancelled" and kenji["session"]["cancelled"]

        status, none_yet = await api.admin("GET", base + "/coffee-rounds")
        assert (status, none_yet) == (200, {"rounds": []})
        made = []
        for week in ("2026-03-09", "2026-03-16"):
            _, intros = await api.admin("POST", base + "/coffee-rounds", {"week_of": week})
            made.append(intros["intros"])
        status, rounds = await api.admin("GET", base + "/coffee-rounds")
        assert status == 200 and [r["round_no"] for r in rounds["rounds"]] == [2, 1]
        for shown, intros in zip(rounds["rounds"][::-1], made, strict=True):
            assert {(p["mentor"], p["mentee"]) for p in shown["pairs"]} == {
                (i["mentor"], i["mentee"]) for i in intros if i["mentee"]}
            assert shown["sitting_out"] == [i["mentor"] for i in intros if not i["mentee"]]
        first = rounds["rounds"][1]
        bookings = {(i["mentor"], i["mentee"]): i["booking_id"] for i in made[0]}
        assert any(bookings.values())
        for pair in first["pairs"]:
            assert pair["kind"] == "coffee" and pair["sent_at"] == first["sent_at"]
            booking_id = bookings[(pair["mentor"], pair["mentee"])]
            if booking_id is not None:
                assert pair["state"] == "booked"
                assert pair["session"]["booking_id"] == booking_id
                assert pair["session"]["start"] >= "2026-03-08"

        status, error = await api.call("GET", base + "/intros", links["kenji"])
        assert (status, error["error"]["code"]) == (401, "unauthorized")
        status, error = await api.admin("GET", "/api/programmes/nope/coffee-rounds")
        assert (status, error["error"]["code"]) == (404, "programme_not_found")
