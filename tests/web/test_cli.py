"""The command line talks to a running server as the admin."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rooms.programmes.store import MemoryProgrammeStore
from tests.live_server import ADMIN_KEY, LiveServer, ThreadedServer
from web.cli import main
from web.programmes.setup import PROGRAMMES


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


def test_create_programme_imports_a_csv_and_lists_bad_rows(
    threaded: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("MENTORCALL_ADMIN_KEY", ADMIN_KEY)
    sample = Path(__file__).resolve().parents[2] / "docs" / "sample-programme.csv"
    args = ["create-programme", "--name", "Spring", "--csv", str(sample)]
    assert main(cli(threaded, *args)) == 0
    out = capsys.readouterr().out
    assert "programme Spring: 6 people imported" in out
    assert f"admin page: {threaded.base_url}/programmes#programme=" in out
    assert f"Kenji Sato (mentee, Asia/Tokyo): {threaded.base_url}/schedule#token=" in out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(sample.read_bytes().replace(b"Asia/Tokyo", b"Asia/Tokio"))
    args[-1] = str(bad)
    store = threaded.app[PROGRAMMES].service.store
    assert isinstance(store, MemoryProgrammeStore)
    before = len(store._programmes)
    assert main(cli(threaded, *args)) == 1
    err = capsys.readouterr().err
    assert "row 5 (kenji): 'Asia/Tokio' is not an IANA time zone." in err
    assert "no programme was created" in err
    assert len(store._programmes) == before  # a bad file leaves no empty programme
    args[-1] = str(tmp_path / "missing.csv")
    assert main(cli(threaded, *args)) == 1
    assert "can't read" in capsys.readouterr().err


def test_serve_on_a_taken_port_says_so_without_a_traceback(tmp_path: Path) -> None:
    """A second server on a port in use: one clear line and exit 1, not an OSError dump;
    the start-up line names where the admin key comes from."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"PATH": "/usr/bin:/bin", "MENTORCALL_DATA_DIR": str(tmp_path / "data"),
               "MENTORCALL_RECORDINGS_DIR": str(tmp_path / "recordings"),
               "MENTORCALL_ADMIN_KEY": ADMIN_KEY}
        done = subprocess.run([sys.executable, "-m", "web.cli", "--host", "127.0.0.1",
                               "--port", str(port), "serve"], env=env, capture_output=True,
                              text=True, timeout=60, cwd=Path(__file__).parents[2])
    assert done.returncode == 1, done
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr, done.stderr
    assert "set MENTORCALL_PORT" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "admin key: from MENTORCALL_ADMIN_KEY" in done.stdout, done.stdout
    assert "listening" not in done.stdout
