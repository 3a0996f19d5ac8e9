"""The node settings (MENTORCALL_NODE_*): defaults, URL, lease against heartbeat."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from web.settings import Settings


def test_a_node_is_reached_at_its_bind_address_unless_told() -> None:
    assert Settings(port=9000).node_base_url == "http://127.0.0.1:9000"
    assert Settings(host="::1", port=9000).node_base_url == "http://[::1]:9000"
    told = Settings.from_env({"MENTORCALL_NODE_URL": "https://node-2.example.org/"})
    assert told.node_base_url == "https://node-2.example.org"
    defaults = Settings()
    assert (defaults.node_heartbeat_s, defaults.node_lease_s, defaults.drain_deadline_s,
            defaults.room_placement) == (1.0, 3.0, 30.0, True)


@pytest.mark.parametrize("env", [
    {"MENTORCALL_NODE_URL": "node-2.example.org"},
    {"MENTORCALL_NODE_LEASE_S": "1", "MENTORCALL_NODE_HEARTBEAT_S": "1"},
    {"MENTORCALL_NODE_ID": "has space"},
    {"MENTORCALL_NODE_MAX_ROOMS": "0"},
])
def test_bad_node_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings.from_env(env)
