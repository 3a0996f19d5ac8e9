"""The VP8 RTP payload descriptor (RFC 7741, section 4.2): read by the forwarder (is a
packet the start of a keyframe?) and by the recorder (where does the frame's data start?)."""

from __future__ import annotations


def vp8_descriptor_size(payload: bytes) -> tuple[bool, int] | None:
    """``(starts_frame, size)`` of the VP8 payload descriptor at the start of ``payload``
    (``starts_frame``: S=1 and PID=0), or None when it is cut short."""
    size = len(payload)
    if size < 1:
        return None
    first = payload[0]
    pos = 1
    if first & 0x80:  # X: extension control bits follow
        if size < 2:
            return None
        ext = payload[1]
        pos = 2
        if ext & 0x80:  # I: picture id, 7 or 15 bits
            if pos >= size:
                return None
            pos += 2 if payload[pos] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            pos += 1
        if ext & 0x30:  # T and/or K share one byte
            pos += 1
    if pos >= size:
        return None
    return first & 0x1F == 0x10, pos
