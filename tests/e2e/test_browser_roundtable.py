"""A roundtable in headless Chromium: three pages, the lobby, a hard mute, hands, the timer.

One test with three pages (each ~400 MB): the host turns the lobby on, admits the third
person from the lobby screen and hard-mutes the second, whose audio then stops reaching
the others (its audio energy and packets stop growing there) while the rest flows. Set
MENTORCALL_SCREENSHOTS=docs/screenshots to keep the pictures.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest
from playwright.async_api import expect

from tests.live_server import LiveServer, live_server, token_of
from tests.media.peers import MovingVideoTrack, ToneAudioTrack
from tests.signaling.client import SignalClient
from tests.signaling.participant import Participant

from .browser import STEP_TIMEOUT_S, BrowserPage, chromium, open_page

TIMEOUT_MS = STEP_TIMEOUT_S * 1000
expect.set_options(timeout=TIMEOUT_MS)  # every step's timeout (global to Playwright's expect)
WIDE = (1360, 860)
SAMPLE_S = 2.0
NAMES = ["Ben Cole", "Chen Wu", "Dev Rao", "Eve Moss", "Fay Li", "Gus Hart", "Ida Berg",
         "Jon Park", "Kim Sato"]


async def create_roundtable(server: LiveServer, body: dict[str, Any]) -> dict[str, Any]:
    """POST /api/rooms with kind roundtable as an admin; returns the JSON body."""
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{server.base_url}/api/rooms",
            json={"kind": "roundtable", **body},
            headers={"Authorization": f"Bearer {server.admin_key}"},
        )
        answer: dict[str, Any] = await response.json()
        assert response.status == 201, answer
        return answer


# what the page says before joining: devices ready, or (an observer, who may not
# publish) that they stay off
READY = re.compile(r"Your camera and microphone are ready\.|"
                   r"You join to watch and listen: your camera and microphone stay off\.")


async def join(page: BrowserPage) -> None:
    await page.wait_for_state("prejoin")
    await expect(page.page.locator("#status")).to_have_text(READY, timeout=TIMEOUT_MS)
    await page.page.get_by_role("button", name="Join call").click()


async def by_publisher(page: BrowserPage) -> dict[str, dict[str, Any]]:
    stats: dict[str, dict[str, Any]] = await page.page.evaluate(
        "() => window.mentorcall.remoteStatsByPublisher()"
    )
    return stats


async def wait_for_media_from(page: BrowserPage, identities: set[str]) -> None:
    """Video decodes and audio has energy from each of ``identities`` (several connections
    come up at once on 2 busy cores: twice the step time)."""
    deadline = asyncio.get_running_loop().time() + 2 * STEP_TIMEOUT_S
    while True:
        stats = await by_publisher(page)
        if all(
            i in stats and stats[i]["framesDecoded"] > 0 and stats[i]["totalAudioEnergy"] > 0
            for i in identities
        ):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{page.name}: no media from {identities}: {stats}\n{page.log()}")
        await asyncio.sleep(0.25)


async def wait_for_last_n(page: BrowserPage, identities: set[str], videos: int) -> set[str]:
    """Audio with energy from each of ``identities`` and video decoding from ``videos``
    of them (last-N: the others have no video slot); returns those with video."""
    deadline = asyncio.get_running_loop().time() + 2 * STEP_TIMEOUT_S
    while True:
        stats = await by_publisher(page)
        heard = {i for i in identities if i in stats and stats[i]["totalAudioEnergy"] > 0}
        seen = {i for i in identities if i in stats and stats[i]["framesDecoded"] > 0}
        if heard == identities and len(seen) == videos:
            return seen
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{page.name}: not {videos} videos and all audio: {stats}")
        await asyncio.sleep(0.25)


async def wait_until_audio_stops(page: BrowserPage, identity: str) -> dict[str, Any]:
    """Poll until ``identity``'s audio packets stay the same over a sample; return it."""
    deadline = asyncio.get_running_loop().time() + STEP_TIMEOUT_S
    last = (await by_publisher(page))[identity]
    while True:
        await asyncio.sleep(1.0)
        now = (await by_publisher(page))[identity]
        if now["audioPacketsReceived"] == last["audioPacketsReceived"]:
            return now
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{page.name}: audio of {identity} still flows: {now}")
        last = now


def person(page: BrowserPage, list_id: str, identity: str) -> Any:
    return page.page.locator(f'#{list_id} li[data-identity="{identity}"]')


