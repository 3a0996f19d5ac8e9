"""Janus (the WebRTC server) as bench/janus.py's baseline: its process, config and REST API.

:class:`JanusServer` starts ``janus`` in its own process with a private config folder
(VideoRoom plugin and HTTP transport only, HTTP bound to 127.0.0.1 on a free port, admin
API off, ICE gathering on the loopback interface only, no STUN/TURN, no recording) and
answers the same requests as bench/forward.py's server process (``publish``,
``subscribe``, ``answer``, ``start``, ``stop``, ``quit``) by signaling Janus over its
REST API: one session, one handle for the publisher and one per subscriber.

Its CPU time is read from the Janus process's CPU clock (the kernel's sum of the run
time of all its threads, exited ones included: the clock ``time.process_time`` reads in
bench/forward.py's server process).
"""

from __future__ import annotations

import asyncio
import glob
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOM = 1234
BITRATE = 1_000_000  # the REMB cap Janus sends the publisher: the publisher's own cap
STARTUP_TIMEOUT_S = 15.0
EVENT_TIMEOUT_S = 20.0
INSTALL_HINT = (
    "Janus is not installed: this bench needs the `janus` binary and its VideoRoom "
    "plugin and HTTP transport (Debian/Ubuntu: `apt-get install -y janus`, 1.1.x)."
)


def find_janus() -> tuple[str, Path] | None:
    """(the janus binary, its library folder holding plugins/ and transports/), or None."""
    binary = shutil.which("janus")
    if binary is None:
        return None
    prefix = Path(binary).resolve().parent.parent
    candidates = [
        *glob.glob(str(prefix / "lib" / "*" / "janus")),
        str(prefix / "lib" / "janus"),
        str(prefix / "lib64" / "janus"),
    ]
    for folder in candidates:
        libs = Path(folder)
        if glob.glob(str(libs / "plugins" / "libjanus_videoroom.so*")) and glob.glob(
            str(libs / "transports" / "libjanus_http.so*")
        ):
            return binary, libs
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_config(
    folder: Path, libs: Path, http_port: int, event_loops: int, ice_address: str
) -> Path:
    """Janus's config files in ``folder``; returns janus.jcfg's path.

    ICE gathers on ``ice_address`` only. (Janus never gathers on a loopback interface,
    and libnice pins each socket to its interface, so that address is on another
    interface - bench/janus.py puts it on a veth inside a private network namespace.)

    ``event_loops`` 0 is Janus's default (one thread and event loop per handle); N > 0
    is its static mode (N shared loops, handles spread over them).
    """
    loops = f"\tevent_loops = {event_loops}\n" if event_loops else ""
    (folder / "janus.jcfg").write_text(
        "general: {\n"
        f'\tconfigs_folder = "{folder}"\n'
        f'\tplugins_folder = "{libs / "plugins"}"\n'
        f'\ttransports_folder = "{libs / "transports"}"\n'
        f'\tevents_folder = "{libs / "events"}"\n'
        f'\tloggers_folder = "{libs / "loggers"}"\n'
        "\tdebug_level = 3\n"
        "\tsession_timeout = 0\n"
        f'\tadmin_secret = "{secrets.token_hex(16)}"\n'
        f"{loops}"
        "}\n"
        "media: {\n\tipv6 = false\n}\n"
        # ICE gathers on that one address; no STUN/TURN server configured
        f'nat: {{\n\tnice_debug = false\n\tice_enforce_list = "{ice_address}"\n}}\n'
        # only the plugin and transport loaded below (everything else in the folders off)
        f'plugins: {{\n\tdisable = "{others(libs / "plugins", "libjanus_videoroom.so")}"\n}}\n'
        f'transports: {{\n\tdisable = "{others(libs / "transports", "libjanus_http.so")}"\n}}\n'
        f'loggers: {{\n\tdisable = "{others(libs / "loggers", "")}"\n}}\n'
        "events: {\n\tbroadcast = false\n}\n"
    )
    (folder / "janus.transport.http.jcfg").write_text(
        "general: {\n"
        '\tjson = "plain"\n\tbase_path = "/janus"\n\thttp = true\n'
        f'\tport = {http_port}\n\tip = "127.0.0.1"\n\thttps = false\n'
        "}\n"
        "admin: {\n\tadmin_http = false\n\tadmin_https = false\n}\n"
    )
    (folder / "janus.plugin.videoroom.jcfg").write_text(
        "general: {\n}\n"
        f"room-{ROOM}: {{\n"
        '\tdescription = "bench"\n\tpublishers = 1\n'
        f'\tbitrate = {BITRATE}\n\tfir_freq = 0\n\tvideocodec = "vp8"\n'
        "\trecord = false\n\tnotify_joining = false\n"
        "}\n"
    )
    return folder / "janus.jcfg"


def others(folder: Path, keep: str) -> str:
    """The shared libraries in ``folder`` other than ``keep``, comma-separated."""
    names = {p.name for p in folder.glob("libjanus_*.so")}
    return ",".join(sorted(names - {keep}))


def process_cpu_s(pid: int) -> float:
    """CPU time of process ``pid`` so far (all its threads), from its CPU-time clock."""
    return time.clock_gettime(((~pid) << 3) | 2)  # MAKE_PROCESS_CPUCLOCK(pid, SCHED)


class JanusApiError(RuntimeError):
    pass


