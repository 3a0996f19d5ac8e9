"""The recordings admin page in Chromium: sign in (a wrong key first), the empty state, a
recording made through RecordingService with a real WebM file in storage, its composition
progress, the consent log, the <video> playing it, the audit log, and deleting it."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import expect

from rooms.models import Role, TrackKind
from rooms.recordings.model import (
    CompositionState,
    FileKind,
    RecordingFile,
    RecordingState,
)
from tests.live_server import LiveServer, live_server
from web.recordings.setup import RECORDINGS

from .browser import BrowserPage, chromium, open_page
from .webm import small_webm

MENTOR, MENTEE, WATCHER = "mentor_ada", "mentee_kenji", "observer_olu"


async def start_recording(server: LiveServer) -> str:
    """A recording of a new room: the mentor accepted, the mentee declined, a third
    person accepted (and will have no file)."""
    room_id = (await server.create_room("Ada", "Kenji"))["room_id"]
    room = await server.services.store.get_room(room_id)
    assert room is not None
    room = room.model_copy(update={"title": "Career chat"})
    service = server.app[RECORDINGS].service
    made = await service.start(room, MENTOR, Role.MENTOR, record_grant=True,
                               booking_id="bk_42", name="Ada Lovelace")
    await service.answer_consent(made.recording_id, MENTOR, True, "sid-mentor", "Ada Lovelace")
    await service.answer_consent(made.recording_id, MENTEE, False, "sid-mentee", "Kenji Sato")
    # someone who said yes but published nothing (no track file of theirs): not "recorded"
    await service.answer_consent(made.recording_id, WATCHER, True, "sid-watcher", "Olu Ade")
    return made.recording_id


async def store_files(server: LiveServer, recording_id: str) -> int:
    """The mentor's video track and the composed file: the same real WebM."""
    recordings = server.app[RECORDINGS]
    data = small_webm()
    for name, kind in ((f"{MENTOR}.video.webm", FileKind.TRACK),
                       ("session.webm", FileKind.COMPOSED)):
        size = await recordings.storage.put_bytes(recording_id, name, data)
        await recordings.service.put_file(recording_id, RecordingFile(
            name=name, kind=kind, size=size, peer=MENTOR if kind is FileKind.TRACK else None,
            track_kind=TrackKind.VIDEO if kind is FileKind.TRACK else None))
    return len(data)


async def full_page(page: BrowserPage, name: str) -> None:
    """A whole-page screenshot when MENTORCALL_SCREENSHOTS names a directory."""
    folder = os.environ.get("MENTORCALL_SCREENSHOTS")
    if folder:
        await page.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


async def sign_in(page: BrowserPage, credential: str) -> None:
    await page.page.locator("#credential").fill(credential)
    await page.page.locator("#signin-button").click()


