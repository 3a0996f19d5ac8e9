"""A recorded two-person call (real aiortc publishers through the Sfu, the Recorder's
track files and sidecars), made once for the composition tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.media.composition.recorded import record_call

RECORD_S = 6.0


@pytest.fixture(scope="session")
def call(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("call") / "tracks"
    asyncio.run(record_call(folder, RECORD_S))
    yield folder
