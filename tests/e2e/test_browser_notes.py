"""Shared notes in headless Chromium: a roundtable's host and a participant type at the
same time, an action item made on one page shows on the others, and an observer who
joins later sees everything, read-only, and is told why. Then a coffee call: the two
people's notes and items, the panel's "Download notes (.md)", and the notes beside the
video at a laptop's and a phone's size.

Set MENTORCALL_SCREENSHOTS=/tmp/shots-notes to keep the pictures.
"""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import expect

from rooms.notes.model import ActionItem, SessionContext, pair_scope
from tests.live_server import live_server, token_of

from .browser import STEP_TIMEOUT_S, WEBSOCKET_SPY, BrowserPage, chromium, open_page
from .test_browser_roundtable import create_roundtable, join

TIMEOUT_MS = STEP_TIMEOUT_S * 1000
LAPTOP = (1280, 800)
PHONE = (390, 780)


async def notes(page: BrowserPage) -> dict[str, Any]:
    value: dict[str, Any] = await page.page.evaluate("() => window.mentorcall.notes")
    return value


async def wait_notes(page: BrowserPage, check: str) -> None:
    """Wait until ``check`` (JS, over ``n``: this page's notes) holds."""
    script = f"() => {{ const n = window.mentorcall.notes; return {check}; }}"
    await page.page.wait_for_function(script, timeout=TIMEOUT_MS)


async def type_into_notes(page: BrowserPage, where: str, text: str) -> None:
    editor = page.page.locator("[data-notes=shared-editor] .cm-content")
    await editor.click()
    await page.page.keyboard.press(where)
    await page.page.keyboard.type(text, delay=25)


async def assert_styled_under_csp(page: BrowserPage) -> None:
    """The page's CSP refused nothing (the call page allows no inline styles: the
    editor's <style> elements carry the page's nonce, remote cursors use no style
    attributes) and the editor has its styles (CodeMirror's base theme makes it a flex
    column; the page's own style sheet does not)."""
    assert await page.csp_violations() == [], page.log()
    styled = await page.page.evaluate("""() => {
        const editor = document.querySelector("[data-notes=shared-editor] .cm-editor");
        const tags = [...document.querySelectorAll("style")];
        return { display: getComputedStyle(editor).display, tags: tags.length,
                 nonced: tags.every((tag) => tag.nonce !== "") };
    }""")
    assert styled["display"] == "flex" and styled["tags"] >= 1 and styled["nonced"], styled


async def add_item(page: BrowserPage, text: str, owner: str, due: str) -> None:
    panel = page.page.locator("#notes-panel")
    await panel.get_by_label("New action item").fill(text)
    await panel.get_by_label("Owner of the new item").select_option(label=owner)
    await panel.get_by_label("Due date (optional)").fill(due)
    await panel.get_by_role("button", name="Add").click()


