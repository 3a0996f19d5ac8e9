"""Headless Chromium for end-to-end tests: launch flags, page helpers, stats polling.

Debian's /usr/bin/chromium driven by Playwright (its own browser download does not
work here). Fake camera and microphone; loopback-only networking.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, async_playwright

CHROMIUM = os.environ.get("MENTORCALL_CHROMIUM", "/usr/bin/chromium")
STEP_TIMEOUT_S = 15.0

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    # Without it Chromium offers no loopback ICE candidate and the call fails.
    "--allow-loopback-in-peer-connection",
    # A page that never called getUserMedia would hide host candidates behind mDNS.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-gpu",
    # The network is closed: without this Chromium still looks up update hosts.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

Stats = dict[str, Any]

# Keeps every WebSocket the page opens so a test can cut the signaling connection the
# way a network drop would (the client sees "transport close" and reconnects).
WEBSOCKET_SPY = """
(() => {
  const Native = window.WebSocket;
  window.__testSockets = [];
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    window.__testSockets.push(ws);
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, Native);
})();
"""


# Every page records the Content-Security-Policy violations it meets (blocked inline
# styles or scripts, say) in window.__cspViolations: see csp_violations().
CSP_SPY = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective}: ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || "?"}:${event.lineNumber} (${event.sample || ""})`);
});
"""


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """One headless Chromium for a test; closed afterwards."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


class BrowserPage:
    """A page in its own context (own cookies, own getUserMedia) with a console log."""

    def __init__(self, context: BrowserContext, page: Page, name: str) -> None:
        self.context = context
        self.page = page
        self.name = name
        self.console: list[str] = []
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: self.console.append(f"pageerror: {exc}"))

    def log(self) -> str:
        return f"console of {self.name}:\n  " + "\n  ".join(self.console[-30:])

    async def state(self) -> str:
        return str(await self.page.evaluate("() => window.mentorcall && window.mentorcall.state"))

    async def remote_stats(self) -> Stats:
        stats: Stats = await self.page.evaluate("() => window.mentorcall.remoteStats()")
        return stats

    async def wait_for_state(self, *states: str, timeout: float = STEP_TIMEOUT_S) -> str:
        """Poll `window.mentorcall.state` until it is one of ``states``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            state = await self.state()
            if state in states:
                return state
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"{self.name}: state {state!r}, wanted one of {states}\n{self.log()}"
                )
            await asyncio.sleep(0.1)

    async def wait_for_stats(
        self, predicate: Callable[[Stats], bool], what: str, timeout: float = STEP_TIMEOUT_S
    ) -> Stats:
        """Poll `remoteStats()` (an async function, so no wait_for_function) until true."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            stats = await self.remote_stats()
            if predicate(stats):
                return stats
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{self.name}: {what}; last stats {stats}\n{self.log()}")
            await asyncio.sleep(0.25)

    async def drop_connection(self) -> None:
        """Close the page's WebSockets (needs WEBSOCKET_SPY as the init script)."""
        await self.page.evaluate("() => window.__testSockets.forEach((ws) => ws.close())")

    async def csp_violations(self) -> list[str]:
        """What the page's CSP refused so far: the events CSP_SPY saw, and Chromium's
        console reports of them."""
        seen: list[str] = await self.page.evaluate("() => window.__cspViolations || []")
        return seen + [line for line in self.console if "Content Security Policy" in line]

    async def text(self, selector: str) -> str:
        return await self.page.locator(selector).inner_text()

    async def screenshot(self, name: str) -> None:
        """Save a screenshot when MENTORCALL_SCREENSHOTS names a directory."""
        folder = os.environ.get("MENTORCALL_SCREENSHOTS")
        if not folder:
            return
        # Playwright creates the folder.
        await self.page.screenshot(path=str(Path(folder) / f"{name}.png"))


async def open_page(
    browser: Browser,
    url: str,
    name: str,
    viewport: tuple[int, int] = (1100, 760),
    init_script: str | None = None,
) -> BrowserPage:
    """A new context and page at ``url``."""
    context = await browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    await context.add_init_script(CSP_SPY)
    if init_script:
        await context.add_init_script(init_script)
    page = await context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_S * 1000)
    wrapped = BrowserPage(context, page, name)
    await page.goto(url)
    return wrapped
