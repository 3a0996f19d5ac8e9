"""Importing people: good files, and bad ones refused row by row with nothing kept."""

from __future__ import annotations

import json
from datetime import time

import pytest

from rooms.programmes.errors import ProgrammeError
from rooms.programmes.importer import read_csv, read_json
from rooms.programmes.model import Role
from rooms.scheduling.availability import Weekday

HEADER = "key,name,role,zone,languages,skills,goals,capacity,exclusions,preferences,availability"
GOOD = (HEADER + "\n"
        "ana,Ana,mentor,America/Los_Angeles,en;es,data engineering;sql,,2,mgr:kim,,"
        "mon-thu 08:30-12:00 16:00-18:00; fri 09:00-11:00\n"
        "kenji,Kenji,mentee,Asia/Tokyo,en;ja,,move into data engineering,,dept:ops,ana,\n")


def refused(raw: bytes, reader: object = read_csv) -> ProgrammeError:
    with pytest.raises(ProgrammeError) as caught:
        reader(raw)  # type: ignore[operator]
    return caught.value


def test_a_good_csv() -> None:
    ana, kenji = read_csv(GOOD.encode())
    assert (ana.role, ana.capacity, ana.languages) == (Role.MENTOR, 2, ("en", "es"))
    assert ana.weekly is not None and ana.weekly[Weekday.MON] == (
        (time(8, 30), time(12)), (time(16), time(18)))
    assert ana.weekly[Weekday.FRI] == ((time(9), time(11)),)
    assert kenji.weekly is None and kenji.preferences == ("ana",)


def test_utf8_with_a_bom_and_non_ascii_names() -> None:
    raw = "\ufeff" + GOOD.replace("Ana,", "Ana Müller-Łukasiewicz,", 1)
    assert read_csv(raw.encode("utf-8"))[0].name == "Ana Müller-Łukasiewicz"


def test_other_encodings_are_refused_clearly() -> None:
    latin = GOOD.replace("Ana,", "Anaïs,", 1).encode("latin-1")
    error = refused(latin)
    assert error.code == "bad_encoding" and "not UTF-8" in error.message
    assert refused(GOOD.encode("utf-16")).code == "bad_encoding"


def test_wrong_columns() -> None:
    error = refused(b"key,name,role,timezone\nx,X,mentor,UTC\n")
    assert error.code == "wrong_columns"
    assert "missing zone" in error.message and "unknown 'timezone'" in error.message
    assert refused(b"").code == "wrong_columns"


def test_every_bad_row_is_reported() -> None:
    raw = (HEADER + "\n"
           "a,A,mentor,Mars/Olympus,,,,1,,,\n"
           "b,B,mentor,Europe/Paris,,,,-2,,,\n"
           "c,C,mentee,Europe/Paris,,,,,,,\n"
           "c,C again,mentee,Europe/Paris,,,,,,,\n"
           "d,D,boss,Europe/Paris,,,,,,,\n"
           "e,E,mentee,Europe/Paris,,,,,,,mon 12:00-09:00\n"
           "f,F,mentee,Europe/Paris\n"
           "g,G,mentee,Europe/Paris,,,,,,nobody,\n").encode()
    error = refused(raw)
    assert error.code == "invalid_import"
    rows = {e.row: e.reason for e in error.rows}
    assert sorted(rows) == [2, 3, 5, 6, 7, 8, 9]
    assert "not an IANA time zone" in rows[2]
    assert "below zero" in rows[3]
    assert "duplicate person" in rows[5] and "row 4" in rows[5]
    assert "not mentor or mentee" in rows[6]
    assert "ends before it starts" in rows[7]
    assert "fields where the header has" in rows[8]
    assert "not a mentor" in rows[9]


def test_json_import() -> None:
    people: list[dict[str, object]] = [
        {"key": "ana", "name": "Ana", "role": "mentor", "zone": "Europe/Paris",
         "skills": ["design"], "capacity": 3},
        {"key": "bo", "name": "Bo", "role": "mentee", "zone": "Asia/Tokyo",
         "goals": ["learn design"], "colour": "red"},
        {"key": "cy", "name": "Cy", "role": "mentee", "zone": "Asia/Tokio"},
    ]
    body = {"people": people}
    error = refused(json.dumps(body).encode(), read_json)
    assert [(e.row, e.key) for e in error.rows] == [(2, "bo"), (3, "cy")]
    del people[1]["colour"]
    del people[2]
    ana, bo = read_json(json.dumps(body).encode())
    assert ana.capacity == 3 and bo.goals == ("learn design",)
