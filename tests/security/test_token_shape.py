"""The Authorization header and the token's shape and JOSE header, all checked before any key is looked up."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from cds_hooks.security import MAX_TOKEN_BYTES, Rejection

from .tokens import AUDIENCE, SigningKey, b64url, bearer, claims, compact_jws, pinned_issuer, without
from .verifying import MakeVerifier, refusal, refusal_of_header

_HEADER = b64url(json.dumps({"alg": "ES384", "typ": "JWT", "kid": "k"}).encode())
_CLAIMS = b64url(json.dumps({"iss": "https://ehr.example.org"}).encode())
MALFORMED = {
    "garbage": "garbage",
    "two segments": f"{_HEADER}.{_CLAIMS}",
    "four segments": f"{_HEADER}.{_CLAIMS}.c2ln.c2ln",
    "not base64url": f"{_HEADER}.{_CLAIMS}.c2ln+/==",
    "padded base64": f"{_HEADER}=.{_CLAIMS}.c2ln",
    "header not JSON": f"{b64url(b'hello')}.{_CLAIMS}.c2ln",
    "header a JSON array": f"{b64url(b'[1, 2]')}.{_CLAIMS}.c2ln",
    "claims not JSON": f"{_HEADER}.{b64url(b'{not json')}.c2ln",
    "claims a JSON string": f"{_HEADER}.{b64url(json.dumps('text').encode())}.c2ln",
    "kid not a string": f"{b64url(json.dumps({'alg': 'ES384', 'kid': 7}).encode())}.{_CLAIMS}.c2ln",
}


async def test_a_request_without_authorization_is_refused(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier(pinned_issuer(es384))
    assert await refusal_of_header(verifier, None) == Rejection.missing_authorization
    assert await refusal_of_header(verifier, "") == Rejection.missing_authorization


@pytest.mark.parametrize("scheme", ["Basic", "Token", "JWT", "Bearer:"])
async def test_a_scheme_other_than_bearer_is_refused(
    scheme: str, es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(pinned_issuer(es384))
    assert await refusal_of_header(verifier, f"{scheme} {es384.mint()}") == Rejection.not_bearer


async def test_the_bearer_scheme_is_matched_without_regard_to_case(
    es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    verified = await make_verifier(pinned_issuer(es384)).verify(f"bearer {es384.mint()}", AUDIENCE)
    assert verified.issuer == "https://ehr.example.org"


async def test_a_bearer_header_without_a_token_is_refused(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier(pinned_issuer(es384))
    assert await refusal_of_header(verifier, "Bearer ") == Rejection.malformed


@pytest.mark.parametrize("token", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_token_is_refused(token: str, es384: SigningKey, make_verifier: MakeVerifier) -> None:
    assert await refusal(make_verifier(pinned_issuer(es384)), token) == Rejection.malformed


async def test_a_token_over_8_kib_is_refused_even_when_validly_signed(
    es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    token = es384.mint(claims(padding="x" * MAX_TOKEN_BYTES))
    assert await refusal(make_verifier(pinned_issuer(es384)), token) == Rejection.too_large


async def test_a_token_just_under_8_kib_is_accepted(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    unpadded = len(es384.mint(claims(padding="")))
    token = es384.mint(claims(padding="x" * ((MAX_TOKEN_BYTES - unpadded) * 3 // 4 - 8)))  # base64: 4 chars per 3
    assert MAX_TOKEN_BYTES - 64 < len(token) <= MAX_TOKEN_BYTES
    assert (await make_verifier(pinned_issuer(es384)).verify(bearer(token), AUDIENCE)).issuer


async def test_alg_none_is_refused(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    unsigned = compact_jws(es384.header(alg="none"), claims(), lambda signing_input: b"")
    assert await refusal(make_verifier(pinned_issuer(es384)), unsigned) == Rejection.algorithm_not_allowed


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
async def test_hmac_algorithms_are_refused(alg: str, es384: SigningKey, make_verifier: MakeVerifier) -> None:
    digest = getattr(hashlib, f"sha{alg[2:]}")
    token = compact_jws(es384.header(alg=alg), claims(), lambda data: hmac.new(b"s" * 64, data, digest).digest())
    assert await refusal(make_verifier(pinned_issuer(es384)), token) == Rejection.algorithm_not_allowed


@pytest.mark.parametrize("key_name", ["es384", "rs384"])
async def test_hs384_keyed_with_the_issuers_own_public_key_is_refused(
    key_name: str, request: pytest.FixtureRequest, make_verifier: MakeVerifier
) -> None:
    """The algorithm-confusion attack: the public key is public, so an HMAC keyed with it proves nothing."""
    key: SigningKey = request.getfixturevalue(key_name)
    pem = key.public_pem()
    forged = compact_jws(key.header(alg="HS384"), claims(), lambda data: hmac.new(pem, data, hashlib.sha384).digest())
    assert await refusal(make_verifier(pinned_issuer(key)), forged) == Rejection.algorithm_not_allowed


async def test_rsa_pss_is_refused_even_with_the_issuers_key(rs384: SigningKey, make_verifier: MakeVerifier) -> None:
    pss = SigningKey("PS384", rs384.kid, rs384.private_key)
    verifier = make_verifier(pinned_issuer(rs384))
    assert await refusal(verifier, pss.mint()) == Rejection.algorithm_not_allowed


@pytest.mark.parametrize("typ", ["JWT", "jwt", None])
async def test_typ_may_be_jwt_in_any_case_or_absent(
    typ: str | None, es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    header = es384.header() if typ is None else es384.header(typ=typ)
    if typ is None:
        header = without(header, "typ")
    verified = await make_verifier(pinned_issuer(es384)).verify(bearer(es384.mint(header=header)), AUDIENCE)
    assert verified.issuer == "https://ehr.example.org"


@pytest.mark.parametrize("typ", ["at+jwt", "JOSE", "JWS", 7])
async def test_a_typ_other_than_jwt_is_refused(typ: object, es384: SigningKey, make_verifier: MakeVerifier) -> None:
    token = es384.mint(header=es384.header(typ=typ))
    assert await refusal(make_verifier(pinned_issuer(es384)), token) == Rejection.wrong_type


async def test_a_token_without_kid_is_refused(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier(pinned_issuer(es384))
    assert await refusal(verifier, es384.mint(header=without(es384.header(), "kid"))) == Rejection.missing_kid
    assert await refusal(verifier, es384.mint(header=es384.header(kid=""))) == Rejection.missing_kid

