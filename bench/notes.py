"""Notes: edit-to-visible latency and sustained updates/s of one room, through a real
server, against pycrdt applying the same updates with no network (same run).

A real server runs in its own process on loopback (``python -m web.cli serve``, as in
:mod:`bench.ack_latency`). A roundtable of ``--editors`` people (default 10) joins over
Socket.IO; each syncs the shared notes with the Yjs sync protocol (``notes`` events),
then types: one character-sized edit every ``1 / --rate`` seconds, for ``--seconds``.
An edit is *visible* to another editor when that editor has received the update and
applied it to its own pycrdt document; each (edit, receiver) pair is one latency
sample. Then a *sustained* phase: every editor sends edits back to back (each waits for
its ack) for ``--seconds``: accepted updates per second for the room (the per-connection
rate limit, 60/s after a burst of 240, bounds it; a refused edit stays in its editor's
own copy, so editors are compared after the typing phase only). Baseline: a fresh pycrdt document
applies every update the run produced, with no network.

Run from the repository root::

    .venv/bin/python -m bench.notes
    .venv/bin/python -m bench.notes --editors 10 --rate 5 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from pycrdt import Doc, Text

from signaling.notes_wire import SyncStep, decode, sync_message

from .ack_latency import ADMIN_KEY, Server, post

ROOT = Path(__file__).resolve().parents[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Editor:
    def __init__(self, name: str, sent: dict[bytes, float], samples: list[float]) -> None:
        self.name = name
        self.doc: Doc = Doc()
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sent, self.samples = sent, samples
        self.synced = asyncio.Event()
        self.sio.on("notes", self._on_notes)

    async def _on_notes(self, data: dict[str, Any]) -> None:
        message = decode(bytes(data["message"]))
        if message.step is SyncStep.STEP1:
            await self.sio.call("notes", {"doc": "shared", "message": sync_message(
                SyncStep.STEP2, self.doc.get_update(message.payload))})
            self.synced.set()
            return
        if message.step is not None:
            self.doc.apply_update(message.payload)
            started = self.sent.get(message.payload)
            if started is not None:
                self.samples.append(time.perf_counter() - started)

    async def join(self, url: str, token: str) -> None:
        await self.sio.connect(url, transports=["websocket"])
        ack = await self.sio.call("join", {"token": token}, timeout=10)
        assert ack["ok"], ack
        await self.sio.call("notes", {"doc": "shared", "message": sync_message(
            SyncStep.STEP1, self.doc.get_state())})
        await asyncio.wait_for(self.synced.wait(), 10)

    async def edit(self, n: int) -> bool:
        before = self.doc.get_state()
        text = self.doc.get("notes", type=Text)
        text.insert(len(text) // 2, f"{self.name}{n} ")
        update = self.doc.get_update(before)
        self.sent[update] = time.perf_counter()
        ack = await self.sio.call("notes", {"doc": "shared", "message": sync_message(
            SyncStep.UPDATE, update)}, timeout=30)
        return bool(ack.get("ok"))


async def typing(editor: Editor, rate: float, seconds: float) -> int:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        await editor.edit(count)
        count += 1
        await asyncio.sleep(max(0.0, start + count / rate - time.perf_counter()))
    return count


async def flat_out(editor: Editor, seconds: float) -> int:
    accepted, start, n = 0, time.perf_counter(), 100_000
    while time.perf_counter() - start < seconds:
        accepted += await editor.edit(n)
        n += 1
    return accepted


def baseline(updates: list[bytes]) -> tuple[float, float, float]:
    """Per-update apply time p50/p99 and updates/s of pycrdt alone."""
    doc: Doc = Doc()
    times = []
    start = time.perf_counter()
    for update in updates:
        t0 = time.perf_counter()
        doc.apply_update(update)
        times.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    return pct(times, 0.5), pct(times, 0.99), len(updates) / total


async def run(args: argparse.Namespace) -> None:
    async with Server(ROOT, {}) as server, aiohttp.ClientSession() as http:
        people = [{"name": f"E{i}", "role": "participant"} for i in range(1, args.editors)]
        room = await post(http, f"{server.url}/api/rooms", ADMIN_KEY,
                          {"kind": "roundtable", "host_name": "Host", "participants": people})
        links = room["links"]
        tokens = [links["host"], *(p["link"] for p in links["participants"])]
        sent: dict[bytes, float] = {}
        samples: list[float] = []
        editors = [Editor(f"e{i}-", sent, samples) for i in range(args.editors)]
        for editor, link in zip(editors, tokens, strict=True):
            await editor.join(server.url, link.split("#token=", 1)[1])
        made = await asyncio.gather(*(typing(e, args.rate, args.seconds) for e in editors))
        await asyncio.sleep(1.0)
        expected = sum(made) * (args.editors - 1)
        print(f"editors: {args.editors}, {args.rate}/s each for {args.seconds} s: "
              f"{sum(made)} edits, {len(samples)}/{expected} (edit, receiver) seen")
        ms = [s * 1000 for s in samples]
        print(f"edit-to-visible through the server: p50 {pct(ms, 0.5):.1f} ms, "
              f"p99 {pct(ms, 0.99):.1f} ms, max {max(ms):.1f} ms")
        texts = {str(e.doc.get("notes", type=Text)) for e in editors}
        print(f"editors converged after the typing phase: {len(texts) == 1}")
        first = len(sent)
        start = time.perf_counter()
        accepted = await asyncio.gather(*(flat_out(e, args.seconds) for e in editors))
        elapsed = time.perf_counter() - start
        print(f"sustained, back to back: {sum(accepted)} accepted of {len(sent) - first} "
              f"sent in {elapsed:.1f} s: {sum(accepted) / elapsed:.0f} updates/s per room")
        b50, b99, rate = baseline(list(sent))
        print(f"baseline pycrdt, no network, same {len(sent)} updates: apply p50 "
              f"{b50 * 1e6:.0f} us, p99 {b99 * 1e6:.0f} us, {rate:.0f} updates/s")
        for editor in editors:
            await editor.sio.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--editors", type=int, default=10)
    parser.add_argument("--rate", type=float, default=5.0, help="edits per second per editor")
    parser.add_argument("--seconds", type=float, default=8.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
