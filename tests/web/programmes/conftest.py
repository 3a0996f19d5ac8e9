"""The programme API tests' deployments."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["memory", "redis"])
def deployment(request: pytest.FixtureRequest) -> dict[str, str]:
    """The server's settings: in-memory stores, or everything in a real redis-server."""
    if request.param == "redis":
        return {"redis_url": request.getfixturevalue("clean_redis_url")}
    return {}
