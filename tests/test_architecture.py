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
