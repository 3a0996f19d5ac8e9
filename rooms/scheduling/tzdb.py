"""The one time-zone database mentorcall uses: the pinned ``tzdata`` package.

``zoneinfo.ZoneInfo(name)`` reads the machine's zone files first (``zoneinfo.TZPATH``) and
falls back to ``tzdata`` only when they are missing, so the rules in force depended on
how old the host's files were (a host with 2025b rules put every Vancouver session from
November 2026 an hour off). Here every zone is read from the ``tzdata`` package's own files
(``importlib.resources``) and built with ``ZoneInfo.from_file``; ``zoneinfo.TZPATH`` is
never consulted, and the version is the package's ``IANA_VERSION``.

A :class:`ZoneSource` is one such database. :func:`current` is the one in use; tests (and
the rules-change check of :mod:`.rule_changes`) can put another one in place with
:func:`use` to compare how two rule sets place the same local time.

Each source keeps one ``ZoneInfo`` per name: ``from_file`` objects are not cached by
``zoneinfo`` and two of them never compare equal, while datetime arithmetic between two
times of the *same* tzinfo object is wall-clock arithmetic, so one object per name keeps
the semantics of ``ZoneInfo(name)`` (which is cached the same way).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import tzdata

_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")


class ZoneSource:
    """One set of zone rules: a version, the zone names it lists and how to open a zone.

    ``opener(name)`` returns the TZif bytes of ``name`` as a binary file, or None if the
    source has no such zone.
    """

    def __init__(self, version: str, names: frozenset[str],
                 opener: Callable[[str], IO[bytes] | None]) -> None:
        self.version = version
        self.names = names
        self._opener = opener
        self._zones: dict[str, ZoneInfo] = {}
        self._lock = threading.Lock()

    def zone(self, name: str) -> ZoneInfo | None:
        """The zone ``name`` from this source (the same object every time), or None."""
        found = self._zones.get(name)
        if found is not None:
            return found
        if not _NAME.match(name):
            return None
        with self._lock:
            found = self._zones.get(name)
            if found is None:
                handle = self._opener(name)
                if handle is None:
                    return None
                with handle:
                    found = ZoneInfo.from_file(handle, key=name)
                self._zones[name] = found
        return found


def _package_opener(name: str) -> IO[bytes] | None:
    resource = files("tzdata.zoneinfo").joinpath(*name.split("/"))
    try:
        if not resource.is_file():
            return None
        return resource.open("rb")
    except (OSError, ValueError):
        return None


def _package_names() -> frozenset[str]:
    listing = files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in listing.splitlines() if line.strip())


def package_source() -> ZoneSource:
    """The rules of the installed ``tzdata`` package (the pinned dependency)."""
    return ZoneSource(tzdata.IANA_VERSION, _package_names(), _package_opener)


def directory_source(root: Path, version: str,
                     names: frozenset[str] | None = None) -> ZoneSource:
    """Rules read from a directory of TZif files laid out like ``tzdata.zoneinfo`` (for
    tests: another rule set to compare with, e.g. older rules for one zone)."""

    def opener(name: str) -> IO[bytes] | None:
        path = root.joinpath(*name.split("/"))
        return path.open("rb") if path.is_file() else None

    listed = names if names is not None else frozenset(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    return ZoneSource(version, listed, opener)


_current = package_source()


def current() -> ZoneSource:
    """The zone rules in use."""
    return _current


def version() -> str:
    """The IANA version of the rules in use, e.g. ``2026f``."""
    return _current.version


def load(name: str) -> ZoneInfo | None:
    """The zone ``name`` under the rules in use, or None if there is none."""
    return _current.zone(name)


def available_zones() -> frozenset[str]:
    """The IANA zone names of the rules in use (what the server accepts and offers)."""
    return _current.names


@contextmanager
def use(source: ZoneSource) -> Iterator[ZoneSource]:
    """Put ``source`` in use for the ``with`` block (tests: another rule set)."""
    global _current
    previous, _current = _current, source
    try:
        yield source
    finally:
        _current = previous
