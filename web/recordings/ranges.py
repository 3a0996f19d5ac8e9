"""HTTP Range of a recording download: one byte range of a file of known size.

``bytes=a-b``, ``bytes=a-`` and ``bytes=-n`` (the last n bytes) are honoured. A Range
the server cannot satisfy (it starts at or past the end, or asks for several ranges) is
:class:`RangeNotSatisfiable` (416 with ``Content-Range: bytes */size``); a header that is
not a bytes range at all is ignored, as RFC 9110 says, and the whole file is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE = re.compile(r"^bytes=(\d{0,19})-(\d{0,19})$")


@dataclass(frozen=True)
class ByteRange:
    start: int
    length: int
    partial: bool  # answer 206 with Content-Range (else 200, the whole file)

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.start + self.length - 1}/{size}"


class RangeNotSatisfiable(Exception):
    """The Range header cannot be met for a file of ``size`` bytes."""

    def __init__(self, size: int, header: str) -> None:
        super().__init__(size, header)
        self.size = size
        self.header = header


def byte_range(header: str | None, size: int) -> ByteRange:
    """What to send of a ``size``-byte file for the request's Range header."""
    whole = ByteRange(0, size, partial=False)
    if header is None:
        return whole
    text = header.strip().replace(" ", "")
    if not text.startswith("bytes="):
        return whole
    if "," in text:
        raise RangeNotSatisfiable(size, header)
    found = _RANGE.match(text)
    if found is None or found.group(1) == found.group(2) == "":
        return whole  # not a range we understand: ignored
    first, last = found.group(1), found.group(2)
    if first == "":  # the last n bytes
        count = int(last)
        if count == 0 or size == 0:
            raise RangeNotSatisfiable(size, header)
        count = min(count, size)
        return ByteRange(size - count, count, partial=True)
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or (last != "" and int(last) < start):
        raise RangeNotSatisfiable(size, header)
    return ByteRange(start, end - start + 1, partial=True)