async def test_roundtable_notes_concurrent_typing_items_and_a_late_observer() -> None:
    async with live_server() as server, chromium() as browser:
        room = await create_roundtable(server, {
            "host_name": "Hana Host",
            "title": "Career roundtable",
            "participants": [{"name": "Pat Park"}, {"name": "Olu Observer", "role": "observer"}],
        })
        links = {p["name"]: p["link"] for p in room["links"]["participants"]}
        host = await open_page(browser, room["links"]["host"], "host", viewport=LAPTOP)
        await join(host)
        pat = await open_page(browser, links["Pat Park"], "pat", viewport=LAPTOP)
        await join(pat)
        await host.wait_for_state("in_call")
        await pat.wait_for_state("in_call")
        for page in (host, pat):  # a laptop-wide page opens the notes beside the call
            await expect(page.page.locator("#notes-panel")).to_be_visible()
            await wait_notes(page, "n.synced && n.writable")

        await type_into_notes(host, "Control+End", "Agenda\n")
        await wait_notes(pat, "n.editorText === 'Agenda\\n'")
        # both type at once: Hana at the top, Pat at the bottom
        await asyncio.gather(
            type_into_notes(host, "Control+Home", "Hana: portfolio review first. "),
            type_into_notes(pat, "Control+End", "Pat wants interview practice."),
        )
        both = ("n.editorText.includes('Hana: portfolio review first. ') && "
                "n.editorText.includes('Pat wants interview practice.') && "
                "n.editorText === n.shared")
        await wait_notes(host, both)
        await wait_notes(pat, both)
        host_text = (await notes(host))["editorText"]
        assert host_text == (await notes(pat))["editorText"], (host_text, await notes(pat))
        # each sees the other's cursor, in the other's colour, named
        for page, other in ((host, "Pat Park"), (pat, "Hana Host")):
            caret = page.page.locator("[data-notes=shared-editor] .cm-ySelectionCaret")
            await expect(caret).to_have_count(1)
            await expect(caret.locator(".cm-ySelectionInfo")).to_have_text(other)
            await expect(caret).to_have_css("position", "relative")  # the theme's
            await expect(caret).not_to_have_css("background-color", "rgba(0, 0, 0, 0)")
            await assert_styled_under_csp(page)
        # each sees the other's name by the notes
        await expect(host.page.locator("#notes-presence")).to_contain_text("Pat Park")
        await expect(pat.page.locator("#notes-presence")).to_contain_text("Hana Host")

        await add_item(host, "Send Pat two mock interview questions", "Pat Park", "2030-01-15")
        pat_item = pat.page.locator("#notes-panel .notes-item")
        await expect(pat_item).to_have_count(1)
        await expect(pat_item.locator(".notes-item-text")).to_have_value(
            "Send Pat two mock interview questions")
        await expect(pat_item.get_by_label("Owner")).to_have_value(
            (await notes(host))["items"][0]["owner"])
        await host.screenshot("roundtable-host-laptop")
        await pat.screenshot("roundtable-pat-laptop")

        olu = await open_page(browser, links["Olu Observer"], "olu", viewport=LAPTOP)
        await join(olu)
        await olu.wait_for_state("in_call", "waiting")
        await wait_notes(olu, f"n.synced && n.editorText === {host_text!r}")
        await expect(olu.page.locator("#notes-read-only")).to_contain_text(
            "you can read the notes but not change them")
        await expect(olu.page.locator("#notes-panel .notes-item")).to_have_count(1)
        await expect(olu.page.locator("#notes-panel .notes-add")).to_be_hidden()
        # the others answer a newcomer's presence with theirs (the server keeps none)
        await expect(olu.page.locator("#notes-presence")).to_contain_text("Hana Host")
        await expect(olu.page.locator("#notes-presence")).to_contain_text("Pat Park")
        await expect(olu.page.locator("[data-notes=shared-editor] .cm-content")).to_have_attribute(
            "contenteditable", "false")
        await olu.screenshot("roundtable-observer-laptop")
        await assert_styled_under_csp(olu)

        # Pat closes the item: the host sees it done
        await pat_item.get_by_role("checkbox").check()
        host_item = host.page.locator("#notes-panel .notes-item")
        await expect(host_item.get_by_role("checkbox")).to_be_checked()
        assert host_text in await server.services.notes.text(_shared(room["room_id"]))


def _shared(room_id: str) -> Any:
    from rooms.notes.model import DocKey

    return DocKey(room_id)


