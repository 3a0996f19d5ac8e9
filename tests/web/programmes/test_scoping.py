"""Over HTTP: a programme's people see and book only each other (finding: every mentee
saw and could book every mentor of every programme)."""

from __future__ import annotations

from typing import Any

from tests.web.programmes.test_api import Api, programme_api

# Santiago (-03:00 in March, DST) and Tehran (+03:30); the same names in both programmes.
CSV = """key,name,role,zone,languages,skills,goals,capacity,exclusions,preferences,availability
sofia,Sofía Araya,mentor,America/Santiago,en,python,,1,,,mon-sun 08:00-22:00
tara,Tara Tehran,mentee,Asia/Tehran,en,,python,,,sofia,mon-sun 08:00-22:00
""".encode()


async def imported(api: Api, base: str) -> dict[str, dict[str, Any]]:
    status, made = await api.admin("POST", base + "/people.csv", raw=CSV)
    assert status == 201, made
    return {p["key"]: {"identity": p["identity"],
                       "token": p["schedule_link"].split("#token=")[1]}
            for p in made["people"]}


async def test_a_mentee_sees_and_books_only_mentors_of_her_programme(
        deployment: dict[str, str]) -> None:
    async with programme_api("A", None, **deployment) as (api, base_a):
        status, other = await api.admin("POST", "/api/programmes", {"name": "B"})
        assert status == 201
        a = await imported(api, base_a)
        b = await imported(api, f"/api/programmes/{other['programme_id']}")
        status, me = await api.call("GET", "/api/me", a["tara"]["token"])
        assert status == 200
        assert [p["identity"] for p in me["counterparts"]] == [a["sofia"]["identity"]]
        status, slots = await api.call(
            "GET", f"/api/slots?with={a['sofia']['identity']}&limit=1", a["tara"]["token"])
        assert status == 200 and slots, slots
        start = slots[0]["start"]
        status, error = await api.call(
            "GET", f"/api/slots?with={b['sofia']['identity']}", a["tara"]["token"])
        assert (status, error["error"]["code"]) == (403, "outside_programme")
        status, error = await api.call("POST", "/api/bookings", a["tara"]["token"],
                                       {"with": b["sofia"]["identity"], "start": start})
        assert (status, error["error"]["code"]) == (403, "outside_programme"), error
        assert "Sofía Araya is not in your programme" in error["error"]["message"]
        status, made = await api.call("POST", "/api/bookings", a["tara"]["token"],
                                      {"with": a["sofia"]["identity"], "start": start})
        assert status == 201, made
        # someone registered on their own sees nobody of a programme
        status, person = await api.admin("POST", "/api/people", {
            "display_name": "Lina Howe", "role": "mentee", "zone": "Australia/Lord_Howe"})
        assert status == 201, person
        token = person["schedule_link"].split("#token=")[1]
        status, me = await api.call("GET", "/api/me", token)
        assert status == 200 and me["counterparts"] == []
        # and a host registered on their own lists nobody of a programme as invitees
        status, host = await api.admin("POST", "/api/people", {
            "display_name": "Hana Host", "role": "host", "zone": "Pacific/Chatham"})
        assert status == 201, host
        status, listed = await api.call("GET", "/api/people",
                                        host["schedule_link"].split("#token=")[1])
        assert status == 200
        assert [p["identity"] for p in listed] == [person["identity"]], listed