async def test_host_admits_from_lobby_hard_mutes_and_runs_the_floor() -> None:
    async with live_server() as server, chromium() as browser:
        room = await create_roundtable(server, {
            "host_name": "Hana Host",
            "title": "Career roundtable",
            "participants": [{"name": "Pat Park"}],
            "shareable": True,
        })
        links = {p["name"]: p["link"] for p in room["links"]["participants"]}

        host = await open_page(browser, room["links"]["host"], "host", viewport=WIDE)
        await join(host)
        await host.wait_for_state("waiting")
        await expect(host.page.locator("#rt-host")).to_be_visible()
        pat = await open_page(browser, links["Pat Park"], "pat", viewport=WIDE)
        await join(pat)
        await pat.wait_for_state("in_call")
        # Participants see no host panel; the host turns the lobby on.
        await expect(pat.page.locator("#rt-host")).to_be_hidden()
        await host.page.get_by_role("button", name="Turn lobby on").click()
        await expect(host.page.locator("#rt-lobby")).to_have_attribute("aria-pressed", "true")

        # Lou opens the shareable link, is asked for a name, and knocks: a clear waiting
        # screen, no media connection at all.
        lou = await open_page(browser, room["links"]["shareable"], "lou", viewport=WIDE)
        await lou.wait_for_state("prejoin")
        await expect(lou.page.locator("#prejoin-who")).to_contain_text("Type your name")
        await lou.page.get_by_label("Your name").fill("Lou Lim")
        await join(lou)
        await lou.wait_for_state("lobby")
        await expect(lou.page.locator("#lobby")).to_contain_text("Waiting to be admitted")
        await expect(lou.page.locator("video:visible")).to_have_count(0)
        assert (await lou.remote_stats())["subscriptions"] == 0
        local = await lou.page.evaluate("() => window.mentorcall.localStats()")
        assert local["connectionState"] == "none", local
        knock = host.page.locator("#rt-knocking li", has_text="Lou Lim")
        await expect(knock).to_be_visible()
        await lou.screenshot("roundtable-lobby-waiting")
        await host.screenshot("roundtable-host-sees-knock")

        # Someone else knocks on the same link (an aiortc client): the host denies them.
        stranger = await SignalClient().connect(server.base_url)
        try:
            ack = await stranger.call("join", {"token": token_of(room["links"]["shareable"]),
                                               "display_name": "Sam Stranger"})
            assert ack.get("waiting") is True, ack
            sam = host.page.locator("#rt-knocking li", has_text="Sam Stranger")
            await sam.get_by_role("button", name="Deny").click()
            assert "message" in await stranger.next_event("denied")
            await expect(sam).to_have_count(0)
        finally:
            await stranger.close()

        await knock.get_by_role("button", name="Admit").click()
        await lou.wait_for_state("in_call")
        ids = {p.name: str(await p.page.evaluate("() => window.mentorcall.identity"))
               for p in (host, pat, lou)}
        for page in (host, pat, lou):
            await wait_for_media_from(page, {i for n, i in ids.items() if n != page.name})
        await expect(host.page.locator("#rt-knocking li")).to_have_count(0)
        await expect(host.page.locator("#stage .remote-tile, #stage .self-tile")).to_have_count(3)

        # The host hard-mutes Pat's microphone: Pat is told and cannot lift it...
        await person(host, "rt-people", ids["pat"]).get_by_role("button", name="Mute mic").click()
        await expect(pat.page.locator("#rt-own-mute")).to_contain_text(
            "A host turned off your microphone"
        )
        mic = pat.page.locator(".controls [data-action='toggle-mic']")
        await expect(mic).to_be_disabled()
        await expect(mic).to_have_text("Muted by host")
        for page in (host, lou):
            tile = page.page.locator(f'#stage [data-identity="{ids["pat"]}"]')
            await expect(tile.locator(".rt-badge-hardmute")).to_have_text("Mic muted by host")
        # ... and the server stops forwarding it: at the others Pat's audio energy and
        # packets stop growing while the third person's keep growing.
        for page, other in ((host, "lou"), (lou, "host")):
            before = await wait_until_audio_stops(page, ids["pat"])
            flowing = (await by_publisher(page))[ids[other]]
            await asyncio.sleep(SAMPLE_S)
            after = await by_publisher(page)
            assert after[ids["pat"]]["audioPacketsReceived"] == before["audioPacketsReceived"]
            # No packet arrives; the jitter buffer's concealment after the last one may still
            # add an inaudible trace of energy (seen: 1e-9), against ~0.1 a second of speech.
            silent_gain = after[ids["pat"]]["totalAudioEnergy"] - before["totalAudioEnergy"]
            assert 0 <= silent_gain < 1e-6, (page.name, silent_gain)
            assert after[ids[other]]["totalAudioEnergy"] > flowing["totalAudioEnergy"], page.name
            assert after[ids["pat"]]["framesDecoded"] > before["framesDecoded"], "video goes on"

        # Hands: Lou raises, everyone sees the queue; the host starts Lou's timer.
        await lou.page.get_by_role("button", name="Raise hand").click()
        for page in (host, pat, lou):
            await expect(page.page.locator("#rt-hands li")).to_contain_text(["Lou Lim"])
        await expect(lou.page.locator("#rt-hand-button")).to_have_text("Lower hand (1 in queue)")
        await host.page.locator("#rt-timer-who").select_option(ids["lou"])
        await host.page.locator("#rt-timer-min").fill("1")
        await host.page.locator("#rt-timer-sec").fill("30")
        await host.page.get_by_role("button", name="Start", exact=True).click()
        await expect(pat.page.locator("#rt-timer")).to_contain_text("Lou Lim has the floor: 1:")
        await expect(lou.page.locator("#rt-timer")).to_contain_text("You have the floor: 1:")
        await expect(host.page.locator("#rt-timer")).to_contain_text("left")

        await host.screenshot("roundtable-3-host")
        await pat.screenshot("roundtable-3-participant-hard-muted")
        await lou.screenshot("roundtable-3-admitted-hand-raised")

        # The host calls on Lou (the hand goes down) and stops the timer.
        await host.page.locator("#rt-hands li", has_text="Lou Lim").get_by_role(
            "button", name="Call on"
        ).click()
        await expect(pat.page.locator("#rt-called-on")).to_have_text("Lou Lim has the floor.")
        await expect(lou.page.locator("#rt-hands li")).to_have_count(0)
        await host.page.get_by_role("button", name="Stop timer").click()
        await expect(lou.page.locator("#rt-timer")).to_be_hidden()
        # Mute everyone reaches Lou too; the host lets Lou's microphone back on.
        await host.page.get_by_role("button", name="Mute everyone").click()
        await expect(lou.page.locator("#rt-own-mute")).to_be_visible()
        await person(host, "rt-people", ids["lou"]).get_by_role("button", name="Allow mic").click()
        await expect(lou.page.locator("#rt-own-mute")).to_be_hidden()
        await expect(lou.page.locator(".controls [data-action='toggle-mic']")).to_be_enabled()

        # Removing asks first; the removed person gets a page that says so.
        row = person(host, "rt-people", ids["pat"])
        await row.get_by_role("button", name="Remove").click()
        await expect(row).to_contain_text("They can't come back")
        await host.screenshot("roundtable-host-confirm-remove")
        await row.get_by_role("button", name="Remove").click()
        await pat.wait_for_state("removed")
        await expect(pat.page.locator("#notice")).to_contain_text("removed you")
        await expect(host.page.locator("#stage .remote-tile")).to_have_count(1)
        await pat.screenshot("roundtable-removed")

        # Promote Lou: the host panel appears on Lou's page. Lock; then end for everyone.
        lou_row = person(host, "rt-people", ids["lou"])
        await lou_row.get_by_role("button", name="Make co-host").click()
        await expect(lou.page.locator("#rt-host")).to_be_visible()
        await expect(lou.page.locator("#room-title")).to_contain_text("(co-host)")
        await host.page.get_by_role("button", name="Lock room").click()
        await expect(lou.page.locator("#rt-lock")).to_have_text("Unlock room")
        await host.page.get_by_role("button", name="End for everyone").click()
        await host.page.get_by_role("button", name="End for everyone").click()  # the confirm
        await lou.wait_for_state("ended")
        await expect(lou.page.locator("#notice")).to_contain_text("The roundtable is over")
        await host.wait_for_state("ended")
        await expect(host.page.locator("#notice")).to_contain_text("You ended the roundtable")


