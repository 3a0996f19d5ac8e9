"""The browser client's pages, and the security headers every answer carries.

Every page gets a strict Content-Security-Policy: same-origin scripts, styles and
connections only, no inline scripts or styles. The call page (``/join``) holds the notes
editor (CodeMirror 6), which writes its styles into a ``<style>`` element: each answer of
that page gets a fresh nonce, allowed by its CSP (``style-src 'self' 'nonce-…'``) and
handed to the page in ``<meta name="csp-nonce" nonce="…">``, from where the editor puts
it on its ``<style>`` element (``EditorView.cspNonce``). Nothing else is allowed inline.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STATIC_DIR = Path(__file__).parent / "static"
CSP = "Content-Security-Policy"
BASE_CSP = (
    "default-src 'self'; connect-src 'self'; media-src 'self' blob:; "
    "img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    CSP: BASE_CSP,
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=()",
}
NONCE_PLACEHOLDER = "{{csp_nonce}}"  # in web/client/src/call/index.html
NOT_BUILT = "The web client is not built yet: run `make build` (or `make run`)."


def call_page_csp(nonce: str) -> str:
    """The call page's policy: ``<style>`` elements carrying ``nonce`` besides the rest."""
    return BASE_CSP.replace("style-src 'self';", f"style-src 'self' 'nonce-{nonce}';")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The headers above on every answer but Socket.IO's; a page that set its own CSP
    (the call page, with its nonce) keeps it."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # 404s and other raised responses get them too
        exc.headers.update(SECURITY_HEADERS)
        raise
    if not request.path.startswith("/socket.io"):
        own_csp = response.headers.get(CSP)
        response.headers.update(SECURITY_HEADERS)
        if own_csp is not None:
            response.headers[CSP] = own_csp
    return response


def static_page(name: str) -> Handler:
    """A built page as it is."""

    async def handler(request: web.Request) -> web.StreamResponse:
        path = STATIC_DIR / name
        if not path.exists():
            return web.Response(status=503, text=NOT_BUILT)
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    return handler


async def call_page(request: web.Request) -> web.StreamResponse:
    """The call page with a fresh CSP nonce (in its header and its csp-nonce meta tag)."""
    path = STATIC_DIR / "call" / "index.html"
    try:
        html = await asyncio.to_thread(path.read_text, "utf-8")
    except FileNotFoundError:
        return web.Response(status=503, text=NOT_BUILT)
    nonce = secrets.token_urlsafe(18)
    return web.Response(text=html.replace(NONCE_PLACEHOLDER, nonce), content_type="text/html",
                        headers={"Cache-Control": "no-store", CSP: call_page_csp(nonce)})


def add_client_routes(app: web.Application) -> None:
    """Serve the built browser client (`make build` writes web/static/)."""
    app.router.add_get("/", static_page("landing.html"))
    app.router.add_get("/join", call_page)
    app.router.add_get("/schedule", static_page("schedule/index.html"))
    STATIC_DIR.mkdir(exist_ok=True)
    app.router.add_static("/static", STATIC_DIR)
