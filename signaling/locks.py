"""Locks looked up by key that disappear once nobody holds or waits on them."""

from __future__ import annotations

import asyncio
import weakref


class KeyedLocks:
    """One asyncio.Lock per key (a participant, a connection), without leaking keys.

    Entries are weak: a lock lives while some coroutine holds or waits on it, so a
    long-running server keeps no lock for a participant who has gone.
    """

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    def __len__(self) -> int:
        return len(self._locks)
