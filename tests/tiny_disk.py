"""A real, tiny filesystem for disk-full tests: a tmpfs of a few hundred KB.

Mounting needs CAP_SYS_ADMIN (root here and in CI). Writes beyond its size fail with a
real ENOSPC from the kernel, cut wherever the kernel cuts them.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def tiny_disk(folder: Path, size_kb: int) -> Iterator[Path]:
    """``folder`` as a fresh tmpfs of ``size_kb`` KB, unmounted afterwards (lazily, should
    a file still be open)."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700", "tmpfs",
                    str(folder)], check=True, capture_output=True, timeout=30)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True,
                       timeout=30)
