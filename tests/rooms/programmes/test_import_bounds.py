"""Malformed and oversized imports: coded refusals with rows, bounded in size, no parser
exception escaping (review findings 5, 6 and 15)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import TypeVar

import pytest

from rooms.programmes.errors import ProgrammeError
from rooms.programmes.importer import read_csv, read_json
from rooms.programmes.model import MAX_PARTICIPANTS
from rooms.programmes.service import ProgrammeService

from .conftest import World

T = TypeVar("T")

MAX_LISTED = 100  # rows listed in a refusal (rooms/programmes/importer.py)
HEADER = "key,name,role,zone,email,skills,capacity\n"


def refused(raw: bytes, reader: object = read_csv) -> ProgrammeError:
    with pytest.raises(ProgrammeError) as caught:
        reader(raw)  # type: ignore[operator]
    return caught.value


def person(**fields: object) -> bytes:
    row = {"key": "a", "name": "A", "role": "mentor", "zone": "UTC"} | fields
    return json.dumps({"people": [row]}).encode()


def test_a_file_of_bad_rows_lists_the_first_ones_and_counts_the_rest() -> None:
    error = refused(("key,name,role,zone\n" + "x\n" * 3000).encode())
    assert error.code == "invalid_import"
    assert len(error.rows) == MAX_LISTED
    assert [r.row for r in error.rows] == list(range(2, 2 + MAX_LISTED))
    assert error.message.startswith("3000 row(s) are wrong")
    assert f"and {3000 - MAX_LISTED} more" in error.message


def test_reading_stops_past_the_people_limit() -> None:
    error = refused(("key,name,role,zone\n" + "x\n" * (MAX_PARTICIPANTS * 3)).encode())
    assert error.code == "invalid_import"
    assert error.message == f"At most {MAX_PARTICIPANTS} people per import."
    assert len(error.rows) <= MAX_LISTED
    many = {"people": [{"key": str(i)} for i in range(MAX_PARTICIPANTS + 1)]}
    error = refused(json.dumps(many).encode(), read_json)
    assert error.message == f"At most {MAX_PARTICIPANTS} people per import." and not error.rows


@pytest.mark.parametrize("email", [5, ["x"], {"a": 1}, True])
def test_an_email_that_is_not_text_is_a_row_error(email: object) -> None:
    error = refused(person(email=email), read_json)
    assert error.code == "invalid_import"
    assert [(r.row, r.key, r.reason) for r in error.rows] == [(1, "a", "email must be text")]


def test_a_bad_email_is_reported_with_its_row() -> None:
    raw = (HEADER + "a,A,mentor,UTC,a@example.org,,\nb,B,mentee,UTC,b@example.org,,\n"
           "c,C,mentee,UTC,not an email,,\n").encode()
    error = refused(raw)
    assert error.code == "invalid_import"
    assert [(r.row, r.key, r.reason) for r in error.rows] == [
        (4, "c", "'not an email' is not an e-mail address")]
    long = "a" * 250 + "@example.org"
    error = refused((HEADER + f"a,A,mentor,UTC,{long},,\n").encode())
    assert error.rows[0].reason == "email is longer than 254 characters"


def test_a_number_of_5000_digits_is_refused_not_parsed() -> None:
    error = refused(b'{"people": [{"key": "a", "name": "A", "role": "mentor", "zone": "UTC", '
                    b'"capacity": ' + b"9" * 5000 + b"}]}", read_json)
    assert error.code == "invalid_json" and "numbers are limited" in error.message
    assert refused(b'{"people": [], "x": NaN}', read_json).code == "invalid_json"
    csv_error = refused((HEADER + "a,A,mentor,UTC,,," + "9" * 5000 + "\n").encode())
    assert csv_error.rows[0].row == 2 and len(csv_error.rows[0].reason) < 100


def test_json_nested_100000_deep_is_refused() -> None:
    deep = b'{"people": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    error = refused(deep, read_json)
    assert error.code == "invalid_json" and "nests too deep" in error.message


def test_a_csv_field_longer_than_the_csv_limit_is_a_row_error() -> None:
    raw = (HEADER + "a,A,mentor,UTC,,ok,\nb,B,mentor,UTC,," + "x" * 140_000 + ",\n").encode()
    error = refused(raw)
    assert error.code == "invalid_import"
    assert [r.row for r in error.rows] == [3]
    assert "longer than" in error.rows[0].reason


def test_non_text_required_fields_say_so() -> None:
    error = refused(person(key=5), read_json)
    assert error.rows[0].reason == "key must be text"


async def test_an_import_is_parsed_by_the_offload_not_on_the_event_loop(world: World) -> None:
    ran: list[str] = []

    async def offload(work: Callable[[], T]) -> T:
        ran.append(threading.current_thread().name)
        return await asyncio.to_thread(work)

    service = ProgrammeService(world.service.store, world.scheduling, world.clock,
                               offload=offload)
    rows = await service.read_rows(read_csv, b"key,name,role,zone\na,A,mentor,UTC\n")
    assert [r.key for r in rows] == ["a"] and len(ran) == 1
    with pytest.raises(ProgrammeError):
        await service.read_rows(read_json, b"{")
    assert len(ran) == 2
