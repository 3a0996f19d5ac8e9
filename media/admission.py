"""What may reach SRTP on a connection: datagram size and shape, SSRCs, and the counts.

Every datagram at a connection's ICE port is screened by :class:`~media.ingress.RtpIngress`
before aiortc or libsrtp sees it; this module holds the rules and the counters.

Size: MAX_DATAGRAM is 1,500 bytes. pylibsrtp unprotects in a 1,500-byte buffer, so no
longer SRTP/SRTCP packet can be valid (handing one to aiortc made pylibsrtp raise
ValueError, which closed the transport); aiortc itself never sends more than 1,500
bytes in a datagram (DTLS records are read out of OpenSSL 1,500 bytes at a time, RTP is
packetised to 1,300), browsers keep RTP to ~1,200 bytes and fragment DTLS handshakes to
their MTU, and STUN messages are a few hundred bytes. Anything longer is dropped.

SSRCs: libsrtp creates per-SSRC state (cipher and replay contexts) the first time a
packet of a new SSRC authenticates, so a peer that holds the keys could grow memory
without bound by inventing SSRCs. :class:`SsrcAdmission` lets a connection's packets
reach libsrtp only for the SSRCs its remote description signals (at most
MAX_SIGNALLED_SSRCS) plus EXTRA_SSRCS others (RTCP from receive-only browsers uses
SSRCs that are not signalled), checked on the header before unprotect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

MAX_DATAGRAM = 1500
MIN_SRTP_TAG = 4  # the shortest authentication tag (AES_CM_128_HMAC_SHA1_32)
SRTCP_INDEX = 4  # E flag + SRTCP index, after the RTCP compound packet
MAX_SIGNALLED_SSRCS = 16  # audio + video, each with RTX, and room for simulcast layers
EXTRA_SSRCS = 8  # unsignalled SSRCs a connection may use (receive-only RTCP senders)

_SSRC_LINE = re.compile(r"^a=ssrc:(\d{1,10})[ \r]", re.MULTILINE)


@dataclass
class IngressCounters:
    """Datagrams a connection dropped, by reason (none of them stops the connection)."""

    oversized: int = 0  # longer than MAX_DATAGRAM
    malformed: int = 0  # not STUN/DTLS/RTP/RTCP, a truncated header, or unparsable
    foreign: int = 0  # DTLS/RTP/RTCP not from the ICE-selected remote address
    outside: int = 0  # STUN from an address outside the allowed ICE networks
    not_ready: int = 0  # RTP/RTCP before the DTLS transport is connected
    ssrc_refused: int = 0  # an SSRC beyond the admitted ones (see SsrcAdmission)
    srtp_failed: int = 0  # SRTP/SRTCP authentication or replay check failed
    handler_failed: int = 0  # parsing, routing or forwarding raised (logged)

    def add(self, other: IngressCounters) -> None:
        """Add ``other``'s counts to these."""
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    @property
    def dropped(self) -> int:
        """Every datagram dropped, whatever the reason."""
        return sum(getattr(self, item.name) for item in fields(self))


class SsrcAdmission:
    """The SSRCs whose packets one connection may hand to libsrtp.

    ``signal(sdp)`` with the remote description admits the SSRCs it lists (the first
    ``signalled_limit``, MAX_SIGNALLED_SSRCS unless raised); up to ``unsignalled_limit``
    (EXTRA_SSRCS unless raised) others are admitted by their first packet that
    authenticates. ``seen`` holds every SSRC that has SRTP state (bounded by both). A
    subscribe connection raises both limits with its m-line count (media/subscriber.py).
    """

    def __init__(self, extra: int = EXTRA_SSRCS) -> None:
        self.signalled_limit = MAX_SIGNALLED_SSRCS
        self.unsignalled_limit = extra
        self.signalled: set[int] = set()
        self.seen: set[int] = set()
        self._unsignalled: set[int] = set()

    def signal(self, sdp: str) -> None:
        """Admit the SSRCs an SDP's ``a=ssrc`` lines list."""
        for match in _SSRC_LINE.finditer(sdp):
            if len(self.signalled) >= self.signalled_limit:
                break
            self.signalled.add(int(match.group(1)) & 0xFFFFFFFF)

    def may_unprotect(self, ssrc: int) -> bool:
        """True if a packet of ``ssrc`` may go to libsrtp (before it is authenticated)."""
        return (
            ssrc in self.seen
            or ssrc in self.signalled
            or len(self._unsignalled) < self.unsignalled_limit
        )

    def unprotected(self, ssrc: int) -> None:
        """A packet of ``ssrc`` authenticated: libsrtp now has state for it."""
        self.seen.add(ssrc)
        if ssrc not in self.signalled:
            self._unsignalled.add(ssrc)


def rtp_ssrc(data: bytes) -> int | None:
    """The SSRC of an SRTP packet, None if its header cannot be one (truncated)."""
    if len(data) < 12 + 4 * (data[0] & 0x0F) + MIN_SRTP_TAG:
        return None
    return int.from_bytes(data[8:12], "big")


def rtcp_ssrc(data: bytes) -> int | None:
    """The sender SSRC of an SRTCP packet, None if its first header does not fit."""
    size = len(data)
    if size < 8 + SRTCP_INDEX + MIN_SRTP_TAG:
        return None
    if 4 * ((data[2] << 8 | data[3]) + 1) > size - SRTCP_INDEX - MIN_SRTP_TAG:
        return None
    return int.from_bytes(data[4:8], "big")
