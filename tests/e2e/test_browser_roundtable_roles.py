"""A roundtable's roles and floor in headless Chromium, and a refused subscribe restart.

One test, two pages (each ~400 MB), to keep the run short: the host demotes the co-host
(whose host panel goes), stops and allows that person's camera (their button and the
host's video follow), lowers their raised hand, and hands hosting over (the panels swap).
Then the new host's subscribe connection fails where only the browser sees it, and its
`subscriber_restart` is refused once with `rate_limited`: the page asks again when
`retry_after_s` says, exactly once (and its answer to the fresh offer, refused too as
the budget is spent again, likewise), and the media comes back. Screenshots go to
MENTORCALL_SCREENSHOTS (e.g. /tmp/shots-crossproc).
"""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import expect

from signaling.errors import SignalingError
from signaling.namespace import CallNamespace
from signaling.session import peer_id_for
from tests.live_server import live_server

from .browser import STEP_TIMEOUT_S, BrowserPage, chromium, open_page
from .test_browser_roundtable import (
    WIDE,
    by_publisher,
    create_roundtable,
    join,
    person,
    wait_for_media_from,
)


async def identity_of(page: BrowserPage) -> str:
    return str(await page.page.evaluate("() => window.mentorcall.identity"))


async def frames_from(page: BrowserPage, identity: str) -> int:
    return int((await by_publisher(page)).get(identity, {}).get("framesDecoded", 0))


async def video_stops(page: BrowserPage, identity: str) -> None:
    """Until ``identity``'s decoded frames stay the same over a second."""
    deadline = asyncio.get_running_loop().time() + STEP_TIMEOUT_S
    last = await frames_from(page, identity)
    while True:
        await asyncio.sleep(1.0)
        now = await frames_from(page, identity)
        if now == last:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{page.name}: video of {identity} still decodes ({now})")
        last = now


async def video_grows(page: BrowserPage, identity: str) -> None:
    """Until ``identity``'s decoded frames grow by a few."""
    deadline = asyncio.get_running_loop().time() + STEP_TIMEOUT_S
    start = await frames_from(page, identity)
    while await frames_from(page, identity) < start + 5:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{page.name}: no new video from {identity}")
        await asyncio.sleep(0.25)


def refuse_one_restart(namespace: CallNamespace, sid: str) -> list[str]:
    """Make the connection's next `subscriber_restart` find its media budget empty (the
    real limiter then refuses it with `rate_limited` and its `retry_after_s`); returns
    the outcome of every `subscriber_restart` admitted or refused from then on."""
    limits = namespace._open[sid].limits
    admit = limits.admit
    outcomes: list[str] = []

    def admit_once_empty(event: str, rate_class: str = "") -> None:
        if event == "subscriber_restart":
            if not outcomes:  # spend the media budget: the real limiter refuses
                while limits._media.take(limits._clock.now()):
                    pass
            try:
                admit(event, rate_class)
            except SignalingError as refused:
                outcomes.append(refused.code)
                raise
            outcomes.append("ok")
            return
        admit(event, rate_class)

    limits.admit = admit_once_empty  # type: ignore[method-assign]
    return outcomes


