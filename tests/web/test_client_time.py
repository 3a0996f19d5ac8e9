"""web/client/src/shared/time.js under Node: how the pages write the server's local times,
in particular on the night a clock goes back (a wall time then happens twice)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rooms.scheduling.zones import load_zone

ROOT = Path(__file__).resolve().parents[2]
TIME_JS = ROOT / "web" / "client" / "src" / "shared" / "time.js"
DASH = "\u2013"

# Every span of a list written as a page writes it, the list's repeated wall times known
# (a time.js without `repeatedWalls` writes them as it always did).
SPANS = """
import * as time from %s;
const spans = JSON.parse(process.argv[1]);
const repeats = time.repeatedWalls ? time.repeatedWalls(spans.flat()) : undefined;
console.log(JSON.stringify(spans.map(([start, end]) => time.spanText(start, end, { repeats }))));
"""


def run_time_js(script: str, payload: object) -> list[str]:
    """The texts ``script`` (importing time.js as ``time``) prints for ``payload``."""
    node = shutil.which("node")
    assert node is not None, "node is needed (./dev.sh build installs it)"
    done = subprocess.run(
        [node, "--input-type=module", "-e", script % json.dumps(TIME_JS.as_uri()),
         json.dumps(payload)], capture_output=True, text=True, timeout=30, check=True)
    texts: list[str] = json.loads(done.stdout)
    return texts


def span_texts(spans: list[tuple[str, str]]) -> list[str]:
    return run_time_js(SPANS, spans)


# Single times, the repeated wall times given: [[text, [repeated wall times]], ...].
TIMES = """
import * as time from %s;
const times = JSON.parse(process.argv[1]);
console.log(JSON.stringify(times.map(([text, walls]) =>
  time.dateTimeText(text, { repeats: new Set(walls) }))));
"""


def date_time_texts(times: list[tuple[str, list[str]]]) -> list[str]:
    return run_time_js(TIMES, times)


def server_spans(zone: str, first: datetime, count: int, step_min: int,
                 length_min: int) -> list[tuple[str, str]]:
    """Spans as the server writes them: local times in ``zone`` with their offsets."""
    tz = load_zone(zone)
    starts = [first + timedelta(minutes=step_min * k) for k in range(count)]
    return [(s.astimezone(tz).isoformat(), (s + timedelta(minutes=length_min)).astimezone(tz)
             .isoformat()) for s in starts]


# Lord Howe's free half hours every 15 min from 01:00 on the night its clock goes back
FALL_BACK_DAY = [
    f"01:00{DASH}01:30 (UTC+11)",
    f"01:15{DASH}01:45 (UTC+11)",
    f"01:30 (UTC+11){DASH}01:30 (UTC+10:30)",
    f"01:45 (UTC+11){DASH}01:45 (UTC+10:30)",
    f"01:30 (UTC+10:30){DASH}02:00",
    f"01:45 (UTC+10:30){DASH}02:15",
    f"02:00{DASH}02:30",
    f"02:15{DASH}02:45",
    f"02:30{DASH}03:00",
]


def test_a_clock_going_back_shows_offsets_where_wall_times_repeat() -> None:
    # Lord Howe, Sunday 4 April 2027: 02:00 (UTC+11) becomes 01:30 (UTC+10:30).
    spans = server_spans("Australia/Lord_Howe", datetime(2027, 4, 3, 14, 0, tzinfo=UTC),
                         count=9, step_min=15, length_min=30)
    assert spans[2] == ("2027-04-04T01:30:00+11:00", "2027-04-04T01:30:00+10:30")
    texts = span_texts(spans)
    assert texts == FALL_BACK_DAY
    assert len(set(texts)) == len(texts)


def test_a_span_across_a_change_shows_both_offsets() -> None:
    # Los Angeles, 1 November 2026: 02:00 PDT becomes 01:00 PST; one hour-long span.
    [text] = span_texts([("2026-11-01T00:30:00-07:00", "2026-11-01T01:30:00-08:00")])
    assert text == f"00:30 (UTC-7){DASH}01:30 (UTC-8)"


def test_ordinary_days_read_as_before() -> None:
    spans = server_spans("America/Los_Angeles", datetime(2026, 3, 10, 16, 0, tzinfo=UTC),
                         count=4, step_min=15, length_min=30)
    assert span_texts(spans) == [f"09:00{DASH}09:30", f"09:15{DASH}09:45",
                                 f"09:30{DASH}10:00", f"09:45{DASH}10:15"]
    # Across midnight, and a day in UTC, still without offsets.
    late = [("2026-03-10T23:45:00+01:00", "2026-03-11T00:15:00+01:00"),
            ("2026-03-10T09:00:00+00:00", "2026-03-10T09:30:00+00:00")]
    assert span_texts(late) == [f"23:45{DASH}Wed 11 Mar, 00:15", f"09:00{DASH}09:30"]


def test_a_repeated_time_shows_its_offset_as_written() -> None:
    repeated = ["2027-04-04T02:45", "2026-11-01T01:30", "2026-10-25T02:30", "2026-04-05T03:15"]
    assert date_time_texts([
        ("2027-04-04T02:45:00+12:45", repeated),  # Chatham
        ("2026-11-01T01:30:00-03:30", repeated),
        ("2026-10-25T02:30:00Z", repeated),
        ("2026-04-05T03:15:00+05:45", repeated),
        ("2026-04-05T03:15:00+05:45", []),
    ]) == ["Sun 4 Apr, 02:45 (UTC+12:45)", "Sun 1 Nov, 01:30 (UTC-3:30)",
           "Sun 25 Oct, 02:30 (UTC)", "Sun 5 Apr, 03:15 (UTC+5:45)", "Sun 5 Apr, 03:15"]
