"""An access log that never writes the secrets some URLs carry."""

from __future__ import annotations

import re

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

# Private calendar feeds carry their token in the path; nothing else should, but a
# query string is dropped wholesale in case a client puts a token there.
SECRET_PATH = re.compile(r"^(/feeds/)[^/]+")


def redact(path: str) -> str:
    """The request path without feed tokens or query strings."""
    return SECRET_PATH.sub(r"\1<redacted>", path.split("?", 1)[0])


class RedactingAccessLogger(AbstractAccessLogger):
    """`METHOD /path STATUS duration` per request, with secrets taken out of the path."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %d %.1fms",
            request.remote,
            request.method,
            redact(request.raw_path),
            response.status,
            time * 1000,
        )
