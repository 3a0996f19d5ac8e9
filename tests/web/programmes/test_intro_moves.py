"""Over HTTP: after a person changes their zone on the schedule page, both intro pages
show the current zones and times that can be accepted (finding: the intro kept the
imported zone and offered dead times forever)."""

from __future__ import annotations

from tests.web.programmes.test_api import programme_api

# Santiago (-03:00 until DST ends on 5 April 2026) and Tehran (+03:30).
CSV = b"""key,name,role,zone,languages,skills,goals,capacity,exclusions,preferences,availability
sofia,Sofia Araya,mentor,America/Santiago,en,python,,1,,,mon-sun 18:00-20:00
tara,Tara Tehran,mentee,Asia/Tehran,en,,python,,,sofia,mon-sun 00:00-24:00
"""
EVENINGS = {d: [["18:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def test_intro_pages_follow_a_zone_change(deployment: dict[str, str]) -> None:
    async with programme_api("Moves", None, **deployment) as (api, base):
        status, made = await api.admin("POST", base + "/people.csv", raw=CSV)
        assert status == 201, made
        token = {p["key"]: p["schedule_link"].split("#token=")[1] for p in made["people"]}
        assert (await api.admin("POST", base + "/matching", {}))[0] == 200
        assert (await api.admin("POST", base + "/publish", {}))[0] == 200
        status, before = await api.call("GET", "/api/me/intro", token["tara"])
        assert status == 200 and before["other_zone"] == "America/Santiago"
        status, _ = await api.call("PUT", "/api/me/availability", token["sofia"],
                                   {"zone": "Europe/Madrid", "weekly": EVENINGS})
        assert status == 200
        status, tara = await api.call("GET", "/api/me/intro", token["tara"])
        assert status == 200 and tara["other_zone"] == "Europe/Madrid"
        assert [t["theirs"] for t in tara["times"]] == [
            f"2026-03-0{d}T18:00:00+01:00" for d in (2, 3, 4)]
        status, sofia = await api.call("GET", "/api/me/intro", token["sofia"])
        assert status == 200 and sofia["zone"] == "Europe/Madrid"
        assert [t["mine"] for t in sofia["times"]] == [t["theirs"] for t in tara["times"]]
        status, accepted = await api.call("POST", base + "/intro/accept", token["tara"],
                                          {"start": tara["times"][0]["start"]})
        assert status == 201, accepted
