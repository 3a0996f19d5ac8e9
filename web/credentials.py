"""Comparing a credential a client sent (an admin key, a CSRF token, a signature) with the
expected one, in constant time, whatever characters it holds.

aiohttp hands a header byte that is not UTF-8 (``Authorization: Bearer \\xff``) over as a
lone surrogate, and a JSON body may hold one (``"\\udcff"``); ``str.encode()`` raises on
those. Here they are encoded with ``surrogatepass``, which never raises and never yields
valid UTF-8, so such a credential simply matches no key: the caller's usual refusal
(401 ``unauthorized``, 403 ``forbidden`` / ``csrf_invalid``) answers it, not a 500."""

from __future__ import annotations

import hmac

from aiohttp import web


def as_bytes(text: str) -> bytes:
    """``text`` as UTF-8, lone surrogates included (as bytes no valid UTF-8 holds)."""
    return text.encode("utf-8", "surrogatepass")


def same_secret(given: str, expected: str | bytes) -> bool:
    """Whether ``given`` equals ``expected`` (compared in constant time)."""
    wanted = expected if isinstance(expected, bytes) else as_bytes(expected)
    return hmac.compare_digest(as_bytes(given), wanted)


def bearer(request: web.Request) -> str:
    """The bearer credential of the request ('' if none)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""
