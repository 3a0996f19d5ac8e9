"""Ending the helper processes the tests start (redis-server, coturn, moto, servers)."""

from __future__ import annotations

import subprocess


def end_process(proc: subprocess.Popen[bytes], timeout_s: float, hard: bool = False) -> None:
    """SIGTERM (SIGKILL when ``hard``) and wait up to ``timeout_s``; then SIGKILL and wait."""
    if hard:
        proc.kill()
    else:
        proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
