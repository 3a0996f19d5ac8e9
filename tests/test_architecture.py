"""The dependency direction web → signaling → (rooms, media), enforced by reading imports."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from media.config import MediaConfig
from media.sfu import Sfu
from rooms.clock import SystemClock
from rooms.grants import TokenSigner
from rooms.memory_store import MemoryRoomStore
from rooms.service import RoomService
from signaling.handlers import Connections, EventSpec
from signaling.namespace import CallNamespace
from signaling.options import SignalingOptions
from signaling.payloads import LeavePayload

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rooms", "media", "signaling", "web")

# What each package may import from the project (itself always allowed).
ALLOWED: dict[str, set[str]] = {
    "rooms": set(),
    "media": set(),
    "signaling": {"rooms", "media"},
    "web": {"signaling", "rooms", "media"},
}
# Third-party libraries kept out of the lower layers (see ARCHITECTURE.md).
FORBIDDEN_LIBRARIES: dict[str, set[str]] = {
    "rooms": {"socketio", "engineio", "aiohttp", "aiortc", "av", "aioice"},
    "media": {"socketio", "engineio", "aiohttp", "redis", "pydantic", "jwt"},
    "signaling": {"aiohttp"},
}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports (absolute imports only)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def package_files(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "node_modules" not in p.parts)


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_follow_dependency_direction(package: str) -> None:
    files = package_files(package)
    assert files, f"{package}/ has no Python files"
    violations = []
    for path in files:
        imported = imported_modules(path)
        for other in (set(PACKAGES) - {package}) & imported:
            if other not in ALLOWED[package]:
                violations.append(f"{path.relative_to(ROOT)} imports {other}")
        for library in FORBIDDEN_LIBRARIES.get(package, set()) & imported:
            violations.append(f"{path.relative_to(ROOT)} imports {library}")
    assert not violations, "\n".join(violations)


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    """The reader catches both import forms, so the rule above can fail."""
    sample = tmp_path / "sample.py"
    sample.write_text("import web.app\nfrom signaling import namespace\nfrom . import local\n")
    assert imported_modules(sample) == {"web", "signaling"}


def capabilities() -> list[str]:
    """The domain subpackages of rooms/ (scheduling today; notes, recordings... next)."""
    return sorted(p.parent.name for p in (ROOT / "rooms").glob("*/__init__.py"))


def prefix_groups(names: list[str]) -> dict[str, list[str]]:
    """Module names grouped by the word before their first underscore (groups of 2+)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        if "_" in name:
            groups.setdefault(name.split("_")[0], []).append(name)
    return {prefix: group for prefix, group in groups.items() if len(group) > 1}


def test_each_capability_has_its_folder_in_web() -> None:
    """ARCHITECTURE.md: a capability's HTTP side is one folder in web/, named like its domain."""
    found = capabilities()
    assert "scheduling" in found
    missing = [name for name in found if not (ROOT / "web" / name / "__init__.py").exists()]
    assert not missing, f"no web/<capability>/ package for {missing}"


def test_web_has_no_modules_sharing_a_prefix() -> None:
    """A prefix like scheduling_*.py in web/ is the sign of a missing folder."""
    names = [p.stem for p in (ROOT / "web").glob("*.py")]
    groups = prefix_groups(names)
    assert not groups, f"web/ modules share a prefix, give them a folder: {groups}"
    leaking = [n for n in names for cap in capabilities() if n.startswith(f"{cap}_")]
    assert not leaking, f"capability modules outside their folder: {leaking}"


def test_prefix_rule_can_fail() -> None:
    assert prefix_groups(["scheduling_api", "scheduling_views", "app", "access_log"]) == {
        "scheduling": ["scheduling_api", "scheduling_views"]
    }


def test_client_sources_are_one_folder_per_page() -> None:
    """web/client/src/ holds page folders and shared/; only the landing page sits at the top."""
    src = ROOT / "web" / "client" / "src"
    loose = sorted(p.name for p in src.iterdir() if p.is_file() and p.name != "landing.html")
    assert not loose, f"client files outside a page folder: {loose}"
    assert {"call", "schedule", "shared"} <= {p.name for p in src.iterdir() if p.is_dir()}


