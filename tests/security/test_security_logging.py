"""What verification writes to the logs: the failure category and the issuer, never a token or a claim's value."""

from __future__ import annotations

import logging

import pytest

from cds_hooks.logs import JsonFormatter
from cds_hooks.security import Rejection
from cds_hooks.settings import TrustedIssuer

from .jwks_server import JwksServer, Reply
from .tokens import AUDIENCE, ISSUER, SigningKey, bearer, claims, key_set, pinned_issuer
from .verifying import MakeVerifier, refusal

TENANT = "tenant-that-must-not-be-logged"


async def test_no_token_or_claim_value_reaches_the_logs(
    es384: SigningKey,
    rs384: SigningKey,
    intruder: SigningKey,
    jwks_server: JwksServer,
    make_verifier: MakeVerifier,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = jwks_server.serve("/jwks.json", Reply.json(key_set(rs384.public_jwk())))
    verifier = make_verifier(pinned_issuer(es384), TrustedIssuer(iss="https://fetched.example.org", jwks_url=url))
    accepted = es384.mint(claims(tenant=TENANT))
    fetched = rs384.mint(claims(iss="https://fetched.example.org", tenant=TENANT), rs384.header(jku=url))
    refused = {
        es384.mint(claims(aud="https://elsewhere.example.org", tenant=TENANT)): Rejection.audience_mismatch,
        intruder.with_kid(es384.kid).mint(claims(tenant=TENANT)): Rejection.bad_signature,
        es384.mint(claims(iss="https://untrusted.example.org", tenant=TENANT)): Rejection.untrusted_issuer,
        accepted: Rejection.replayed,
    }
    await verifier.verify(bearer(accepted), AUDIENCE)
    await verifier.verify(bearer(fetched), AUDIENCE)
    for token, reason in refused.items():
        assert await refusal(verifier, token) == reason

    lines = [JsonFormatter().format(record) for record in caplog.records]
    secrets = {TENANT}
    for token in [fetched, *refused]:
        secrets |= {token, *token.split(".")}
    leaks = [line for line in lines for secret in secrets if secret in line]
    assert leaks == []
    assert not any(secret in caplog.text for secret in secrets)
    rejections = [record.fields for record in caplog.records if record.getMessage() == "jwt rejected"]
    assert {"reason": Rejection.replayed, "issuer": ISSUER} in rejections
    assert {"reason": Rejection.untrusted_issuer, "issuer": None} in rejections
