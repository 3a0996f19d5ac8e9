"""The scheduling page and the join page's "opens at" in headless Chromium, with test clocks.

The server runs on a ManualClock and each browser on Playwright's fake clock, both set to
the same instant, so "the room opens in 24 hours" takes no time at all. Each browser
context has its own ``timezone_id``; every time the page shows is compared with the same
instant converted in Python with zoneinfo. Set MENTORCALL_SCREENSHOTS=/some/dir to keep
screenshots.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import Browser, Page, expect

from rooms.clock import ManualClock
from rooms.grants import JoinGrant, TokenSigner
from rooms.models import Role
from rooms.scheduling import tzdb
from rooms.scheduling.zones import load_zone
from tests.live_server import LiveServer, live_server, token_of
from tests.rooms.scheduling.builders import rules_with

from .browser import STEP_TIMEOUT_S, BrowserPage, chromium

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = STEP_TIMEOUT_S * 1000
LAPTOP = (1100, 900)
PHONE = (390, 844)
TOKYO = "Asia/Tokyo"
LOS_ANGELES = "America/Los_Angeles"
# Monday 2 March 2026, 00:00 UTC: the Monday 16:00 in Los Angeles a day later is still in
# winter time (PST), the one a week later already in summer time (PDT, from 8 March).
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
DASH = "\u2013"  # the page writes spans with an en dash: 09:00 DASH 09:30


# ---- what the page should say, computed in Python ------------------------------------


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def wire(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(load_zone(zone))


def day_text(instant: datetime, zone: str) -> str:
    """The page's day format: "Tue 3 Mar"."""
    return f"{local(instant, zone):%a} {local(instant, zone).day} {local(instant, zone):%b}"


def time_text(instant: datetime, zone: str) -> str:
    return f"{local(instant, zone):%H:%M}"


def datetime_text(instant: datetime, zone: str) -> str:
    """The page's date-and-time format: "Tue 3 Mar, 09:00"."""
    return f"{day_text(instant, zone)}, {time_text(instant, zone)}"


def span_text(start: datetime, end: datetime, zone: str) -> str:
    return f"{time_text(start, zone)}{DASH}{time_text(end, zone)}"


# ---- helpers -----------------------------------------------------------------------------


async def call_api(
    server: LiveServer, method: str, path: str, token: str, body: Any = None
) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http:
        response = await http.request(
            method,
            f"{server.base_url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status, await response.json()


async def register(server: LiveServer, name: str, role: str, zone: str) -> dict[str, Any]:
    """POST /api/people as the admin; adds the person token as ``token``."""
    status, person = await call_api(
        server,
        "POST",
        "/api/people",
        server.admin_key,
        {"display_name": name, "role": role, "zone": zone},
    )
    assert status == 201, person
    person["token"] = token_of(person["schedule_link"])
    return person


async def zoned_page(
    browser: Browser,
    url: str,
    name: str,
    zone: str,
    now: datetime,
    viewport: tuple[int, int] = LAPTOP,
) -> BrowserPage:
    """A page in a browser context living in ``zone`` whose clock starts at ``now``."""
    context = await browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, timezone_id=zone
    )
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    wrapped = BrowserPage(context, page, name)
    await page.clock.install(time=now)
    await page.goto(url)
    return wrapped


def schedule_url(server: LiveServer, person: dict[str, Any], other: dict[str, Any]) -> str:
    return f"{server.base_url}/schedule?with={other['identity']}#token={person['token']}"


async def wait_ready(page: BrowserPage) -> None:
    await page.page.wait_for_function("() => window.mentorcallSchedule.state === 'ready'")


async def move_clock_to(page: Page, instant: datetime) -> None:
    """Jump the page's fake clock forward to ``instant`` (due timers fire once)."""
    now_ms = await page.evaluate("() => Date.now()")
    await page.clock.fast_forward(max(0, round(instant.timestamp() * 1000 - now_ms)))


async def shot(page: BrowserPage, name: str, section: str | None = None) -> None:
    """A screenshot of the viewport (or of one section) when MENTORCALL_SCREENSHOTS is set."""
    folder = os.environ.get("MENTORCALL_SCREENSHOTS")
    if not folder:
        return
    path = str(Path(folder) / f"{name}.png")
    if section:
        await page.page.locator(section).screenshot(path=path, animations="disabled")
    else:
        await page.page.screenshot(path=path, animations="disabled")