async def test_roles_camera_hands_and_a_rate_limited_subscriber_restart() -> None:
    async with live_server() as server, chromium() as browser:
        room = await create_roundtable(server, {
            "host_name": "Hana Host",
            "title": "Roles roundtable",
            "participants": [{"name": "Cora Cohost", "role": "co-host"}],
        })
        links = {p["name"]: p["link"] for p in room["links"]["participants"]}
        host = await open_page(browser, room["links"]["host"], "host", viewport=WIDE)
        cora = await open_page(browser, links["Cora Cohost"], "cora", viewport=WIDE)
        await join(host)
        await join(cora)
        await host.wait_for_state("in_call")
        await cora.wait_for_state("in_call")
        ids = {p.name: await identity_of(p) for p in (host, cora)}
        await wait_for_media_from(host, {ids["cora"]})
        await wait_for_media_from(cora, {ids["host"]})
        await expect(cora.page.locator("#rt-host")).to_be_visible()
        await expect(cora.page.locator("#room-title")).to_contain_text("(co-host)")

        # The host makes the co-host a participant: their host panel goes.
        row = person(host, "rt-people", ids["cora"])
        await row.get_by_role("button", name="Make participant").click()
        await expect(cora.page.locator("#rt-host")).to_be_hidden()
        await expect(cora.page.locator("#room-title")).not_to_contain_text("co-host")
        await expect(cora.page.locator("#status")).to_contain_text("made you a participant")
        await expect(row.get_by_role("button", name="Make co-host")).to_be_visible()

        # The host stops Cora's camera: Cora is told and cannot turn it back on, and her
        # video stops reaching the host; allowing it brings both back.
        await row.get_by_role("button", name="Stop camera").click()
        camera = cora.page.locator(".controls [data-action='toggle-camera']")
        await expect(camera).to_be_disabled()
        await expect(camera).to_have_text("Camera stopped by host")
        note = cora.page.locator("#rt-own-mute")
        await expect(note).to_have_text("A host turned off your camera. Only a host can turn "
                                        "it back on.")
        await expect(row).to_contain_text("camera stopped by host")
        await video_stops(host, ids["cora"])
        await cora.screenshot("roles-1-participant-camera-stopped")
        await host.screenshot("roles-1-host-stopped-camera")
        await row.get_by_role("button", name="Allow camera").click()
        await expect(camera).to_be_enabled()
        await expect(cora.page.locator("#rt-own-mute")).to_be_hidden()
        await video_grows(host, ids["cora"])

        # Cora raises her hand; the host lowers it.
        await cora.page.get_by_role("button", name="Raise hand").click()
        hand = host.page.locator("#rt-hands li", has_text="Cora Cohost")
        await expect(hand).to_be_visible()
        await host.screenshot("roles-2-host-sees-hand")
        await hand.get_by_role("button", name="Lower").click()
        await expect(cora.page.locator("#rt-hands li")).to_have_count(0)
        await expect(cora.page.locator("#rt-hand-button")).to_have_text("Raise hand")
        await expect(cora.page.locator("#status")).to_have_text("A host lowered your hand.")

        # The host hands hosting over (asked first): the panels swap.
        await row.get_by_role("button", name="Hand over hosting").click()
        await expect(row).to_contain_text("You'll become a co-host")
        await host.screenshot("roles-3-host-confirms-hand-over")
        await row.get_by_role("button", name="Hand over").click()
        await expect(cora.page.locator("#rt-host")).to_be_visible()
        await expect(cora.page.locator("#status")).to_contain_text("You're the host now")
        await expect(host.page.locator("#room-title")).to_contain_text("(co-host)")
        await expect(person(cora, "rt-people", ids["host"]).get_by_role(
            "button", name="Make participant")).to_be_visible()
        await cora.screenshot("roles-4-new-host")
        await host.screenshot("roles-4-old-host-now-co-host")

        # Cora's subscribe connection fails where only her browser sees it; her first
        # subscriber_restart is refused (rate_limited): she asks again when told to.
        sfu = server.services.sfu
        namespace = server.services.namespace
        sfu.on_peer_failed = None  # the server will not notice: only the browser can
        peer = peer_id_for(room["room_id"], ids["cora"])
        sid = namespace.participants.sid_for(peer)
        assert sid is not None
        outcomes = refuse_one_restart(namespace, sid)
        before: dict[str, Any] = await cora.remote_stats()
        await sfu._subscribers[peer].pc.getTransceivers()[0].receiver.transport.stop()
        await cora.wait_for_stats(
            lambda s: (
                s["subscriptionsStarted"] > before["subscriptionsStarted"]
                and s["connectionStates"] == ["connected"]
            ),
            "cora did not get a fresh subscribe connection",
            timeout=60,
        )
        assert outcomes == ["rate_limited", "ok"], outcomes
        stats = await cora.remote_stats()
        assert stats["subscriberRestartsRefused"] == 1, stats
        assert stats["subscriberRestarts"] == before["subscriberRestarts"] + 2, stats
        await video_grows(cora, ids["host"])
        await expect(cora.page.locator("#status")).to_have_text(
            "Reconnected: the others' media is back.")
        await cora.screenshot("roles-5-after-refused-restart")
