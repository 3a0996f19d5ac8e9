"""Person tokens and feed tokens: what verifies, and that join tokens never pass for them."""

from __future__ import annotations

import jwt
import pytest

from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.grants import JoinGrant, TokenSigner
from rooms.models import Role
from rooms.person_tokens import (
    PERSON_AUDIENCE,
    PERSON_TOKEN_TTL_S,
    FeedTokens,
    PersonTokens,
)

SECRET = "s3cret-for-tests-0123456789abcdef-xyz"
OTHER_SECRET = "another-secret-0123456789abcdef-uvw!"
NOW = 1_700_000_000.0


def code_of(tokens: PersonTokens, token: str | None) -> str:
    with pytest.raises(RoomError) as info:
        tokens.verify(token)
    return info.value.code


def test_a_person_token_names_its_person_for_ninety_days() -> None:
    clock = ManualClock(NOW)
    tokens = PersonTokens(SECRET, clock)
    token = tokens.issue("id-ada")
    assert tokens.verify(token) == "id-ada"
    clock.advance(PERSON_TOKEN_TTL_S - 1)
    assert tokens.verify(token) == "id-ada"
    clock.advance(1)
    assert code_of(tokens, token) == "token_expired"
    assert PERSON_TOKEN_TTL_S == 90 * 24 * 3600


def test_join_and_person_tokens_are_not_interchangeable() -> None:
    clock = ManualClock(NOW)
    signer, tokens = TokenSigner(SECRET, clock), PersonTokens(SECRET, clock)
    grant = JoinGrant(room_id="room-1", identity="id-ada", display_name="Ada",
                      role=Role.MENTOR, publish=True, subscribe=True)
    join_token = signer.issue(grant, 600)
    assert code_of(tokens, join_token) == "token_invalid"
    with pytest.raises(RoomError, match="token_invalid"):
        signer.verify(tokens.issue("id-ada"))


@pytest.mark.filterwarnings("ignore:The HMAC key")
def test_forged_or_odd_person_tokens_are_refused() -> None:
    tokens = PersonTokens(SECRET, ManualClock(NOW))
    base = {"sub": "id-ada", "kind": "person", "aud": PERSON_AUDIENCE, "iat": NOW,
            "nbf": NOW, "exp": NOW + 60, "iss": "mentorcall", "jti": "x"}
    cases = [
        jwt.encode(base, OTHER_SECRET, algorithm="HS256"),
        jwt.encode({**base, "kind": "join"}, SECRET, algorithm="HS256"),
        jwt.encode({**base, "aud": "someone-else"}, SECRET, algorithm="HS256"),
        jwt.encode({**base, "iss": "evil"}, SECRET, algorithm="HS256"),
        jwt.encode({k: v for k, v in base.items() if k != "sub"}, SECRET, algorithm="HS256"),
        jwt.encode(base, SECRET, algorithm="HS512"),
        jwt.encode(base, None, algorithm="none"),  # type: ignore[arg-type]
        "not.a.token",
        "x" * 5000,
    ]
    for token in cases:
        assert code_of(tokens, token) == "token_invalid", token
    assert code_of(tokens, None) == "token_missing"
    assert code_of(tokens, jwt.encode({**base, "nbf": NOW + 600}, SECRET,
                                      algorithm="HS256")) == "token_not_yet_valid"


def test_feed_tokens_are_derived_and_revoked_by_the_version() -> None:
    feeds = FeedTokens(SECRET)
    token = feeds.issue("id-ada", 0)
    assert feeds.identity_of(token) == "id-ada"
    assert feeds.check(token, "id-ada", 0)
    assert not feeds.check(token, "id-ada", 1)
    assert not feeds.check(token, "id-bob", 0)
    assert not FeedTokens(OTHER_SECRET).check(token, "id-ada", 0)
    assert feeds.issue("id-ada", 0) == token  # the same URL can be shown again
    for bad in ("", "id-ada", "id-ada.", ".abc", "id-ada.short", "a" * 300,
                "id-ada.x." + "0" * 32, "id-ada.-1." + "0" * 32, "a.b.c.d"):
        assert feeds.identity_of(bad) is None, bad
        assert feeds.verify(bad) is None, bad
    assert feeds.verify(token) == ("id-ada", 0)
    assert feeds.verify(feeds.issue("id-ada", 7)) == ("id-ada", 7)
    legacy = "id-ada." + token.rsplit(".", 1)[1]  # issued before the version was in it
    assert feeds.check(legacy, "id-ada", 0) and not feeds.check(legacy, "id-ada", 1)
    with pytest.raises(ValueError):
        PersonTokens("short")
    with pytest.raises(ValueError):
        FeedTokens("short")
