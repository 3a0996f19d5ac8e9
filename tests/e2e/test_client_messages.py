"""The browser client has a sentence for every error code the protocol documents."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def documented_codes() -> set[str]:
    doc = (ROOT / "docs" / "protocol.md").read_text()
    table = doc.split("## Error codes", 1)[1]
    return set(re.findall(r"^\| `([a-z_]+)` \|", table, re.MULTILINE))


def client_codes() -> set[str]:
    source = (ROOT / "web" / "client" / "src" / "call" / "messages.js").read_text()
    block = source.split("const ERROR_TEXT = {", 1)[1].split("};", 1)[0]
    return set(re.findall(r"^\s+([a-z_]+):", block, re.MULTILINE))


def test_every_documented_error_code_has_a_sentence() -> None:
    codes = documented_codes()
    assert "room_full" in codes and "token_expired" in codes
    assert codes <= client_codes(), f"no sentence in messages.js for {codes - client_codes()}"