async def assert_slots_in_local_time(
    page: BrowserPage, zone: str, other_zone: str, expected: list[datetime], length: timedelta
) -> None:
    """Every suggested slot reads as the UTC start converted to ``zone`` (and, smaller,
    to ``other_zone``), under a heading naming its local day."""
    slots = page.page.locator(".slot")
    await expect(slots).to_have_count(len(expected))
    starts = [await s.get_attribute("data-start") for s in await slots.all()]
    assert starts == [wire(t) for t in expected], page.log()
    for slot, start in zip(await slots.all(), expected, strict=True):
        await expect(slot.locator(".mine")).to_have_text(span_text(start, start + length, zone))
        other_place = other_zone.split("/")[-1].replace("_", " ")
        await expect(slot.locator(".theirs")).to_have_text(
            f"{datetime_text(start, other_zone)} in {other_place}"
        )
        heading = slot.locator("xpath=ancestor::div[contains(@class,'slot-day')]/h3")
        await expect(heading).to_have_text(day_text(start, zone))


# ---- tests -------------------------------------------------------------------------------


def test_every_scheduling_error_code_has_a_sentence() -> None:
    doc = (ROOT / "docs" / "scheduling-api.md").read_text()
    errors = doc.split("Errors:", 1)[1].split("\n\n", 1)[0]
    documented = set(re.findall(r"`([a-z_]+)`", errors)) - {"error", "code", "message"}
    source = (ROOT / "web" / "client" / "src" / "schedule" / "messages.js").read_text()
    block = source.split("SCHEDULE_ERROR_TEXT = {", 1)[1].split("};", 1)[0]
    sentences = set(re.findall(r"^\s+([a-z_]+):", block, re.MULTILINE))
    assert {"unknown_zone", "slot_taken", "invalid_range"} <= documented
    assert documented <= sentences, (
        f"no sentence in schedule-messages.js for {documented - sentences}"
    )


