"""A throwaway S3-compatible server for tests: moto's server in a subprocess on loopback.

Like tests/redis_server.py it is a real server reached over the network (HTTP on
127.0.0.1), started and stopped by the tests; :meth:`S3Server.stop` and
:meth:`S3Server.start` on the same port simulate an outage.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from types import TracebackType
from typing import Any

import boto3

from rooms.recordings.s3_storage import S3Options
from tests.processes import end_process

CREDENTIALS = {"access_key": "test-access-key", "secret_key": "test-secret-key"}
REGION = "us-east-1"


def options(url: str, bucket: str, attempts: int = 3, timeout_s: float = 10.0) -> S3Options:
    """What the code needs to reach ``bucket`` on the server at ``url``."""
    return S3Options(bucket=bucket, endpoint_url=url, region=REGION,
                     access_key=CREDENTIALS["access_key"], secret_key=CREDENTIALS["secret_key"],
                     attempts=attempts, timeout_s=timeout_s)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class S3Server:
    """``python -m moto.server`` on 127.0.0.1 (a fixed port, so that it can come back)."""

    def __init__(self, port: int | None = None, startup_timeout_s: float = 30.0) -> None:
        self.port = port or free_port()
        self._timeout = startup_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> S3Server:
        env = {**os.environ, "AWS_ACCESS_KEY_ID": CREDENTIALS["access_key"],
               "AWS_SECRET_ACCESS_KEY": CREDENTIALS["secret_key"]}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {self._proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto server did not answer within {self._timeout}s")

    def stop(self) -> None:
        if self._proc is not None:
            end_process(self._proc, 10)
            self._proc = None

    def client(self) -> Any:
        """A plain boto3 client on this server, to look at what the code stored."""
        return boto3.client("s3", endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=CREDENTIALS["access_key"],
                            aws_secret_access_key=CREDENTIALS["secret_key"])

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
