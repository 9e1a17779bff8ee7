"""Which issuers we trust and which of their keys verify a token: pinned JWK Sets, key selection, key fit."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.utils import der_to_raw_signature

from cds_hooks.security import Rejection, TokenVerifier
from cds_hooks.settings import (
    SANDBOX_ISSUER,
    SANDBOX_JWKS_FILE,
    Settings,
    TrustedIssuer,
)

from .jwks_server import JwksServer, Reply
from .memory_guard import MemoryReplayGuard
from .tokens import (
    AUDIENCE,
    ISSUER,
    SigningKey,
    bearer,
    claims,
    compact_jws,
    key_set,
    pinned_issuer,
    rsa_key,
    without,
)
from .verifying import MakeVerifier, refusal

SANDBOX_JWKS = json.loads(SANDBOX_JWKS_FILE.read_text())
SANDBOX_KID = SANDBOX_JWKS["keys"][0]["kid"]
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"


@pytest.mark.parametrize("key_name", ["es384", "rs384", "es256", "rs256"])
async def test_a_valid_token_from_a_pinned_key_set_is_accepted(
    key_name: str, request: pytest.FixtureRequest, make_verifier: MakeVerifier
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)
    claim_set = claims(tenant="hospital-a")
    verified = await make_verifier(pinned_issuer(key)).verify(bearer(key.mint(claim_set)), AUDIENCE)
    assert verified.issuer == ISSUER
    assert verified.jti == claim_set["jti"]
    assert verified.expires_at == datetime.fromtimestamp(claim_set["exp"], UTC)
    assert verified.tenant == "hospital-a"


async def test_every_key_of_an_issuers_set_can_sign(
    es384: SigningKey, rs384: SigningKey, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(pinned_issuer(es384, rs384))
    assert (await verifier.verify(bearer(es384.mint()), AUDIENCE)).issuer == ISSUER
    assert (await verifier.verify(bearer(rs384.mint()), AUDIENCE)).issuer == ISSUER


async def test_a_key_without_an_alg_member_is_used_for_the_tokens_alg(
    es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    issuer = TrustedIssuer(iss=ISSUER, jwks=key_set(without(es384.public_jwk(), "alg")))
    assert (await make_verifier(issuer).verify(bearer(es384.mint()), AUDIENCE)).issuer == ISSUER


async def test_an_unknown_kid_is_refused(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    token = es384.with_kid("not-published").mint()
    assert await refusal(make_verifier(pinned_issuer(es384)), token) == Rejection.unknown_kid


async def test_a_token_signed_with_another_key_under_the_issuers_kid_is_refused(
    es384: SigningKey, intruder: SigningKey, make_verifier: MakeVerifier
) -> None:
    forged = intruder.with_kid(es384.kid).mint()
    assert await refusal(make_verifier(pinned_issuer(es384)), forged) == Rejection.bad_signature


async def test_a_key_embedded_in_the_token_header_is_not_trusted(
    es384: SigningKey, intruder: SigningKey, make_verifier: MakeVerifier
) -> None:
    impostor = intruder.with_kid(es384.kid)
    forged = impostor.mint(header=impostor.header(jwk=impostor.public_jwk()))
    assert await refusal(make_verifier(pinned_issuer(es384)), forged) == Rejection.bad_signature


@pytest.mark.parametrize("iss", ["https://evil.example.org", f"{ISSUER}/", ISSUER.upper(), 42])
async def test_an_issuer_not_on_the_allowlist_is_refused(
    iss: object, es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    token = es384.mint(claims(iss=iss))
    assert await refusal(make_verifier(pinned_issuer(es384)), token) == Rejection.untrusted_issuer


async def test_one_trusted_issuers_keys_do_not_vouch_for_another(
    es384: SigningKey, rs384: SigningKey, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(pinned_issuer(es384), pinned_issuer(rs384, iss="https://other-ehr.example.org"))
    assert await refusal(verifier, rs384.mint()) == Rejection.unknown_kid


async def test_a_key_of_the_wrong_type_for_the_alg_is_refused(
    es384: SigningKey, rs384: SigningKey, make_verifier: MakeVerifier
) -> None:
    rsa_signed_under_ec_kid = rs384.with_kid(es384.kid).mint()
    assert await refusal(make_verifier(pinned_issuer(es384)), rsa_signed_under_ec_kid) == Rejection.unusable_key


async def test_a_key_published_for_another_alg_is_refused(rs384: SigningKey, make_verifier: MakeVerifier) -> None:
    issuer = TrustedIssuer(iss=ISSUER, jwks=key_set(rs384.public_jwk(alg="RS256")))
    assert await refusal(make_verifier(issuer), rs384.mint()) == Rejection.unusable_key


async def test_an_ec_key_on_the_wrong_curve_for_the_alg_is_refused(
    es256: SigningKey, make_verifier: MakeVerifier
) -> None:
    """ES384 means P-384: a P-256 key signing SHA-384 digests is not what the EHR published it for."""
    p256 = es256.private_key
    assert isinstance(p256, ec.EllipticCurvePrivateKey)
    header = es256.header(alg="ES384")
    token = compact_jws(
        header, claims(), lambda data: der_to_raw_signature(p256.sign(data, ec.ECDSA(hashes.SHA384())), p256.curve)
    )
    issuer = TrustedIssuer(iss=ISSUER, jwks=key_set(without(es256.public_jwk(), "alg")))
    assert await refusal(make_verifier(issuer), token) == Rejection.unusable_key


async def test_an_rsa_key_under_2048_bits_is_refused(make_verifier: MakeVerifier) -> None:
    weak = rsa_key("RS384", bits=1024)
    assert await refusal(make_verifier(pinned_issuer(weak)), weak.mint()) == Rejection.unusable_key


async def test_a_key_published_for_encryption_cannot_verify(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    issuer = TrustedIssuer(iss=ISSUER, jwks=key_set(es384.public_jwk(use="enc")))
    assert await refusal(make_verifier(issuer), es384.mint()) == Rejection.unknown_kid


async def test_a_pinned_issuers_jku_is_never_fetched(
    es384: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    """Pinned keys are the whole truth for that issuer; the sandbox, for one, always sends a `jku`."""
    jku = jwks_server.serve("/jwks.json", Reply.json(key_set(es384.public_jwk())))
    token = es384.mint(header=es384.header(jku=jku))
    assert (await make_verifier(pinned_issuer(es384)).verify(bearer(token), AUDIENCE)).issuer == ISSUER
    assert jwks_server.hits() == 0


async def test_the_sandbox_public_key_set_is_trusted_inline_in_development(intruder: SigningKey) -> None:
    verifier = TokenVerifier(Settings(profile="development"), MemoryReplayGuard())
    impostor_key = intruder.with_kid(SANDBOX_KID)
    impostor = impostor_key.mint(claims(iss=SANDBOX_ISSUER), impostor_key.header(jku=SANDBOX_JKU))
    unknown_kid = intruder.mint(claims(iss=SANDBOX_ISSUER))
    try:
        assert await refusal(verifier, impostor) == Rejection.bad_signature  # the sandbox key was found and used
        assert await refusal(verifier, unknown_kid) == Rejection.unknown_kid
    finally:
        await verifier.aclose()


def test_an_issuer_configured_twice_is_a_startup_error(es384: SigningKey, rs384: SigningKey) -> None:
    settings = Settings(trusted_issuers=[pinned_issuer(es384), pinned_issuer(rs384)])
    with pytest.raises(ValueError, match="configured twice"):
        TokenVerifier(settings, MemoryReplayGuard())


def test_a_pinned_key_set_naming_a_kid_twice_is_a_startup_error(es384: SigningKey, intruder: SigningKey) -> None:
    twice = key_set(es384.public_jwk(), intruder.with_kid(es384.kid).public_jwk())
    settings = Settings(trusted_issuers=[TrustedIssuer(iss=ISSUER, jwks=twice)])
    with pytest.raises(ValueError, match="same kid twice"):
        TokenVerifier(settings, MemoryReplayGuard())
