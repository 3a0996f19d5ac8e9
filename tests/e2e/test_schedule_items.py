"""The schedule page lists the person's open action items (those of their mentoring
pairs and roundtable series, from the sessions' notes); ticking one closes it in the
pair's or the series' list."""

from __future__ import annotations

from playwright.async_api import expect

from rooms.clock import ManualClock
from rooms.notes.model import ActionItem, SessionContext, pair_scope, series_scope
from tests.live_server import live_server

from .browser import chromium
from .test_schedule import T0, register, schedule_url, shot, wait_ready, zoned_page


async def test_open_items_listed_and_closed_from_the_schedule_page() -> None:
    async with live_server(clock=ManualClock(T0.timestamp())) as server, chromium() as browser:
        mentor = await register(server, "Ada Lovelace", "mentor", "UTC")
        mentee = await register(server, "Kenji Sato", "mentee", "UTC")
        other = await register(server, "Lin Wei", "mentee", "UTC")
        people = (mentor["identity"], mentee["identity"])
        notes = server.services.notes
        scope = pair_scope(*people)
        series = series_scope("design-circle")
        await notes.store.put_context(SessionContext(
            room_id="coffee-1", scope=scope, people=people, title="Virtual coffee"))
        await notes.store.put_context(SessionContext(
            room_id="round-1", scope=series, people=(*people, other["identity"]),
            title="Design circle"))
        await notes.store.upsert_items(scope, [
            ActionItem(id="draft", text="Draft the portfolio intro", owner=mentee["identity"],
                       due="2030-02-01", created_in="coffee-1"),
            ActionItem(id="done-already", text="Read the style guide", done=True,
                       created_in="coffee-1"),
        ])
        await notes.store.upsert_items(series, [
            ActionItem(id="sketch", text="Sketch three logo ideas", owner=mentee["identity"],
                       due="2030-01-15", created_in="round-1"),
            ActionItem(id="venue", text="Pick next month's reading", created_in="round-1"),
            ActionItem(id="lins", text="Lin's own homework", owner=other["identity"],
                       created_in="round-1"),
        ])
        page = await zoned_page(browser, schedule_url(server, mentee, mentor), "mentee", "UTC",
                                T0)
        await wait_ready(page)
        items = page.page.locator("#actions-list .action-item")
        await expect(items).to_have_count(3)  # due first; Lin's own item is Lin's to list
        await expect(items.nth(0)).to_contain_text("Sketch three logo ideas")
        await expect(items.nth(0)).to_contain_text(
            "in Design circle · owner: you · due 2030-01-15")
        await expect(items.nth(1)).to_contain_text("Draft the portfolio intro")
        await expect(items.nth(1)).to_contain_text(
            "with Ada Lovelace · owner: you · due 2030-02-01")
        await expect(items.nth(2)).to_contain_text("Pick next month's reading")
        await expect(items.nth(2)).to_contain_text("in Design circle")
        await shot(page, "schedule-open-items", "#actions")
        # the rows go once the server closed them
        await items.nth(0).get_by_role("checkbox").click()
        await expect(items).to_have_count(2)
        await items.nth(0).get_by_role("checkbox").click()
        await expect(items).to_have_count(1)
        await items.nth(0).get_by_role("checkbox").click()
        await expect(items).to_have_count(0)
        await expect(page.page.locator("#actions-empty")).to_be_visible()
        stored = {i.id: i.done for i in await notes.items(scope)}
        assert stored == {"draft": True, "done-already": True}
        stored = {i.id: i.done for i in await notes.items(series)}
        assert stored == {"sketch": True, "venue": True, "lins": False}
