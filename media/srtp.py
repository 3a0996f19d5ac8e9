"""SRTP protect/unprotect for the per-packet path, on a pylibsrtp session's own state.

pylibsrtp's ``Session.protect``/``unprotect`` allocate a C ``int`` and go through two
Python calls and a type check per packet; for a forwarded packet that wrapper costs
more than the cipher. :class:`FastSrtp` calls the same libsrtp functions on the same
session (its C context and its 1500-byte buffer), with the length cell allocated once.
Everything runs on the event loop's thread, so sharing the session's buffer with
aiortc's own calls (RTCP) is safe: each call copies its result out before returning.
"""

from __future__ import annotations

from typing import Any

import pylibsrtp
from pylibsrtp import _binding

SRTP_MAX_TRAILER_LEN = 16 + 128  # pylibsrtp's: SRTP_MAX_TAG_LEN + SRTP_MAX_MKI_LEN

# pylibsrtp.Session internals used here (checked by media.guards)
SESSION_CONTEXT = "_srtp"
SESSION_CDATA = "_cdata"
SESSION_BUFFER = "_buffer"


class FastSrtp:
    """SRTP protect and unprotect of RTP packets on one pylibsrtp ``Session``.

    Raises ``pylibsrtp.Error`` where the session would (authentication or replay
    failure) and ValueError for a packet longer than the session's buffer allows.
    """

    __slots__ = ("_buffer", "_capacity", "_cdata", "_context", "_length", "session")

    def __init__(self, session: pylibsrtp.Session) -> None:
        self.session = session
        self._context: Any = getattr(session, SESSION_CONTEXT)[0]
        self._cdata: Any = getattr(session, SESSION_CDATA)
        self._buffer: Any = getattr(session, SESSION_BUFFER)
        self._capacity = len(self._buffer)
        self._length: Any = _binding.ffi.new("int *")

    def protect(self, packet: bytes) -> bytes:
        """The SRTP packet for an RTP packet."""
        size = len(packet)
        if size > self._capacity - SRTP_MAX_TRAILER_LEN:
            raise ValueError("packet is too long")
        buffer = self._buffer
        buffer[0:size] = packet
        length = self._length
        length[0] = size
        status = _protect(self._context, self._cdata, length)
        if status:
            raise pylibsrtp.Error(f"libsrtp protect failed ({status})")
        result: bytes = buffer[0 : length[0]]
        return result

    def unprotect(self, packet: bytes) -> bytes:
        """The RTP packet inside an SRTP packet (authenticated, replay-checked)."""
        size = len(packet)
        if size > self._capacity:
            raise ValueError("packet is too long")
        buffer = self._buffer
        buffer[0:size] = packet
        length = self._length
        length[0] = size
        status = _unprotect(self._context, self._cdata, length)
        if status:
            raise pylibsrtp.Error(f"libsrtp unprotect failed ({status})")
        result: bytes = buffer[0 : length[0]]
        return result


_protect = _binding.lib.srtp_protect
_unprotect = _binding.lib.srtp_unprotect
