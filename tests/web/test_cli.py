"""The command line talks to a running server as the admin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live_server import ADMIN_KEY, LiveServer, ThreadedServer
from web.cli import main


@pytest.fixture(scope="module")
def threaded() -> Iterator[LiveServer]:
    with ThreadedServer() as server:
        yield server


def cli(server: LiveServer, *args: str) -> list[str]:
    port = server.base_url.rsplit(":", 1)[1]
    return ["--host", "127.0.0.1", "--port", port, *args]


def test_create_room_prints_two_links(
    threaded: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MENTORCALL_ADMIN_KEY", ADMIN_KEY)
    assert main(cli(threaded, "create-room", "--mentor", "Ada", "--mentee", "Grace")) == 0
    out = capsys.readouterr().out
    assert f"mentor (Ada): {threaded.base_url}/join#token=" in out
    assert f"mentee (Grace): {threaded.base_url}/join#token=" in out


def test_add_person_prints_a_schedule_link_and_refuses_bad_zones(
    threaded: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MENTORCALL_ADMIN_KEY", ADMIN_KEY)
    args = ["add-person", "--name", "Kenji", "--role", "mentee", "--zone", "Asia/Tokyo"]
    assert main(cli(threaded, *args)) == 0
    assert f"schedule link: {threaded.base_url}/schedule#token=" in capsys.readouterr().out
    args[-1] = "Mars/Base"
    assert main(cli(threaded, *args)) == 1
    assert "not an IANA time zone" in capsys.readouterr().err


def test_wrong_admin_key_and_no_server_are_explained(
    threaded: LiveServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MENTORCALL_ADMIN_KEY", "x" * 40)
    assert main(cli(threaded, "create-room")) == 1
    assert "admin key" in capsys.readouterr().err
    assert main(["--port", "9", "create-room"]) == 1
    assert "is the server running?" in capsys.readouterr().err


def test_create_roundtable_prints_host_named_and_shareable_links(
    threaded: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MENTORCALL_ADMIN_KEY", ADMIN_KEY)
    args = ["create-roundtable", "--host-name", "Hana", "--co-host", "Ana",
            "--participant", "Lou", "--observer", "Olu", "--shareable", "--lobby"]
    assert main(cli(threaded, *args)) == 0
    out = capsys.readouterr().out
    assert "lobby on" in out
    for line in ("host (Hana): ", "co-host (Ana): ", "participant (Lou): ",
                 "observer (Olu): ", "shareable participant link: "):
        assert f"{line}{threaded.base_url}/join#token=" in out, (line, out)
    # nobody named: the shareable link is made anyway, so the room can be used
    assert main(cli(threaded, "create-roundtable")) == 0
    assert "shareable participant link: " in capsys.readouterr().out
