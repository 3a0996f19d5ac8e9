"""A pair breakout in headless Chromium: three pages. The host starts the pairs from the
host panel; the two participants land together in a pair room of their own (seeing and
hearing each other, with a banner naming the partner and the time left); the host visits
them and comes back, then calls everyone back to the roundtable. Set
MENTORCALL_SCREENSHOTS=/tmp/shots-breakout to keep the pictures."""

from __future__ import annotations

from playwright.async_api import expect

from tests.live_server import live_server

from .browser import chromium, open_page
from .test_browser_roundtable import WIDE, create_roundtable, join, wait_for_media_from


async def test_the_host_runs_a_pair_breakout_and_calls_everyone_back() -> None:
    async with live_server() as server, chromium() as browser:
        room = await create_roundtable(server, {
            "host_name": "Hana Host",
            "title": "Speed mentoring",
            "participants": [{"name": "Pat Park"}, {"name": "Lou Lim"}],
        })
        links = {p["name"]: p["link"] for p in room["links"]["participants"]}
        host = await open_page(browser, room["links"]["host"], "host", viewport=WIDE)
        await join(host)
        await host.wait_for_state("waiting")
        pat = await open_page(browser, links["Pat Park"], "pat", viewport=WIDE)
        await join(pat)
        lou = await open_page(browser, links["Lou Lim"], "lou", viewport=WIDE)
        await join(lou)
        pages = (host, pat, lou)
        for page in pages:  # the identity comes with the join's answer (late under load)
            await page.page.wait_for_function("() => window.mentorcall.identity")
        ids = {p.name: str(await p.page.evaluate("() => window.mentorcall.identity"))
               for p in pages}
        for page in pages:
            await wait_for_media_from(page, {i for n, i in ids.items() if n != page.name})
        await expect(pat.page.locator("#rt-breakout-host")).to_be_hidden()  # hosts only

        await host.page.locator("#rt-breakout-min").fill("5")
        await host.page.get_by_role("button", name="Start pairs").click()
        # The two land together in their pair room, each told who the partner is.
        for page, partner in ((pat, "Lou Lim"), (lou, "Pat Park")):
            await expect(page.page.locator("#rt-breakout")).to_contain_text(
                f"you're paired with {partner}")
            await expect(page.page.locator("#rt-breakout")).to_contain_text("left")
            await page.wait_for_state("in_call")
        await wait_for_media_from(pat, {ids["lou"]})
        await wait_for_media_from(lou, {ids["pat"]})
        for page in (pat, lou):
            await expect(page.page.locator("#stage .remote-tile")).to_have_count(1)
        pair = host.page.locator("#rt-breakout-pairs li", has_text="Pat Park")
        await expect(pair).to_contain_text("Lou Lim")
        await expect(host.page.locator("#stage .remote-tile")).to_have_count(0)
        await pat.screenshot("breakout-participant-paired")
        await host.screenshot("breakout-host-panel")

        # The host visits the pair: the pair sees the host; the host comes back.
        await pair.get_by_role("button", name="Visit").click()
        await expect(host.page.locator("#rt-breakout")).to_contain_text(
            "You're visiting Pat Park and Lou Lim")
        await wait_for_media_from(host, {ids["pat"], ids["lou"]})
        for page in (pat, lou):
            await expect(page.page.locator("#stage .remote-tile")).to_have_count(2)
        await host.screenshot("breakout-host-visiting")
        await lou.screenshot("breakout-participant-visited")
        await host.page.get_by_role("button", name="Back to the roundtable").click()
        await expect(host.page.locator("#rt-breakout-pairs li")).to_have_count(1)
        for page in (pat, lou):
            await expect(page.page.locator("#stage .remote-tile")).to_have_count(1)

        # The host calls everyone back: all three see and hear each other again.
        await host.page.get_by_role("button", name="Call everyone back").click()
        for page in pages:
            await expect(page.page.locator("#rt-breakout")).to_be_hidden()
            await expect(page.page.locator("#stage .remote-tile")).to_have_count(2)
        for page in pages:
            await wait_for_media_from(page, {i for n, i in ids.items() if n != page.name})
        await expect(host.page.locator("#rt-breakout-form")).to_be_visible()
        await pat.screenshot("breakout-back-in-roundtable")