class JanusSession:
    """One Janus API session over HTTP: handles, plugin messages, a long-poll for events."""

    def __init__(self, base: str) -> None:
        self._base = base
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        self._session_url = ""
        self._events: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._poller: asyncio.Task[None] | None = None

    async def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "transaction": secrets.token_hex(8)}
        async with self._http.post(url, json=body) as response:
            reply: dict[str, Any] = await response.json(content_type=None)
        if reply.get("janus") == "error":
            raise JanusApiError(str(reply.get("error")))
        return reply

    async def create(self) -> None:
        reply = await self._post(self._base, {"janus": "create"})
        self._session_url = f"{self._base}/{reply['data']['id']}"
        self._poller = asyncio.create_task(self._poll())

    async def attach(self) -> int:
        reply = await self._post(
            self._session_url, {"janus": "attach", "plugin": "janus.plugin.videoroom"}
        )
        handle: int = reply["data"]["id"]
        self._events[handle] = asyncio.Queue()
        return handle

    async def message(
        self, handle: int, body: dict[str, Any], jsep: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, str] | None]:
        """Send a plugin request; return the plugin's event answering it (data, JSEP)."""
        request: dict[str, Any] = {"janus": "message", "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        await self._post(f"{self._session_url}/{handle}", request)
        while True:
            event = await asyncio.wait_for(self._events[handle].get(), EVENT_TIMEOUT_S)
            if event.get("janus") != "event":
                continue  # webrtcup, media, slowlink...: not an answer
            data: dict[str, Any] = event["plugindata"]["data"]
            if "error" in data:
                raise JanusApiError(f"{data.get('error_code')}: {data['error']}")
            return data, event.get("jsep")

    async def _poll(self) -> None:
        while True:
            async with self._http.get(f"{self._session_url}?maxev=10") as response:
                events = await response.json(content_type=None)
            for event in events if isinstance(events, list) else [events]:
                queue = self._events.get(event.get("sender", 0))
                if queue is not None:
                    queue.put_nowait(event)

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        if self._session_url:
            try:
                await self._post(self._session_url, {"janus": "destroy"})
            except (aiohttp.ClientError, JanusApiError):
                pass
        await self._http.close()


class JanusServer:
    """A Janus process answering bench/forward.py's server requests (see the module)."""

    def __init__(self, event_loops: int, ice_address: str) -> None:
        self.event_loops = event_loops
        self.ice_address = ice_address
        self._folder = Path(tempfile.mkdtemp(prefix="janus-bench-"))
        self._process: subprocess.Popen[bytes] | None = None
        self._api: JanusSession | None = None
        self._publisher_id = 0
        self._window = (0.0, 0.0)

    async def start(self) -> None:
        found = find_janus()
        if found is None:
            raise RuntimeError(INSTALL_HINT)
        binary, libs = found
        port = free_port()
        self._process = self._spawn(binary, write_config(
            self._folder, libs, port, self.event_loops, self.ice_address
        ))
        base = f"http://127.0.0.1:{port}/janus"
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        async with aiohttp.ClientSession() as probe:
            while True:
                if self._process.poll() is not None:
                    raise RuntimeError(f"janus exited at start: see {self.log_tail()}")
                try:
                    async with probe.get(f"{base}/info") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"janus did not answer on {base}: {self.log_tail()}")
                await asyncio.sleep(0.1)
        self._api = JanusSession(base)
        await self._api.create()

    def _spawn(self, binary: str, config: Path) -> subprocess.Popen[bytes]:
        with open(self._folder / "janus.log", "wb") as log:
            return subprocess.Popen(
                [binary, "-C", str(config), "-F", str(self._folder), "-o",
                 "-i", self.ice_address],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def log_tail(self) -> str:
        path = self._folder / "janus.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"

    @property
    def api(self) -> JanusSession:
        assert self._api is not None, "start() first"
        return self._api

    def cpu_s(self) -> float:
        assert self._process is not None
        return process_cpu_s(self._process.pid)

    async def call(self, *request: Any) -> Any:
        command, args = request[0], request[1:]
        if command == "publish":
            return await self._publish(*args)
        if command == "subscribe":
            return await self._subscribe(*args)
        if command == "answer":
            handle, answer = args
            await self.api.message(
                handle,
                {"request": "start", "room": ROOM},
                {"type": "answer", "sdp": answer, "trickle": False},
            )
            return None
        if command == "start":
            self._window = (self.cpu_s(), time.monotonic())
            return None
        if command == "stop":
            cpu0, wall0 = self._window
            # Janus's own counters are behind its admin API (off): count at the subscribers
            return self.cpu_s() - cpu0, time.monotonic() - wall0, None
        if command == "quit":
            await self.quit()
            return None
        raise ValueError(f"unknown request {command!r}")

    async def _publish(self, offer: str) -> str:
        handle = await self.api.attach()
        data, jsep = await self.api.message(
            handle,
            {"request": "joinandconfigure", "room": ROOM, "ptype": "publisher",
             "display": "publisher", "audio": False, "video": True},
            {"type": "offer", "sdp": offer, "trickle": False},
        )
        if jsep is None:
            raise JanusApiError(f"no answer to the publisher's offer: {data}")
        self._publisher_id = int(data["id"])
        return jsep["sdp"]

    async def _subscribe(self, name: str) -> tuple[int, str]:
        handle = await self.api.attach()
        data, jsep = await self.api.message(
            handle,
            {"request": "join", "room": ROOM, "ptype": "subscriber",
             "streams": [{"feed": self._publisher_id}]},
        )
        if jsep is None:
            raise JanusApiError(f"no offer for subscriber {name}: {data}")
        return handle, jsep["sdp"]

    async def quit(self) -> None:
        try:
            if self._api is not None:
                await self._api.close()
        finally:
            if self._process is not None:
                self._process.terminate()
                try:
                    await asyncio.get_running_loop().run_in_executor(
                        None, self._process.wait, 10
                    )
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            shutil.rmtree(self._folder, ignore_errors=True)