# -- signaling: namespace.py is the dispatcher; each capability is a handler module ------

NAMESPACE_MAX_LINES = 250
SIGNALING_MAX_LINES = 400
# Only these signaling modules may know Socket.IO; handler modules use the Connections port.
SOCKETIO_MODULES = {"namespace.py", "server.py"}


def call_namespace() -> CallNamespace:
    clock = SystemClock()
    signer = TokenSigner("a secret for the architecture test only", clock)
    service = RoomService(MemoryRoomStore(clock), signer, clock)
    return CallNamespace(service, Sfu(MediaConfig()), SignalingOptions(), clock)


def misplaced_handlers(table: Mapping[str, EventSpec], dispatcher: str) -> list[str]:
    """Events not bound to a method of a handler module (an object whose own `events()`
    lists that method) defined in a module other than `dispatcher`."""
    wrong = []
    for event, spec in table.items():
        owner = getattr(spec.handler, "__self__", None)
        events = getattr(owner, "events", None)
        if (owner is None or type(owner).__module__ == dispatcher or not callable(events)
                or events().get(event) != spec):
            wrong.append(event)
    return wrong


def handler_definitions(path: Path, events: Iterable[str]) -> list[str]:
    """Functions in `path` named after an event (`join`, `_join`, `on_join`)."""
    names = {f"{prefix}{event}" for event in events for prefix in ("", "_", "on_")}
    tree = ast.parse(path.read_text(), filename=str(path))
    return sorted(node.name for node in ast.walk(tree)
                  if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.name in names)


def test_every_event_is_handled_by_a_handler_module_outside_the_namespace() -> None:
    table = call_namespace().events
    assert {"join", "publish", "subscribe", "subscription_answer", "mute", "leave"} <= set(table)
    assert misplaced_handlers(table, "signaling.namespace") == []
    assert handler_definitions(ROOT / "signaling" / "namespace.py", table) == []


def test_namespace_implements_the_connections_port() -> None:
    """socketio is untyped, so mypy cannot check that the namespace is a Connections."""
    namespace = call_namespace()
    members = [name for name in vars(Connections) if not name.startswith("_")]
    assert {"emit", "enter_room", "leave_room", "disconnect", "is_open"} <= set(members)
    assert all(inspect.ismethod(getattr(namespace, name, None)) for name in members)


def test_namespace_stays_small_and_signaling_modules_under_the_limit() -> None:
    namespace_lines = len((ROOT / "signaling" / "namespace.py").read_text().splitlines())
    assert namespace_lines < NAMESPACE_MAX_LINES, "namespace.py is the dispatcher only"
    long = {p.name: n for p in package_files("signaling")
            if (n := len(p.read_text().splitlines())) >= SIGNALING_MAX_LINES}
    assert not long, f"split these signaling modules: {long}"


def test_only_the_namespace_and_server_know_socketio() -> None:
    knowing = {p.name for p in package_files("signaling")
               if {"socketio", "engineio"} & imported_modules(p)}
    assert knowing <= SOCKETIO_MODULES, f"use the Connections port: {knowing - SOCKETIO_MODULES}"


class _InlineHandlers:
    """A handler module whose table lies about its methods."""

    async def join(self, sid: str, payload: Any) -> dict[str, Any]:
        return {"ok": True}

    def events(self) -> Mapping[str, EventSpec]:
        return {"join": EventSpec(LeavePayload, self.join)}


def test_handler_rules_can_fail(tmp_path: Path) -> None:
    async def loose(sid: str, payload: Any) -> dict[str, Any]:
        return {"ok": True}

    module = _InlineHandlers()
    assert misplaced_handlers({"join": EventSpec(LeavePayload, loose)}, "x") == ["join"]
    assert misplaced_handlers(module.events(), __name__) == ["join"]
    assert misplaced_handlers(module.events(), "signaling.namespace") == []
    assert misplaced_handlers({"leave": EventSpec(LeavePayload, module.join)}, "x") == ["leave"]
    sample = tmp_path / "namespace.py"
    sample.write_text("class N:\n    async def _join(self): ...\n    def on_mute(self): ...\n")
    assert handler_definitions(sample, ["join", "mute", "leave"]) == ["_join", "on_mute"]
