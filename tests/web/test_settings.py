"""Settings: environment parsing, loopback defaults, generated secrets kept private."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from web.settings import Settings


def test_defaults_listen_on_loopback_with_embedded_store() -> None:
    settings = Settings.from_env({})
    assert settings.host == "127.0.0.1"
    assert settings.redis_url == ""
    assert settings.ice_hosts == ("127.0.0.1",)
    assert settings.ice_servers == ()
    assert settings.base_url == "http://127.0.0.1:8080"


def test_environment_is_read() -> None:
    settings = Settings.from_env(
        {
            "MENTORCALL_PORT": "9000",
            "MENTORCALL_ICE_HOSTS": "10.0.0.5, 127.0.0.1",
            "MENTORCALL_PUBLIC_URL": "https://calls.example.org/",
            "MENTORCALL_REDIS_URL": "redis://127.0.0.1:6390/0",
        }
    )
    assert settings.port == 9000
    assert settings.ice_hosts == ("10.0.0.5", "127.0.0.1")
    assert settings.base_url == "https://calls.example.org"
    assert settings.redis_url == "redis://127.0.0.1:6390/0"


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValidationError):
        Settings.from_env({"MENTORCALL_PORT": "eighty"})
    with pytest.raises(ValidationError, match="MENTORCALL_SECRET must be at least 32 bytes"):
        Settings.from_env({"MENTORCALL_SECRET": "short"})
    with pytest.raises(ValidationError, match="MENTORCALL_ADMIN_KEY must be at least 32"):
        Settings.from_env({"MENTORCALL_ADMIN_KEY": "letmein"})


def test_an_empty_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "admin_key").write_text("\n")
    with pytest.raises(ValueError, match="at least 32 bytes"):
        Settings.from_env({}, data_dir=tmp_path).resolved_admin_key()


def test_generated_secrets_are_private_and_stable(tmp_path: Path) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path / "data")
    secret = settings.resolved_secret()
    assert len(secret) >= 32 and settings.resolved_secret() == secret
    mode = stat.S_IMODE((tmp_path / "data" / "secret").stat().st_mode)
    assert mode == 0o600
    assert settings.resolved_admin_key() != secret


def test_the_admin_key_hint_says_where_the_key_in_use_comes_from(tmp_path: Path) -> None:
    generated = Settings(data_dir=tmp_path)
    assert generated.admin_key_hint() == f"in {tmp_path / 'admin_key'}"
    key = generated.resolved_admin_key()
    assert (tmp_path / "admin_key").read_text().strip() == key
    configured = Settings(data_dir=tmp_path, admin_key="k" * 32)  # the old file is not it
    assert configured.resolved_admin_key() != key
    assert configured.admin_key_hint() == "from MENTORCALL_ADMIN_KEY"


def test_errors_do_not_echo_secrets() -> None:
    secret = "hunter2-short-secret"
    with pytest.raises(ValidationError) as caught:
        Settings.from_env({"MENTORCALL_SECRET": secret})
    assert secret not in str(caught.value)
    webhook_secret = "tiny-whsecret"
    with pytest.raises(ValidationError) as caught:
        Settings.from_env({"MENTORCALL_WEBHOOK_URL": "https://hooks.example.org/x",
                           "MENTORCALL_WEBHOOK_SECRET": webhook_secret})
    assert webhook_secret not in str(caught.value)


def test_turn_settings() -> None:
    secret = "turn-secret-0123456789abcdef-0123456789"
    settings = Settings.from_env({"MENTORCALL_TURN_URLS": "turn:198.51.100.7:3478, "
                                  "turns:turn.example.org:5349?transport=tcp",
                                  "MENTORCALL_TURN_SECRET": secret,
                                  "MENTORCALL_TURN_TTL_S": "900"})
    config = settings.turn_config()
    assert config is not None
    assert config.urls == ("turn:198.51.100.7:3478", "turns:turn.example.org:5349?transport=tcp")
    assert (config.secret, config.ttl_s) == (secret, 900)
    assert Settings.from_env({}).turn_config() is None
    assert secret not in repr(settings)
    for env, message in (
        ({"MENTORCALL_TURN_URLS": "turn:x:3478"}, "MENTORCALL_TURN_SECRET"),
        ({"MENTORCALL_TURN_URLS": "turn:x:3478", "MENTORCALL_TURN_SECRET": "short"},
         "at least 32 bytes"),
        ({"MENTORCALL_TURN_URLS": "stun:x:3478", "MENTORCALL_TURN_SECRET": secret},
         "turn: or turns:"),
        ({"MENTORCALL_TURN_SECRET": secret}, "MENTORCALL_TURN_URLS is not"),
        ({"MENTORCALL_ICE_SERVERS": "stun:x:3478,turn:x:3478"}, "put TURN servers in"),
    ):
        with pytest.raises(ValidationError, match=message) as caught:
            Settings.from_env(env)
        assert secret not in str(caught.value)
