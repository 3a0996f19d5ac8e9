"""Signed download links, fed values: genuine, tampered, expired."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from rooms.clock import ManualClock
from web.recordings.links import LinkRefused, LinkSigner

SECRET = "a secret for the link tests only, 32+ bytes"


def parts(path: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(path).query)
    return query["expires"][0], query["sig"][0]


def refused(signer: LinkSigner, rid: str, name: str, expires: str | None,
            sig: str | None) -> str:
    with pytest.raises(LinkRefused) as caught:
        signer.verify(rid, name, expires, sig)
    return caught.value.code


def test_genuine_until_expiry() -> None:
    clock = ManualClock(1000.5)
    signer = LinkSigner(SECRET, clock, ttl_s=300)
    link = signer.sign("rec-1", "a.webm")
    assert link.expires_at == 1301
    assert link.path.startswith("/api/recordings/rec-1/files/a.webm?expires=1301&sig=")
    expires, sig = parts(link.path)
    signer.verify("rec-1", "a.webm", expires, sig)
    clock.set(1300.99)
    signer.verify("rec-1", "a.webm", expires, sig)
    clock.set(1301)
    assert refused(signer, "rec-1", "a.webm", expires, sig) == "link_expired"


def test_tampering_is_invalid_even_when_expired() -> None:
    clock = ManualClock(1000)
    signer = LinkSigner(SECRET, clock, ttl_s=60)
    expires, sig = parts(signer.sign("rec-1", "a.webm").path)
    for rid, name, e, s in [("rec-2", "a.webm", expires, sig), ("rec-1", "b.webm", expires, sig),
                            ("rec-1", "a.webm", str(int(expires) + 1), sig),
                            ("rec-1", "a.webm", expires, sig.upper()),
                            ("rec-1", "a.webm", expires, sig[:-2]),
                            ("rec-1", "a.webm", None, sig), ("rec-1", "a.webm", expires, None),
                            ("rec-1", "a.webm", "-5", sig), ("rec-1", "a.webm", "9" * 40, sig),
                            ("rec-1a", ".webm", expires, sig)]:
        assert refused(signer, rid, name, e, s) == "link_invalid", (rid, name, e, s)
    clock.advance(3600)
    assert refused(signer, "rec-2", "a.webm", expires, sig) == "link_invalid"


def test_another_secret_does_not_verify() -> None:
    clock = ManualClock(1000)
    expires, sig = parts(LinkSigner(SECRET, clock, 60).sign("rec-1", "a.webm").path)
    other = LinkSigner(SECRET + "x", clock, 60)
    assert refused(other, "rec-1", "a.webm", expires, sig) == "link_invalid"
