"""Notes: edit-to-visible latency and sustained updates/s of one room, through a real
server, against pycrdt applying the same updates with no network (same run).

A real server runs in its own process on loopback (``python -m web.cli serve``, as in
:mod:`bench.ack_latency`). A roundtable of ``--editors`` people (default 10) joins over
Socket.IO, spread over ``--processes`` client processes (default 2, so that the clients'
own decoding and applying does not all queue on one core); each syncs the shared notes
with the Yjs sync protocol (``notes`` events), then types: one short edit every
``1 / --rate`` seconds, for ``--seconds``. An edit is *visible* to another editor when
that editor has received the update and applied it to its own pycrdt document; each
(edit, receiver) pair is one latency sample (send and receive instants from the
machine's monotonic clock, common to the processes). Then a *sustained* phase: every
editor sends edits back to back (each waits for its ack) for ``--seconds``: accepted
updates per second for the room (the per-connection rate limit, 60/s after a burst of
240, bounds it). Baseline: a fresh pycrdt document applies every update of the typing
phase, with no network.

Run from the repository root::

    .venv/bin/python -m bench.notes
    .venv/bin/python -m bench.notes --editors 10 --processes 1 --rate 5 --seconds 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
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
    """One editor: a Socket.IO connection and its pycrdt copy of the shared notes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.doc: Doc = Doc()
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sent: dict[str, float] = {}  # update (hex) -> when sent
        self.seen: list[tuple[str, float]] = []  # relayed update (hex), when applied
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
            self.seen.append((message.payload.hex(), time.monotonic()))

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
        self.sent[update.hex()] = time.monotonic()
        ack = await self.sio.call("notes", {"doc": "shared", "message": sync_message(
            SyncStep.UPDATE, update)}, timeout=30)
        return bool(ack.get("ok"))

    def text(self) -> str:
        return str(self.doc.get("notes", type=Text))


async def typing(editor: Editor, rate: float, seconds: float) -> None:
    count, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        await editor.edit(count)
        count += 1
        await asyncio.sleep(max(0.0, start + count / rate - time.monotonic()))


async def flat_out(editor: Editor, seconds: float) -> int:
    accepted, start, n = 0, time.monotonic(), 100_000
    while time.monotonic() - start < seconds:
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
    return pct(times, 0.5), pct(times, 0.99), len(updates) / (time.perf_counter() - start)


class Group:
    """Editors in this process, stepped through the phases by the commands of
    :func:`run` (the same in a child process, over stdin and stdout)."""

    def __init__(self, url: str, tokens: list[str], first: int, args: argparse.Namespace):
        self.editors = [Editor(f"e{first + i}-") for i in range(len(tokens))]
        self.url, self.tokens, self.args = url, tokens, args

    async def step(self, phase: str) -> dict[str, Any]:
        if phase == "join":
            for editor, token in zip(self.editors, self.tokens, strict=True):
                await editor.join(self.url, token)
            return {}
        if phase == "type":
            await asyncio.gather(*(typing(e, self.args.rate, self.args.seconds)
                                   for e in self.editors))
            return {}
        if phase == "report":
            return {"sent": {k: v for e in self.editors for k, v in e.sent.items()},
                    "seen": [s for e in self.editors for s in e.seen],
                    "texts": [e.text() for e in self.editors]}
        if phase == "flat":
            counts = await asyncio.gather(*(flat_out(e, self.args.seconds)
                                            for e in self.editors))
            return {"accepted": sum(counts)}
        for editor in self.editors:
            await editor.sio.disconnect()
        return {}


class Child:
    """A group in a child process: one JSON line per phase each way."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def step(self, phase: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{phase}\n".encode())
        await self.process.stdin.drain()
        line = await asyncio.wait_for(self.process.stdout.readline(), 120)
        answer: dict[str, Any] = json.loads(line)
        return answer


async def child_main(args: argparse.Namespace) -> None:
    group = Group(args.child, args.tokens.split(","), args.first, args)
    loop = asyncio.get_running_loop()
    while phase := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
        answer = await group.step(phase)
        print(json.dumps(answer), flush=True)
        if phase == "quit":
            return


async def run(args: argparse.Namespace) -> None:
    async with Server(ROOT, {}) as server, aiohttp.ClientSession() as http:
        people = [{"name": f"E{i}", "role": "participant"} for i in range(1, args.editors)]
        room = await post(http, f"{server.url}/api/rooms", ADMIN_KEY,
                          {"kind": "roundtable", "host_name": "Host", "participants": people})
        links = room["links"]
        tokens = [link.split("#token=", 1)[1] for link in
                  [links["host"], *(p["link"] for p in links["participants"])]]
        share = -(-len(tokens) // args.processes)
        parts = [tokens[i:i + share] for i in range(0, len(tokens), share)]
        groups: list[Group | Child] = [Group(server.url, parts[0], 0, args)]
        for n, part in enumerate(parts[1:], start=1):
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.notes", "--child", server.url,
                "--tokens", ",".join(part), "--first", str(n * share),
                "--rate", str(args.rate), "--seconds", str(args.seconds), cwd=ROOT,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                limit=256 * 1024 * 1024)  # a report is one long JSON line
            groups.append(Child(process))

        async def everyone(phase: str) -> list[dict[str, Any]]:
            return list(await asyncio.gather(*(g.step(phase) for g in groups)))

        await everyone("join")
        await everyone("type")
        await asyncio.sleep(1.0)  # the last relayed updates arrive
        reports = await everyone("report")
        sent = {k: v for r in reports for k, v in r["sent"].items()}
        ms = [(t - sent[h]) * 1000 for r in reports for h, t in r["seen"] if h in sent]
        expected = len(sent) * (args.editors - 1)
        texts = {t for r in reports for t in r["texts"]}
        print(f"editors: {args.editors} in {len(groups)} process(es), {args.rate}/s each for "
              f"{args.seconds} s: {len(sent)} edits, {len(ms)}/{expected} (edit, receiver) "
              f"seen; converged: {len(texts) == 1}")
        print(f"edit-to-visible through the server: p50 {pct(ms, 0.5):.1f} ms, "
              f"p99 {pct(ms, 0.99):.1f} ms, max {max(ms):.1f} ms")
        start = time.monotonic()
        accepted = sum(r["accepted"] for r in await everyone("flat"))
        elapsed = time.monotonic() - start
        print(f"sustained, back to back: {accepted} accepted in {elapsed:.1f} s: "
              f"{accepted / elapsed:.0f} updates/s per room")
        b50, b99, rate = baseline([bytes.fromhex(h) for h in sent])
        print(f"baseline pycrdt, no network, the {len(sent)} typed updates: apply p50 "
              f"{b50 * 1e6:.0f} us, p99 {b99 * 1e6:.0f} us, {rate:.0f} updates/s")
        await everyone("quit")
        for group in groups:
            if isinstance(group, Child):
                await asyncio.wait_for(group.process.wait(), 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--editors", type=int, default=10)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rate", type=float, default=5.0, help="edits per second per editor")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--tokens", default="", help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(child_main(args) if args.child else run(args))


if __name__ == "__main__":
    main()
