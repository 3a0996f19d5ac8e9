"""Join tokens: what verifies, and that everything else fails with a token_* code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.grants import CLOCK_SKEW_S, JoinGrant, TokenSigner
from rooms.models import Role

SECRET = "s3cret-for-tests-0123456789abcdef-xyz"
OTHER_SECRET = "another-secret-0123456789abcdef-uvw!"
NOW = 1_700_000_000.0
TTL = 600

GRANT = JoinGrant(
    room_id="room-1",
    identity="id-ada",
    display_name="Ada",
    role=Role.MENTOR,
    publish=True,
    subscribe=True,
)


def signer(now: float = NOW, secret: str = SECRET) -> TokenSigner:
    return TokenSigner(secret, ManualClock(now))


def code_of(token: str | None, room_id: str | None = None, now: float = NOW) -> str:
    with pytest.raises(RoomError) as info:
        signer(now).verify(token, room_id)
    return info.value.code


def b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(segment: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return data


def sign_raw(header: dict[str, Any], claims: dict[str, Any], digest: str = "sha256") -> str:
    """A token signed with SECRET over whatever JSON we like (jwt.encode vets its input)."""
    signing_input = f"{b64(header)}.{b64(claims)}"
    mac = hmac.new(SECRET.encode(), signing_input.encode(), getattr(hashlib, digest)).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


HS256 = {"alg": "HS256", "typ": "JWT"}


def flip(segment: str, index: int) -> str:
    c = segment[index]
    return segment[:index] + ("B" if c == "A" else "A") + segment[index + 1 :]


def valid_claims(**overrides: Any) -> dict[str, Any]:
    claims = unb64(signer().issue(GRANT, TTL).split(".")[1])
    claims.update(overrides)
    return claims


# --- the good path -----------------------------------------------------------------------


def test_round_trip() -> None:
    token = signer().issue(GRANT, TTL)
    grant = signer(NOW + TTL - 1).verify(token, "room-1")
    assert grant == GRANT.model_copy(update={"not_before": NOW})


def test_all_rights_and_not_before_survive() -> None:
    g = GRANT.model_copy(
        update={"role": Role.HOST, "publish": False, "record": True, "admin": True}
    )
    scheduled = g.model_copy(update={"not_before": NOW + 60})
    token = signer().issue(scheduled, TTL)
    assert signer(NOW + 60).verify(token) == scheduled


def test_claims_carried() -> None:
    claims = unb64(signer().issue(GRANT, TTL).split(".")[1])
    assert claims["sub"] == "id-ada"
    assert claims["room"] == "room-1"
    assert claims["name"] == "Ada"
    assert claims["role"] == "mentor"
    assert claims["grants"] == {"publish": True, "subscribe": True, "record": False, "admin": False}
    assert claims["iss"] == "mentorcall"
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (NOW, NOW, NOW + TTL)
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16


def test_each_token_has_its_own_id() -> None:
    s = signer()
    ids = {unb64(s.issue(GRANT, TTL).split(".")[1])["jti"] for _ in range(5)}
    assert len(ids) == 5


def test_header_is_hs256() -> None:
    header = unb64(signer().issue(GRANT, TTL).split(".")[0])
    assert header["alg"] == "HS256"


# --- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, ""])
def test_missing(token: str | None) -> None:
    assert code_of(token) == "token_missing"


def test_expired() -> None:
    token = signer().issue(GRANT, TTL)
    assert code_of(token, now=NOW + TTL) == "token_expired"  # exp is exclusive, no leeway
    assert code_of(token, now=NOW + 10 * TTL) == "token_expired"


def test_not_yet_valid() -> None:
    token = signer().issue(GRANT.model_copy(update={"not_before": NOW + 60}), TTL)
    assert code_of(token) == "token_not_yet_valid"
    # A few seconds of skew between machines are tolerated.
    assert signer(NOW + 60 - CLOCK_SKEW_S).verify(token).identity == "id-ada"
    assert code_of(token, now=NOW + 60 - CLOCK_SKEW_S - 1) == "token_not_yet_valid"


def test_issued_by_a_clock_slightly_ahead_works_at_once() -> None:
    token = signer(NOW + CLOCK_SKEW_S).issue(GRANT, TTL)
    assert signer(NOW).verify(token).identity == "id-ada"


def test_wrong_room() -> None:
    token = signer().issue(GRANT, TTL)
    assert code_of(token, room_id="room-2") == "token_wrong_room"


def test_tampered_payload_character() -> None:
    header, payload, sig = signer().issue(GRANT, TTL).split(".")
    tampered = f"{header}.{flip(payload, len(payload) // 2)}.{sig}"
    assert code_of(tampered) == "token_invalid"


def test_tampered_signature_character() -> None:
    header, payload, sig = signer().issue(GRANT, TTL).split(".")
    # Not the last character: its low bits are padding and may not change the bytes.
    assert code_of(f"{header}.{payload}.{flip(sig, 10)}") == "token_invalid"


def test_escalated_claims_with_the_old_signature() -> None:
    header, _, sig = signer().issue(GRANT, TTL).split(".")
    payload = b64(valid_claims(grants={"publish": 1, "subscribe": 1, "record": 1, "admin": 1}))
    assert code_of(f"{header}.{payload}.{sig}") == "token_invalid"


def test_alg_none_is_refused() -> None:
    header = b64({"alg": "none", "typ": "JWT"})
    forged = f"{header}.{b64(valid_claims(role='host'))}."
    assert code_of(forged) == "token_invalid"


def test_rs256_is_refused() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(valid_claims(), key, algorithm="RS256")
    assert code_of(forged) == "token_invalid"


def test_other_hmac_algorithms_are_refused() -> None:
    forged = sign_raw({"alg": "HS512", "typ": "JWT"}, valid_claims(), digest="sha512")
    assert code_of(forged) == "token_invalid"


def test_another_secret() -> None:
    token = signer(secret=OTHER_SECRET).issue(GRANT, TTL)
    assert code_of(token) == "token_invalid"


def test_another_issuer() -> None:
    token = TokenSigner(SECRET, ManualClock(NOW), issuer="elsewhere").issue(GRANT, TTL)
    assert code_of(token) == "token_invalid"


@pytest.mark.parametrize("claim", ["sub", "room", "name", "role", "grants", "exp", "nbf", "jti"])
def test_missing_claims(claim: str) -> None:
    claims = valid_claims()
    del claims[claim]
    assert code_of(sign_raw(HS256, claims)) == "token_invalid"


def test_sign_raw_makes_tokens_that_verify() -> None:
    assert signer().verify(sign_raw(HS256, valid_claims())).identity == "id-ada"


@pytest.mark.parametrize(
    "overrides",
    [
        {"role": "emperor"},
        {"exp": "tomorrow"},
        {"exp": True},
        {"room": "bad room id!"},
        {"grants": {"publish": "yes", "subscribe": True, "record": False, "admin": False}},
        {"grants": []},
        {"sub": ""},
        {"iss": None},
        {"exp": float("nan")},
    ],
)
def test_signed_but_malformed_claims(overrides: dict[str, Any]) -> None:
    assert code_of(sign_raw(HS256, valid_claims(**overrides))) == "token_invalid"


def test_garbage() -> None:
    for token in ["x", "a.b.c", "....", "é.é.é", "\x00", "Bearer abc", "a" * 10_000]:
        assert code_of(token) == "token_invalid", token


# --- construction and issue rules --------------------------------------------------------


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenSigner("too-short", ManualClock(NOW))
    TokenSigner("x" * 32, ManualClock(NOW))


def test_ttl_must_be_positive() -> None:
    with pytest.raises(ValueError):
        signer().issue(GRANT, 0)


def test_not_before_after_expiry_is_refused() -> None:
    with pytest.raises(ValueError):
        signer().issue(GRANT.model_copy(update={"not_before": NOW + TTL}), TTL)


# --- property: nothing from the wire raises anything but a token_* RoomError -------------

VALID = signer().issue(GRANT, TTL)
JWT_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


def assert_token_error_or_grant(token: str) -> None:
    try:
        grant = signer().verify(token, "room-1")
    except RoomError as exc:
        assert exc.code.startswith("token_"), exc.code
    else:
        assert grant.room_id == "room-1"


@given(st.text(max_size=600))
def test_random_text_is_a_token_error(token: str) -> None:
    with pytest.raises(RoomError) as info:
        signer().verify(token, "room-1")
    assert info.value.code.startswith("token_")


@given(st.text(alphabet=JWT_CHARS, max_size=600))
def test_random_jwt_alphabet_is_a_token_error(token: str) -> None:
    assert_token_error_or_grant(token)


@given(st.integers(0, len(VALID) - 1), st.text(alphabet=JWT_CHARS, min_size=1, max_size=3))
def test_mutated_valid_token(index: int, replacement: str) -> None:
    mutated = VALID[:index] + replacement + VALID[index + 1 :]
    try:
        grant = signer().verify(mutated, "room-1")
    except RoomError as exc:
        assert exc.code.startswith("token_"), exc.code
    else:
        # Only a change confined to base64 padding bits can leave the token valid.
        assert grant == signer().verify(VALID, "room-1")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@given(st.dictionaries(st.sampled_from(sorted(valid_claims())) | st.text(max_size=8), JSON))
def test_correctly_signed_odd_payloads(overrides: dict[str, Any]) -> None:
    assert_token_error_or_grant(sign_raw(HS256, valid_claims(**overrides)))


@given(st.dictionaries(st.text(max_size=8), JSON))
def test_odd_headers(header: dict[str, Any]) -> None:
    _, payload, sig = VALID.split(".")
    assert_token_error_or_grant(f"{b64(header)}.{payload}.{sig}")


def test_a_token_without_the_share_claim_is_personal() -> None:
    """Tokens issued before shareable links existed keep their meaning."""
    assert signer().verify(sign_raw(HS256, valid_claims())).shareable is False
    shared = signer().verify(signer().issue(GRANT.model_copy(update={"shareable": True}), TTL))
    assert shared.shareable is True
    assert code_of(sign_raw(HS256, valid_claims(share="yes"))) == "token_invalid"


def test_observers_never_publish() -> None:
    with pytest.raises(ValueError, match="observer"):
        JoinGrant.model_validate(GRANT.model_dump() | {"role": "observer"})
    signed = sign_raw(HS256, valid_claims(role="observer"))  # a token that says publish
    grant = signer().verify(signed)
    assert (grant.role, grant.publish, grant.subscribe) == (Role.OBSERVER, False, True)
