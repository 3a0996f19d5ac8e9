"""The programme pages in headless Chromium: an admin imports a CSV (a bad one first:
every bad row shown, nothing imported), reviews and publishes the matches (and finds a
programme again in "Your programmes"); a mentee in
Asia/Tokyo sees the intro with the proposed times in Tokyo time and accepts one; the
mentor in America/Los_Angeles sees the booking in Los Angeles time. The server runs on a
ManualClock and each browser on Playwright's fake clock at the same instant; expected
local clocks are computed here with zoneinfo. MENTORCALL_SCREENSHOTS=/dir keeps
screenshots.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import expect

from rooms.clock import ManualClock
from tests.live_server import live_server

from .browser import chromium
from .test_schedule import (
    LAPTOP,
    LOS_ANGELES,
    PHONE,
    TOKYO,
    datetime_text,
    day_text,
    shot,
    span_text,
    wait_ready,
    wire,
    zoned_page,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = (ROOT / "docs" / "sample-programme.csv").read_bytes()
# Thursday 5 March 2026, 00:00 UTC: Los Angeles moves to summer time on Sunday 8 March,
# between the second and the third offered time.
T0 = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)
# Lee is free mon-fri 16:00-19:00 in Los Angeles, Kenji mon-fri 09:00-12:00 in Tokyo, and
# booking needs 2 hours' notice: the earliest common 30 minutes on three different (UTC)
# days are Thu 02:00 UTC (Wed 18:00 PST / Thu 11:00 JST), Fri 00:00 UTC (Thu 16:00 PST /
# Fri 09:00 JST) and, as Saturday and Sunday in Tokyo and Sunday in Los Angeles are off and
# PDT moves Lee's 16:00 to 08:00 in Tokyo, Tue 10 Mar 00:00 UTC (Mon 17:00 PDT / Tue 09:00).
OFFERED = [datetime(2026, 3, 5, 2, 0, tzinfo=UTC), datetime(2026, 3, 6, 0, 0, tzinfo=UTC),
           datetime(2026, 3, 10, 0, 0, tzinfo=UTC)]
LENGTH = timedelta(minutes=30)
PARIS = "Europe/Paris"
BAD_CSV = SAMPLE.replace(b"Asia/Tokyo", b"Asia/Tokio").replace(b",2,dept:eng", b",-1,dept:eng")


async def test_admin_publishes_and_tokyo_mentee_books_los_angeles_mentor() -> None:
    clock = ManualClock(T0.timestamp())
    async with live_server(clock=clock) as server, chromium() as browser:
        admin = await zoned_page(browser, f"{server.base_url}/programmes", "admin", "UTC", T0,
                                 (1280, 900))
        page = admin.page
        await expect(page.locator("#signin")).to_be_visible()
        await page.get_by_label("Admin key").fill("wrong")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.locator("#signin-error")).to_contain_text("not the admin key")
        await page.get_by_label("Admin key").fill(server.admin_key)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.locator("#choose")).to_be_visible()
        # The page keeps no key: an HttpOnly session cookie (the recordings page's sign-in).
        assert await page.evaluate("() => sessionStorage.length + localStorage.length") == 0
        cookies = await admin.context.cookies()
        assert [(c["name"], c["httpOnly"], c["path"]) for c in cookies] == [
            ("mentorcall_admin", True, "/api")]

        await page.get_by_label("Name", exact=True).fill("Spring mentoring")
        await page.get_by_role("button", name="Create programme").click()
        await expect(page.locator("#programme-heading")).to_have_text("Spring mentoring")
        assert "programme=" in page.url and server.admin_key not in page.url
        await expect(page.locator("#matching-summary")).to_have_text("Import people first.")
        await shot(admin, "programme-empty")

        # A bad file: every bad row with its reason, and nothing imported.
        await page.get_by_label("CSV file").set_input_files(
            {"name": "people.csv", "mimeType": "text/csv", "buffer": BAD_CSV})
        await page.get_by_role("button", name="Import", exact=True).click()
        rows = page.locator("#import-rows tbody tr")
        await expect(rows).to_have_count(2)
        await expect(rows.nth(0)).to_contain_text("lee")
        await expect(rows.nth(0)).to_contain_text("capacity -1 is below zero")
        await expect(rows.nth(1)).to_contain_text("kenji")
        await expect(rows.nth(1)).to_contain_text("Asia/Tokio")
        await expect(page.locator("#import-error-text")).to_contain_text("nothing was imported")
        await expect(page.locator("#people-box")).to_be_hidden()
        await shot(admin, "programme-import-errors", "#import")

        await page.get_by_label("CSV file").set_input_files(
            {"name": "people.csv", "mimeType": "text/csv", "buffer": SAMPLE})
        await page.get_by_role("button", name="Import", exact=True).click()
        await expect(page.locator("#import-notice")).to_have_text(
            "Imported 6 people from people.csv.")
        await expect(page.locator("#import-error")).to_be_hidden()
        await expect(page.locator("#people a")).to_have_count(6)
        links = {await a.evaluate("a => a.closest('tr').querySelector('.key').textContent"):
                 str(await a.get_attribute("href")) for a in await page.locator("#people a").all()}
        assert set(links) == {"lee", "ana", "priya", "kenji", "lou", "sam"}

        await page.get_by_role("button", name="Run matching").click()
        kenji_row = page.locator('#pairs tr[data-mentee="kenji"]')
        await expect(kenji_row).to_contain_text("Lee Alvarez")
        await expect(kenji_row).to_contain_text("move into data engineering")
        await expect(page.locator('#pairs tr[data-mentee="sam"]')).to_contain_text("Priya")
        # Swapping Kenji's and Lou's mentors would pair Lou (dept:eng) with Lee: refused.
        await kenji_row.get_by_role("button", name="Swap… (Kenji Sato)").click()
        await page.locator('#pairs tr[data-mentee="lou"]').get_by_role(
            "button", name="Swap with this (Lou Martin)").click()
        await expect(page.locator("#review-error")).to_be_visible()
        await kenji_row.get_by_role("button", name="Lock Kenji Sato's pair").click()
        await expect(kenji_row.get_by_role("button", name="Unlock Kenji Sato's pair")) \
            .to_have_attribute("aria-pressed", "true")
        await page.get_by_role("button", name="Run again (keeps locked pairs)").click()
        await expect(page.locator("#matching-summary")).to_contain_text("(1 locked)")
        await shot(admin, "programme-review", "#review")

        await page.get_by_role("button", name="Publish matches").click()
        await expect(page.locator("#review-notice")).to_contain_text("Published: 3 pairs")
        await expect(page.locator("#intro-table tbody tr")).to_have_count(3)
        await expect(page.locator('#figures [data-figure="matched"] dd')).to_have_text("3")
        await shot(admin, "programme-published")

        # Kenji, in Tokyo, opens his schedule link: his match and three times in Tokyo.
        kenji = await zoned_page(browser, links["kenji"], "mentee", TOKYO, T0, PHONE)
        await wait_ready(kenji)
        match = kenji.page.locator("#match")
        await expect(match.locator("#match-heading")).to_have_text("Your mentor: Lee Alvarez")
        await expect(match.locator("#match-why")).to_contain_text(  # told to him, not the admin
            "Lee Alvarez's experience in data engineering matches your goal")
        await expect(match.locator("#match-why")).to_contain_text("(your time)")
        times = match.locator(".match-time")
        await expect(times).to_have_count(3)
        for item, start in zip(await times.all(), OFFERED, strict=True):
            await expect(item).to_have_attribute("data-start", wire(start))
            await expect(item.locator(".mine")).to_have_text(datetime_text(start, TOKYO))
            await expect(item.locator(".theirs")).to_have_text(
                f"30 minutes \u00b7 {datetime_text(start, LOS_ANGELES)} for Lee Alvarez in "
                "Los Angeles")
        assert [datetime_text(t, TOKYO) for t in OFFERED] == [
            "Thu 5 Mar, 11:00", "Fri 6 Mar, 09:00", "Tue 10 Mar, 09:00"]
        await shot(kenji, "programme-intro-tokyo-phone")
        # Shown in another zone, the page asks the server for the times in that zone.
        await kenji.page.locator("#zone-select").select_option(PARIS)
        await expect(times.first.locator(".mine")).to_have_text(datetime_text(OFFERED[0], PARIS))
        await kenji.page.locator("#zone-select").select_option(TOKYO)
        await expect(times.first.locator(".mine")).to_have_text(datetime_text(OFFERED[0], TOKYO))

        chosen = OFFERED[2]
        await times.nth(2).get_by_role("button", name="Accept").click()
        await expect(kenji.page.locator("#upcoming-notice")).to_have_text(
            f"Booked: {datetime_text(chosen, TOKYO)} with Lee Alvarez.")
        await expect(match.locator(".match-time")).to_have_count(0)
        booked = kenji.page.locator(f'#upcoming-list li[data-start="{wire(chosen)}"]')
        await expect(booked.locator(".booking-day")).to_have_text(day_text(chosen, TOKYO))
        await expect(booked.locator(".booking-time")).to_have_text(
            span_text(chosen, chosen + LENGTH, TOKYO))
        await shot(kenji, "programme-accepted-tokyo-phone")

        # Lee, in Los Angeles: the booking in Los Angeles (summer) time, 17:00 PDT.
        lee = await zoned_page(browser, links["lee"], "mentor", LOS_ANGELES, T0, LAPTOP)
        await wait_ready(lee)
        await expect(lee.page.locator("#match-times-intro")).to_contain_text(
            "Your first session is booked for Mon 9 Mar, 17:00 (your time)")
        booked = lee.page.locator(f'#upcoming-list li[data-start="{wire(chosen)}"]')
        await expect(booked.locator(".booking-day")).to_have_text("Mon 9 Mar")
        await expect(booked.locator(".booking-time")).to_have_text("17:00\u201317:30")
        assert day_text(chosen, LOS_ANGELES) == "Mon 9 Mar"
        await shot(lee, "programme-booked-los-angeles")

        # The admin's dashboard counts the booked first session.
        await page.reload()
        await expect(page.locator('#figures [data-figure="first_sessions_booked"] dd')) \
            .to_have_text("1")
        # The intros sent, read back from the server (GET .../intros), with their state.
        accepted = page.locator('#intro-table tbody tr[data-state="accepted"]')
        await expect(accepted).to_have_count(1)
        await expect(accepted.locator(".state")).to_have_text("accepted by Kenji Sato")
        await expect(page.locator('#intro-table tbody tr[data-state="proposed"]')) \
            .to_have_count(2)
        await shot(admin, "programme-intros-sent", "#intros")
        await page.get_by_role("button", name="Run a coffee round").click()
        await expect(page.locator("#coffee-summary")).to_contain_text("Round 1:")
        await expect(page.locator("#coffee-history li")).to_have_count(1)
        await expect(page.locator('#coffee-history li[data-round="1"]')).to_contain_text(
            "Round 1")
        await expect(page.locator("#chart svg rect").first).to_be_visible()
        await shot(admin, "programme-dashboard", "#dashboard")
        await shot(admin, "programme-coffee", "#coffee")


def big_programme(mentors: int = 60, mentees: int = 200) -> bytes:
    """A programme with long names across a handful of zones (one planted, findable name)."""
    zones = ["Asia/Tokyo", "Europe/Paris", "America/Los_Angeles", "Asia/Kolkata",
             "America/Sao_Paulo", "Africa/Lagos"]
    lines = ["key,name,role,zone,languages,skills,goals,capacity,availability"]
    for i in range(mentors):
        lines.append(f"m{i},Mentor Maximiliane Wolfeschlegelsteinhausen-Bergerdorff {i},mentor,"
                     f"{zones[i % 6]},en,data engineering;skill {i},,4,mon-fri 06:00-22:00")
    for i in range(mentees):
        name = "Zanele Findable Dlamini" if i == 137 else f"Mentee Bartholomew-Alexander {i}"
        lines.append(f"e{i},{name},mentee,{zones[i % 6]},en,,goal {i % 60};data engineering,,"
                     "mon-fri 06:00-22:00")
    return ("\n".join(lines) + "\n").encode()


async def test_a_200_mentee_programme_reviews_in_a_scrolling_filterable_table() -> None:
    clock = ManualClock(T0.timestamp())
    async with live_server(clock=clock) as server, chromium() as browser:
        admin = await zoned_page(browser, f"{server.base_url}/programmes", "admin", "UTC", T0,
                                 (1280, 900))
        page = admin.page
        await page.get_by_label("Admin key").fill(server.admin_key)
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_label("Name", exact=True).fill("Company-wide mentoring 2026")
        await page.get_by_role("button", name="Create programme").click()
        await page.get_by_label("CSV file").set_input_files(
            {"name": "big.csv", "mimeType": "text/csv", "buffer": big_programme()})
        await page.get_by_role("button", name="Import", exact=True).click()
        await expect(page.locator("#import-notice")).to_have_text(
            "Imported 260 people from big.csv.")
        await page.get_by_role("button", name="Run matching").click()
        rows = page.locator("#pairs tbody tr")
        await expect(rows).to_have_count(200)
        # The table scrolls inside its box: the page stays short enough to reach the rest.
        box = await page.locator("#pairs-box .table-wrap").bounding_box()
        assert box is not None and box["height"] < 600
        await page.get_by_label("Filter").fill("findable")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("Zanele Findable Dlamini")
        await expect(page.locator("#pairs-count")).to_have_text("1 of 200 pairs")
        await page.get_by_label("Filter").fill("")
        await page.locator("#review").scroll_into_view_if_needed()
        await shot(admin, "programme-review-200", "#review")
        # Its id lost (a fresh tab without the fragment): the programme is in the list.
        await page.goto(f"{server.base_url}/programmes")
        mine = page.locator("#programme-list li")
        await expect(mine).to_have_count(1)
        await expect(mine.first).to_contain_text("260 people · not published")
        await shot(admin, "programme-list", "#mine")
        await mine.first.get_by_role("link", name="Company-wide mentoring 2026").click()
        await expect(page.locator("#programme-heading")).to_have_text(
            "Company-wide mentoring 2026")
        await expect(page.locator("#mine")).to_be_hidden()
        await page.get_by_role("button", name="All programmes").click()
        await expect(mine).to_have_count(1)