async def test_coffee_call_notes_beside_the_video() -> None:
    async with live_server() as server, chromium() as browser:
        room = await server.create_room(mentor_name="Ada Lovelace", mentee_name="Grace Hopper")
        # the room is the pair's second session: an item of the first is still open
        ada, grace = (server.services.service.verify(token_of(room["links"][role])).identity
                      for role in ("mentor", "mentee"))
        store = server.services.notes.store
        await store.put_context(SessionContext(room_id=room["room_id"],
                                               scope=pair_scope(ada, grace), people=(ada, grace)))
        await store.upsert_items(pair_scope(ada, grace), [ActionItem(
            id="from-last-time", text="Update the CV", owner=grace, created_in="coffee-old-0")])
        mentor = await open_page(browser, room["links"]["mentor"], "mentor", viewport=LAPTOP)
        await join(mentor)
        mentee = await open_page(browser, room["links"]["mentee"], "mentee", viewport=PHONE,
                                 init_script=WEBSOCKET_SPY)
        await join(mentee)
        await mentor.wait_for_state("in_call")
        await mentee.wait_for_state("in_call")
        await wait_notes(mentor, "n.synced")
        carried = mentor.page.locator("#notes-panel .notes-carried")
        await expect(carried).to_be_visible()
        await expect(carried.locator(".notes-item-text")).to_have_value("Update the CV")
        await expect(carried.get_by_label("Owner")).to_have_value(grace)
        # on a phone the notes start closed, behind a button
        await expect(mentee.page.locator("#notes-panel")).to_be_hidden()
        await mentee.screenshot("coffee-mentee-phone-closed")
        await type_into_notes(mentor, "Control+End",
                              "Goals for this month:\n- ship the portfolio\n")
        await add_item(mentor, "Draft the portfolio intro", "Grace Hopper", "2030-02-01")
        toggle = mentee.page.locator("#notes-toggle")
        await expect(toggle).to_contain_text("2 open")
        await toggle.click()
        await expect(mentee.page.locator("#notes-panel")).to_be_visible()
        await wait_notes(mentee, "n.editorText.includes('ship the portfolio')")
        await expect(mentee.page.locator("#notes-panel .notes-item")).to_have_count(2)
        await mentee.screenshot("coffee-mentee-phone-open")
        # private notes: only the writer has them
        await mentor.page.locator("#notes-panel").get_by_role("tab", name="Private").click()
        await mentor.page.locator("[data-notes=private-editor] .cm-content").click()
        await mentor.page.keyboard.type("Ask about her confidence.", delay=10)
        await wait_notes(mentor, "n.private === 'Ask about her confidence.'")
        await mentor.screenshot("coffee-mentor-laptop-private")
        await mentor.page.locator("#notes-panel").get_by_role("tab", name="Shared").click()
        await mentor.screenshot("coffee-mentor-laptop")
        assert (await notes(mentee))["private"] == ""
        # the panel saves the session's notes as Markdown, read with the page's call link
        async with mentor.page.expect_download() as download_info:
            await mentor.page.locator("#notes-panel").get_by_role(
                "button", name="Download notes (.md)").click()
        download = await download_info.value
        assert download.suggested_filename == f"notes-{room['room_id']}.md"
        saved = await download.path()
        exported = saved.read_text(encoding="utf-8")
        assert "ship the portfolio" in exported and "Ask about her confidence." in exported
        assert "- [ ] Draft the portfolio intro (@Grace Hopper, due 2030-02-01)" in exported
        # the mentee's connection drops and stays down while both go on writing: once
        # back, the notes hold both people's words
        await mentee.page.locator("#notes-panel").get_by_role("button", name="Close").click()
        await mentee.context.set_offline(True)
        await mentee.drop_connection()
        await mentee.wait_for_state("reconnecting")
        await mentee.page.locator("#notes-toggle").click()
        await type_into_notes(mentee, "Control+End", "Grace, offline: CV by Friday.")
        await type_into_notes(mentor, "Control+Home", "Ada meanwhile. ")
        assert "offline" not in (await notes(mentor))["shared"]
        await mentee.context.set_offline(False)
        await mentee.wait_for_state("in_call")
        merged = ("n.shared.includes('Grace, offline: CV by Friday.') && "
                  "n.shared.startsWith('Ada meanwhile. ') && n.editorText === n.shared")
        await wait_notes(mentor, merged)
        await wait_notes(mentee, merged)
        assert (await notes(mentor))["shared"] == (await notes(mentee))["shared"]
        # the video stage keeps a usable size beside the notes
        stage = await mentor.page.locator("#stage").bounding_box()
        assert stage is not None and stage["width"] >= 600, stage
        for page in (mentor, mentee):
            await assert_styled_under_csp(page)