async def test_admin_signs_in_plays_and_deletes_a_recording() -> None:
    async with live_server() as server, chromium() as browser:
        page = await open_page(browser, server.base_url + "/admin/recordings", "admin",
                               viewport=(1100, 900))
        p = page.page
        await expect(p.locator("#signin")).to_be_visible()
        await page.screenshot("recadmin-1-signin")
        await sign_in(page, "not-the-key")
        await expect(p.locator("#signin-error")).to_contain_text(
            "isn't the admin key or a valid admin token")
        await page.screenshot("recadmin-2-wrong-key")

        await sign_in(page, server.admin_key)
        await expect(p.locator("#empty")).to_contain_text(
            "No recordings yet: recordings appear here when a host or mentor records a session")
        await expect(p.locator("#retention")).to_contain_text("90 days")
        await expect(p.locator("#who")).to_contain_text("Signed in with the admin key")
        await page.screenshot("recadmin-3-empty")

        recording_id = await start_recording(server)
        await p.reload()  # the session cookie keeps the page signed in
        card = p.locator(f'.recording[data-id="{recording_id}"]')
        await expect(card).to_contain_text("Recording now")
        # while it runs the files are unknown: a yes is "accepted", not "recorded"
        await expect(card).to_contain_text("Participants: Ada Lovelace (accepted), Kenji Sato "
                                           "(declined, not recorded), Olu Ade (accepted)")
        service = server.app[RECORDINGS].service
        size = await store_files(server, recording_id)
        await service.finish(recording_id, RecordingState.STOPPED)
        await expect(card).to_contain_text("Finished")
        await expect(card).to_contain_text("One file for the session: waiting")
        # the page keeps asking while the composition waits
        await service.set_composition(recording_id, CompositionState.RUNNING, 40.0)
        await expect(card).to_contain_text("being made · 40 %")  # the page polls
        await expect(card.locator("progress")).to_have_attribute("value", "40")
        await page.screenshot("recadmin-4-composing")
        await service.set_composition(recording_id, CompositionState.DONE, 100.0)
        await expect(card).to_contain_text("ready · 100 %")
        # people by the names their links gave, the room by its title; ids at hand
        await expect(card).to_contain_text(
            "Participants: Ada Lovelace (recorded), Kenji Sato (declined, not recorded), "
            "Olu Ade (accepted, nothing recorded)")
        await expect(card).to_contain_text("Career chat (room ")
        await expect(card.locator(".person").nth(1)).to_have_attribute(
            "title", f"identity {MENTEE}")

        await card.locator("button.open").click()
        detail = p.locator("#detail")
        await expect(detail).to_be_visible()
        await expect(p.locator("#player-label")).to_contain_text("whole session")
        notes = p.locator("#detail-notes")
        await expect(notes).to_have_text("Session notes")
        href = await notes.get_attribute("href")
        assert href is not None and href.startswith("/api/notes/sessions/")
        # the link opens with the page's session (the admin key's): the notes link back
        status, text = await p.evaluate(
            "async (url) => { const r = await fetch(url); return [r.status, await r.text()]; }",
            href)
        assert status == 200 and f"`{recording_id}`" in text, (status, text)
        consent = p.locator("#consent tr")
        await expect(consent).to_have_count(3)
        await expect(consent.nth(0)).to_contain_text("Accepted")
        await expect(consent.nth(1)).to_contain_text("Kenji Sato")
        await expect(consent.nth(1)).to_contain_text(MENTEE)
        await expect(consent.nth(1)).to_contain_text("Declined")
        await expect(p.locator("#detail-meta")).to_contain_text("started by Ada Lovelace")
        await expect(p.locator("#files tr")).to_have_count(2)
        await expect(p.locator("#files")).to_contain_text("session.webm")
        await p.locator("#player").evaluate("v => { v.muted = true; return v.play(); }")
        await p.wait_for_function(
            "() => document.getElementById('player').currentTime > 1.0", timeout=15_000)
        await full_page(page, "recadmin-5-playing")
        await p.get_by_role("button", name=f"Play {MENTOR}.video.webm").click()
        await expect(p.locator("#player-label")).to_contain_text(
            "Playing one track (Ada Lovelace · video).")
        await p.wait_for_function(
            """() => { const v = document.getElementById('player');
                       return v.src.includes('/files/mentor_ada.video.webm?')
                         && v.currentTime > 1.0; }""", timeout=15_000)

        await p.locator("#tab-audit").click()
        audit = p.locator("#audit")
        await expect(audit).to_contain_text("downloaded")
        await expect(audit).to_contain_text("refused: unauthorized")  # the wrong key
        await expect(audit).to_contain_text("signed in")
        await full_page(page, "recadmin-6-audit")

        await p.locator("#tab-recordings").click()
        await p.locator("#delete").click()
        await expect(p.locator("#confirm")).to_contain_text("can't be undone")
        await page.screenshot("recadmin-7-confirm")
        await p.locator("#confirm-delete").click()
        await expect(p.locator("#empty")).to_be_visible()
        await expect(p.locator("#list-notice")).to_contain_text("Deleted the recording")
        await page.screenshot("recadmin-8-deleted")
        recordings = server.app[RECORDINGS]
        assert await recordings.store.get(recording_id) is None
        assert await recordings.storage.files(recording_id) == []
        assert size > 10_000, page.log()

        await p.locator("#sign-out").click()
        await expect(p.locator("#signin-notice")).to_contain_text("You signed out")
        await p.reload()
        await expect(p.locator("#signin")).to_be_visible()  # the cookie is gone
        assert not [line for line in page.console if line.startswith("pageerror")], page.log()