async def test_tokyo_mentee_books_los_angeles_mentor_and_joins_when_the_room_opens() -> None:
    clock = ManualClock(T0.timestamp())
    async with live_server(clock=clock) as server, chromium() as browser:
        mentor = await register(server, "Ada Lovelace", "mentor", LOS_ANGELES)
        mentee = await register(server, "Kenji Sato", "mentee", TOKYO)
        # The mentee is free Tuesdays 08:30-12:00 in Tokyo (set through the API) ...
        status, body = await call_api(
            server,
            "PUT",
            "/api/me/availability",
            mentee["token"],
            {"zone": TOKYO, "weekly": {"tue": [["08:30", "12:00"]]}},
        )
        assert status == 200, body

        # ... the mentor Mondays 16:00-18:00 in Los Angeles, typed into the page (phone).
        ada = await zoned_page(
            browser, schedule_url(server, mentor, mentee), "mentor", LOS_ANGELES, T0, PHONE
        )
        await wait_ready(ada)
        await expect(ada.page.locator("#zone-select")).to_have_value(LOS_ANGELES)
        monday = ada.page.locator('.day-row[data-day="mon"]')
        await monday.get_by_role("button", name="Add a time range on Monday").click()
        await monday.get_by_label("Monday, range 1, from").fill("18:00")
        await monday.get_by_label("Monday, range 1, until").fill("16:00")
        await ada.page.get_by_role("button", name="Save availability").click()
        await expect(ada.page.locator("#availability-error")).to_have_text(
            f"Monday: 18:00{DASH}16:00 ends before it starts. (Use 00:00 to mean midnight.)"
        )
        await monday.get_by_label("Monday, range 1, from").fill("16:00")
        await monday.get_by_label("Monday, range 1, until").fill("18:00")
        await ada.page.get_by_role("button", name="Save availability").click()
        await expect(ada.page.locator("#availability-state")).to_contain_text("Saved")
        await expect(ada.page.locator("#availability-error")).to_be_hidden()
        await shot(ada, "schedule-availability-phone", "#availability")

        # Monday 16:00-18:00 in Los Angeles is Tuesday 09:00-11:00 in Tokyo in winter, but
        # 08:00-10:00 once Los Angeles is on summer time (the mentee starts at 08:30).
        length = timedelta(minutes=30)
        step = timedelta(minutes=15)
        expected = [datetime(2026, 3, 3, 0, 0, tzinfo=UTC) + k * step for k in range(7)] + [
            datetime(2026, 3, 9, 23, 30, tzinfo=UTC) + k * step for k in range(5)
        ]
        await assert_slots_in_local_time(ada, LOS_ANGELES, TOKYO, expected, length)
        await ada.page.locator("#find").scroll_into_view_if_needed()
        await shot(ada, "schedule-slots-phone")

        kenji = await zoned_page(
            browser, schedule_url(server, mentee, mentor), "mentee", TOKYO, T0, LAPTOP
        )
        await wait_ready(kenji)
        await expect(kenji.page.locator("#zone-select")).to_have_value(TOKYO)
        await assert_slots_in_local_time(kenji, TOKYO, LOS_ANGELES, expected, length)
        await shot(kenji, "schedule-slots-laptop")
        await shot(kenji, "schedule-availability-laptop", "#availability")

        # The mentee books the first one: 09:00 Tuesday in Tokyo, 16:00 Monday in LA.
        booked = expected[0]
        booked_text = f"{day_text(booked, TOKYO)}, {span_text(booked, booked + length, TOKYO)}"
        await kenji.page.get_by_role("button", name=f"Book {booked_text}").click()
        await expect(kenji.page.locator("#upcoming-notice")).to_have_text(
            f"Booked: {booked_text} with Ada Lovelace."
        )
        await expect(kenji.page.locator(".slot").first).not_to_have_attribute(
            "data-start", wire(booked)
        )

        # The mentor's page still offers that slot: booking it says it's taken and refreshes.
        await ada.page.locator(f'.slot[data-start="{wire(booked)}"] .book').click()
        await expect(ada.page.locator("#find-error")).to_contain_text(
            "Sorry, that time has just been taken."
        )
        await expect(ada.page.locator(f'.slot[data-start="{wire(booked)}"]')).to_have_count(0)

        # Both see it in their upcoming list, in their own local time.
        status, bookings = await call_api(server, "GET", "/api/me/bookings", mentee["token"])
        assert status == 200, bookings
        bookings = bookings if isinstance(bookings, list) else bookings["bookings"]
        assert [b["start"] for b in bookings] == [wire(booked)]
        opens_at = utc(bookings[0]["opens_at"])
        assert opens_at < booked
        for page, zone, other in [(kenji, TOKYO, "Ada Lovelace"), (ada, LOS_ANGELES, "Kenji Sato")]:
            item = page.page.locator("li.booking")
            await expect(item).to_have_count(1)
            await expect(item.locator(".booking-day")).to_have_text(day_text(booked, zone))
            await expect(item.locator(".booking-time")).to_have_text(
                span_text(booked, booked + length, zone)
            )
            await expect(item.locator(".booking-with")).to_have_text(f"with {other}")
            join = item.get_by_role("button", name=f"Opens at {time_text(opens_at, zone)}")
            await expect(join).to_be_disabled()
        for page in (kenji, ada):
            await page.page.evaluate("() => window.scrollTo(0, 0)")
        await shot(kenji, "schedule-upcoming-laptop")
        await shot(ada, "schedule-upcoming-phone")

        # A minute before the room opens the button is still off; at opening time it is on.
        for page in (kenji, ada):
            await move_clock_to(page.page, opens_at - timedelta(minutes=1))
            await expect(page.page.locator("li.booking .join")).to_be_disabled()
            await move_clock_to(page.page, opens_at + timedelta(seconds=1))
            await expect(page.page.locator("li.booking .join")).to_have_text("Join")
            await expect(page.page.locator("li.booking .join")).to_be_enabled()
        await shot(kenji, "schedule-join-open-laptop")
        await shot(ada, "schedule-join-open-phone")

        # Join opens the call page for this booking, which lets the mentee in.
        clock.set(opens_at.timestamp() + 1)
        await kenji.page.locator("li.booking .join").click()
        await kenji.page.wait_for_url(re.compile(r"/join#token="))
        await kenji.wait_for_state("prejoin")
        await expect(kenji.page.locator("#prejoin-heading")).to_have_text("Ready to join?")
        await expect(kenji.page.get_by_role("button", name="Join call")).to_be_enabled()


