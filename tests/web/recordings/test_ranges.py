"""HTTP Range of downloads, fed values (RFC 9110 single byte ranges)."""

from __future__ import annotations

import pytest

from web.recordings.ranges import ByteRange, RangeNotSatisfiable, byte_range

SIZE = 1000


@pytest.mark.parametrize("header,expected", [
    (None, ByteRange(0, SIZE, False)),
    ("bytes=0-0", ByteRange(0, 1, True)),
    ("bytes=0-999", ByteRange(0, SIZE, True)),
    ("bytes=10-19", ByteRange(10, 10, True)),
    ("bytes=990-", ByteRange(990, 10, True)),
    ("bytes=990-5000", ByteRange(990, 10, True)),  # clamped to the end
    ("bytes=-10", ByteRange(990, 10, True)),
    ("bytes=-5000", ByteRange(0, SIZE, True)),  # more than there is: all of it
    ("bytes = 5-6", ByteRange(5, 2, True)),
    ("items=0-5", ByteRange(0, SIZE, False)),  # not a bytes range: ignored
    ("bytes=abc", ByteRange(0, SIZE, False)),
    ("bytes=-", ByteRange(0, SIZE, False)),
])
def test_ranges(header: str | None, expected: ByteRange) -> None:
    assert byte_range(header, SIZE) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-1005", "bytes=5000-",
                                    "bytes=-0", "bytes=9-2", "bytes=0-1,4-5"])
def test_unsatisfiable(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable) as refused:
        byte_range(header, SIZE)
    assert refused.value.size == SIZE


def test_empty_file() -> None:
    assert byte_range(None, 0) == ByteRange(0, 0, False)
    for header in ("bytes=0-", "bytes=-1"):
        with pytest.raises(RangeNotSatisfiable):
            byte_range(header, 0)


def test_content_range() -> None:
    assert ByteRange(10, 10, True).content_range(SIZE) == "bytes 10-19/1000"
