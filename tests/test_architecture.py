"""The dependency direction web → signaling → (rooms, media), enforced by reading imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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