async def test_join_page_says_when_the_room_opens_and_lets_you_in_then() -> None:
    clock = ManualClock(T0.timestamp())
    async with live_server(clock=clock) as server, chromium() as browser:
        room = await server.create_room(duration_minutes=120)
        opens = T0 + timedelta(minutes=20)
        signer = TokenSigner(server.secret, clock)
        grant = JoinGrant(
            room_id=room["room_id"],
            identity="u_early",
            display_name="Early Bird",
            role=Role.MENTEE,
            publish=True,
            subscribe=True,
            not_before=opens.timestamp(),
        )
        link = f"{server.base_url}/join#token={signer.issue(grant, ttl_s=3600)}"
        zone = "Europe/Berlin"

        page = await zoned_page(browser, link, "early", zone, T0)
        await page.wait_for_state("not_open")
        await expect(page.page.locator("#prejoin-who")).to_contain_text(
            f"This session opens at {datetime_text(opens, zone)}."
        )
        join = page.page.locator("#join-button")
        await expect(join).to_have_text(f"Opens at {time_text(opens, zone)}")
        await expect(join).to_be_disabled()
        await shot(page, "join-not-open")

        # This browser's clock runs ahead of the server's: the page lets the person try,
        # the server says "not yet", and the page waits again instead of failing.
        await move_clock_to(page.page, opens + timedelta(seconds=1))
        await page.wait_for_state("prejoin")
        await expect(page.page.locator("#status")).to_have_text(
            "The session is open. Your camera and microphone are ready."
        )
        await join.click()
        await page.wait_for_state("not_open")
        assert await page.page.evaluate("() => window.mentorcall.error") == "token_not_yet_valid"
        await expect(join).to_be_disabled()

        # The server's clock catches up; the button turns on by itself and joining works.
        clock.set(opens.timestamp() + 1)
        await page.page.clock.fast_forward(6000)
        await page.wait_for_state("prejoin")
        await expect(join).to_have_text("Join call")
        await join.click()
        await page.wait_for_state("waiting")


async def test_the_pages_show_the_times_the_server_computed() -> None:
    # The server's rules put "America/Vancouver" on Tokyo's time (+09:00, no DST): no
    # browser's time-zone data says so, so every time shown must be the server's text.
    vancouver = "America/Vancouver"
    week = {day: [["00:00", "00:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                  "sun")}
    clock = ManualClock(T0.timestamp())
    with tzdb.use(rules_with({vancouver: "Asia/Tokyo"}, "test-odd")):
        async with live_server(clock=clock) as server, chromium() as browser:
            mentor = await register(server, "Ada Lovelace", "mentor", vancouver)
            mentee = await register(server, "Kenji Sato", "mentee", "UTC")
            for person, zone, weekly in ((mentor, vancouver, {"tue": [["09:00", "10:00"]]}),
                                         (mentee, "UTC", week)):
                status, body = await call_api(server, "PUT", "/api/me/availability",
                                              person["token"], {"zone": zone, "weekly": weekly})
                assert status == 200, body
            status, slots = await call_api(
                server, "GET", f"/api/slots?with={mentee['identity']}", mentor["token"])
            assert status == 200 and slots[0]["start"] == "2026-03-03T00:00:00Z"
            assert slots[0]["shown"]["start"] == "2026-03-03T09:00:00+09:00"

            ada = await zoned_page(browser, schedule_url(server, mentor, mentee), "mentor",
                                   vancouver, T0)
            await wait_ready(ada)
            # The browser's own data puts that instant on Monday afternoon in Vancouver.
            browser_says = await ada.page.evaluate(
                "(s) => new Date(s).toLocaleString('en-GB', {timeZone: 'America/Vancouver',"
                " weekday: 'short', hour: '2-digit', minute: '2-digit'})", slots[0]["start"])
            assert browser_says == "Mon 16:00"
            first = ada.page.locator(".slot").first
            await expect(first).to_have_attribute("data-start", slots[0]["start"])
            await expect(first.locator(".mine")).to_have_text(f"09:00{DASH}09:30")
            heading = first.locator("xpath=ancestor::div[contains(@class,'slot-day')]/h3")
            await expect(heading).to_have_text("Tue 3 Mar")

            await first.locator(".book").click()
            item = ada.page.locator("li.booking")
            await expect(item).to_have_count(1)
            status, mine = await call_api(server, "GET", "/api/me/bookings", mentor["token"])
            assert status == 200
            shown = mine[0]["shown"]
            assert (shown["start"], shown["opens_at"]) == ("2026-03-03T09:00:00+09:00",
                                                           "2026-03-03T08:55:00+09:00")
            await expect(item.locator(".booking-day")).to_have_text("Tue 3 Mar")
            await expect(item.locator(".booking-time")).to_have_text(f"09:00{DASH}09:30")
            await expect(item.locator(".join")).to_have_text("Opens at 08:55")
            await expect(item.locator(".theirs")).to_have_text(
                f"Tue 3 Mar, 00:00{DASH}00:30 in UTC")

            # The join page shows the opening the server wrote in the link, whatever zone
            # the browser is in.
            join = await zoned_page(browser, mine[0]["join_link"], "join", "Europe/Berlin", T0)
            await join.wait_for_state("not_open")
            await expect(join.page.locator("#prejoin-who")).to_contain_text(
                "This session opens at Tue 3 Mar, 08:55.")
            await expect(join.page.locator("#join-button")).to_have_text(
                "Opens at Tue 3 Mar, 08:55")
