"""Drives tests/notes/yjs_client.cjs: a notes client on the real `yjs` + `y-protocols`
packages under Node, one JSON command per line."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("yjs_client.cjs")


class NodeClient:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self.text = ""
        self.online = True

    @classmethod
    async def start(cls, base_url: str, token: str) -> NodeClient:
        node = shutil.which("node")
        assert node is not None, "node is needed (./dev.sh build installs it)"
        process = await asyncio.create_subprocess_exec(
            node, str(SCRIPT), base_url, token, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE)
        client = cls(process)
        ready = await client._answer()
        assert ready["event"] == "ready", ready
        return client

    async def _answer(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), 20)
        assert line, "the Node client exited"
        answer: dict[str, Any] = json.loads(line)
        assert answer["event"] != "error", answer
        self.text = answer.get("text", self.text)
        return answer

    async def command(self, op: str, **fields: Any) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write((json.dumps({"op": op, **fields}) + "\n").encode())
        await self._process.stdin.drain()
        return await self._answer()

    async def type_at(self, index: int, text: str) -> None:
        await self.command("insert", index=index, text=text)
        return None

    async def go_offline(self) -> None:
        await self.command("offline")
        self.online = False

    async def come_back(self) -> None:
        await self.command("online")
        self.online = True

    async def read_text(self) -> str:
        return str((await self.command("text"))["text"])

    async def close(self) -> None:
        if self._process.returncode is None:
            try:
                await self.command("quit")
            except (AssertionError, BrokenPipeError, ConnectionResetError):
                pass
            try:
                await asyncio.wait_for(self._process.wait(), 5)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
