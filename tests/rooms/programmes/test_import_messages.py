"""Import refusals that say what is wrong: an unterminated quote is named as such (not as a
field count), and a value echoed back in a reason is cut to 40 characters (review #18d)."""

from __future__ import annotations

import json

import pytest

from rooms.programmes.errors import ProgrammeError
from rooms.programmes.importer import read_csv, read_json

HEADER = "key,name,role,zone\n"


def reasons(raw: bytes, reader: object = read_csv) -> list[str]:
    with pytest.raises(ProgrammeError) as caught:
        reader(raw)  # type: ignore[operator]
    assert caught.value.code in ("invalid_import", "wrong_columns")
    return [r.reason for r in caught.value.rows] or [caught.value.message]


def test_an_unterminated_quote_is_named_with_the_lines_it_swallowed() -> None:
    raw = (HEADER + 'a,"Ana,mentor,UTC\nb,Bo,mentee,UTC\nc,Cy,mentee,UTC\n').encode()
    [reason] = reasons(raw)
    assert "a quote opened in this row is never closed" in reason
    assert "to line 4" in reason and "fields where" not in reason


def test_a_row_of_too_few_fields_without_a_line_break_still_counts_them() -> None:
    assert reasons((HEADER + "a,Ana\n").encode()) == ["2 fields where the header has 4"]


@pytest.mark.parametrize(("column", "length"), [
    ("role", 5000), ("capacity", 5000), ("coffee", 5000), ("availability", 5000),
    ("preferences", 100), ("email", 200)])  # the longest that reach their echoing check
def test_a_long_value_is_cut_in_the_reason(column: str, length: int) -> None:
    value = ("9" if column == "capacity" else "x") * length
    row = {"key": "a", "name": "A", "role": "mentee", "zone": "UTC"} | {column: value}
    [reason] = reasons(json.dumps({"people": [row]}).encode(), read_json)
    assert len(reason) < 200, reason
    assert column == "capacity" or "x" * 40 + "'…" in reason


def test_unknown_columns_and_fields_and_long_keys_are_cut() -> None:
    [message] = reasons(f"key,name,role,zone,{'q' * 5000}\n".encode())
    assert len(message) < 400 and "q" * 40 + "'…" in message
    people = [{"key": "k" * 5000, "name": "A", "role": "mentee", "zone": "UTC",
               "w" * 5000: 1}, {"key": "k" * 5000, "name": "A", "role": "x", "zone": "UTC"}]
    with pytest.raises(ProgrammeError) as caught:
        read_json(json.dumps({"people": people}).encode())
    for row in caught.value.rows:
        assert len(row.reason) < 200 and len(row.key) == 41, row