async def aiortc_publisher(server: LiveServer, link: str, name: str) -> Participant:
    """A cheap extra participant: joins and publishes small video and a tone, subscribes
    to nobody."""
    signal = await SignalClient().connect(server.base_url)
    participant = Participant(name, signal)
    await participant.join(token_of(link))
    offer = await participant.publisher.offer_to_publish(
        MovingVideoTrack(width=320, height=180), ToneAudioTrack()
    )
    ack = await signal.call("publish", {"sdp": offer})
    assert ack["ok"], ack
    await participant.publisher.accept_answer(ack["sdp"])
    return participant


@pytest.mark.parametrize(("people", "columns"), [(6, 3), (12, 4)])
async def test_a_grid_with_roles_marks_and_the_speaker(people: int, columns: int) -> None:
    """One Chromium page (a co-host), aiortc publishers and an observer: six tiles in a
    3x2 grid (twelve in 4x3), the host's and the observer's badges, a microphone-off mark,
    the active speaker highlighted, everyone's audio. Last-N (N = 6): with 4 video
    publishers every video decodes; with 10, six do and the other four tiles show the
    person's name (no frozen frame) until one is pinned, which gives it a slot."""
    names = NAMES[: people - 3]
    async with live_server() as server, chromium() as browser:
        room = await create_roundtable(server, {
            "host_name": "Hana Host",
            "title": "Speed mentoring",
            "participants": [{"name": "Cora Cohost", "role": "co-host"},
                             *({"name": n} for n in names),
                             {"name": "Olu Observer", "role": "observer"}],
        })
        links = {p["name"]: p["link"] for p in room["links"]["participants"]}
        # The page joins first: `active_speaker` is sent when the speaker changes.
        cohost = await open_page(browser, links["Cora Cohost"], "cohost", viewport=WIDE)
        await join(cohost)
        await cohost.wait_for_state("waiting")
        extras: list[Participant] = []
        try:
            extras.append(await aiortc_publisher(server, room["links"]["host"], "host"))
            for name in names:
                extras.append(await aiortc_publisher(server, links[name], name))
            muted = await extras[-1].signal.call("mute", {"kind": "audio", "muted": True})
            assert muted["ok"], muted
            observer = Participant("observer", await SignalClient().connect(server.base_url))
            await observer.join(token_of(links["Olu Observer"]))
            extras.append(observer)
            await cohost.wait_for_state("in_call")
            tiles = cohost.page.locator("#stage .remote-tile, #stage .self-tile")
            await expect(tiles).to_have_count(people)
            await expect(cohost.page.locator("#stage")).to_have_attribute("data-tiles", str(people))
            cols = await cohost.page.evaluate(
                "() => getComputedStyle(document.getElementById('stage'))"
                ".gridTemplateColumns.split(' ').length"
            )
            assert cols == columns
            publishers = {p.identity for p in extras[:-1]}
            shown = await wait_for_last_n(cohost, publishers, min(len(publishers), 6))

            def tile(p: Participant) -> Any:
                return cohost.page.locator(f'#stage [data-identity="{p.identity}"]')

            await expect(tile(extras[0]).locator(".rt-badge-host")).to_have_text("Host")
            await expect(tile(observer).locator(".rt-badge-observer")).to_have_text("Observer")
            await expect(tile(observer).locator(".remote-off")).to_contain_text("Watching only")
            await expect(tile(extras[-2]).locator(".mic-off")).to_be_visible()
            # The aiortc tones carry RFC 6464 levels: one of them is the active speaker.
            await expect(cohost.page.locator("#stage .is-speaking")).to_have_count(1)
            speaker = await cohost.page.evaluate("() => window.mentorcall.roundtable.speaker")
            assert speaker in {p.identity for p in extras[:-1]}, speaker
            await expect(cohost.page.locator("#rt-host")).to_be_visible()
            await expect(cohost.page.locator("#rt-people li")).to_have_count(people)
            await cohost.screenshot(f"roundtable-{people}-grid-cohost")
            unslotted = cohost.page.locator("#stage .remote-tile.no-video-slot")
            await expect(unslotted).to_have_count(len(publishers - shown))
            if people == 12:
                await expect(unslotted.first.locator(".remote-off")).to_be_visible()
                await expect(unslotted.first.locator(".off-text")).to_contain_text(
                    "Not a recent speaker")
                pinned = await unslotted.first.get_attribute("data-identity")
                assert pinned in publishers - shown
                await unslotted.first.locator(".rt-pin").click()
                await expect(cohost.page.locator(
                    f'#stage [data-identity="{pinned}"] .rt-pin')).to_have_attribute(
                    "aria-pressed", "true")
                await wait_for_last_n(cohost, publishers, 7)
                await expect(unslotted).to_have_count(len(publishers) - 7)
                slots = await cohost.page.evaluate("() => window.mentorcall.videoSlots")
                assert len(slots["slots"]) == 7 and pinned in slots["withVideo"], slots
                await expect(cohost.page.locator(
                    f'#stage [data-identity="{pinned}"] .remote-off')).to_be_hidden()
                await cohost.screenshot("roundtable-12-grid-cohost-pinned")
            if people == 6:
                # On a phone the panels go under the grid, which keeps its 3 columns.
                await cohost.page.set_viewport_size({"width": 390, "height": 844})
                await expect(cohost.page.locator("#rt-side")).to_be_visible()
                await cohost.screenshot("roundtable-6-grid-cohost-phone")
        finally:
            for extra in extras:
                await extra.close()
