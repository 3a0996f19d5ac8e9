"""Process RSS around an SSRC flood: authenticated SRTP packets with a new SSRC each.

A publisher (aiortc client, 320x180 video) and a subscriber in one call through the
Sfu, all in this process on 127.0.0.1. The publisher's own socket then sends
``--packets`` SRTP packets protected with its real keys, each with a new SSRC (the
client frees its own per-SSRC state after each one, so only the server's can grow).
Prints RSS before the flood, after it, after the publisher left (``remove_peer`` and a
garbage collection) and after ``malloc_trim(0)`` (what the allocator kept but could
return), the server's per-SSRC SRTP states among a 1 % sample of the flood SSRCs, and
the frames decoded in the 3 s after the flood.

    .venv/bin/python -m bench.ssrc_flood --packets 50000
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
from typing import Any

from media import MediaConfig, Sfu
from tests.media.ports import authenticated_rtp, send_all, srtp_state_for, start_call

FIRST_SSRC = 0x10000000
CHUNK = 1000
AFTER_S = 3.0


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def malloc_trim() -> None:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


async def run(packets: int) -> None:
    sfu = Sfu(MediaConfig())
    call = await start_call(sfu)
    try:
        await call.frames_keep_arriving(30)
        rx: Any = call.server_publisher_pc.getTransceivers()[0].receiver.transport._rx_srtp
        payload_type = call.publisher.pc.getTransceivers()[0]._codecs[0].payloadType
        assert payload_type is not None
        gc.collect()
        before = rss_mib()
        for start in range(0, packets, CHUNK):
            ssrcs = range(FIRST_SSRC + start, FIRST_SSRC + min(packets, start + CHUNK))
            await send_all(
                call.publisher.pc, authenticated_rtp(call.publisher.pc, ssrcs, payload_type)
            )
        await asyncio.sleep(0.5)  # the last datagrams are read
        frames = len(call.video.times)
        await asyncio.sleep(AFTER_S)
        frames = len(call.video.times) - frames
        flooded = rss_mib()
        sample = range(FIRST_SSRC, FIRST_SSRC + packets, 100)
        states = srtp_state_for(rx, sample)  # (frees what it finds: a 1 % sample)
        stats = getattr(sfu, "ingress_stats", None)
        refused = stats().ssrc_refused if stats is not None else "n/a"
        await sfu.remove_peer("pub")
        del rx
        gc.collect()
        left = rss_mib()
        malloc_trim()
        trimmed = rss_mib()
        print(f"packets sent: {packets}, refused before SRTP: {refused}")
        print(f"SRTP states among {len(sample)} sampled flood SSRCs: {states}")
        print(f"frames decoded in the {AFTER_S:.0f} s after the flood: {frames}")
        print(
            f"RSS MiB: before {before:.1f}, after flood {flooded:.1f} "
            f"({flooded - before:+.1f}), after leave {left:.1f} ({left - before:+.1f}), "
            f"after malloc_trim {trimmed:.1f} ({trimmed - before:+.1f})"
        )
    finally:
        await call.close()
        await sfu.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packets", type=int, default=50_000)
    asyncio.run(run(parser.parse_args().packets))


if __name__ == "__main__":
    main()
