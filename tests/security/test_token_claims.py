"""The claims of a correctly signed token: audience, time, lifetime, `jti` and replay, optional `tenant`."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from cds_hooks.security import Rejection

from .memory_guard import MemoryReplayGuard
from .tokens import AUDIENCE, ISSUER, SigningKey, bearer, claims, pinned_issuer, without
from .verifying import MakeVerifier, refusal

LEEWAY = 30


class RecordingGuard:
    """A replay guard that accepts everything and remembers what it was asked, and on which thread."""

    def __init__(self) -> None:
        self.claims: list[tuple[str, str, datetime]] = []
        self.threads: list[threading.Thread] = []

    def claim_jti(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        self.claims.append((issuer, jti, expires_at))
        self.threads.append(threading.current_thread())
        return True


async def test_aud_may_be_an_array_containing_the_url_called(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    token = es384.mint(claims(aud=["https://cds.example.org/cds-services", AUDIENCE]))
    assert (await make_verifier(pinned_issuer(es384)).verify(bearer(token), AUDIENCE)).issuer == ISSUER


@pytest.mark.parametrize(
    "aud",
    [
        "https://cds.example.org/cds-services/another-service",
        f"{AUDIENCE}/",
        AUDIENCE.replace("https://", "http://"),
        ["https://cds.example.org/cds-services", "https://cds.example.org/cds-services/another-service"],
    ],
)
async def test_aud_not_naming_the_exact_url_called_is_refused(
    aud: str | list[str], es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    token = es384.mint(claims(aud=aud))
    assert await refusal(make_verifier(pinned_issuer(es384)), token) == Rejection.audience_mismatch


async def test_a_call_to_the_url_with_a_trailing_slash_is_not_the_url_without(
    es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(pinned_issuer(es384))
    assert await refusal(verifier, es384.mint(), audience=f"{AUDIENCE}/") == Rejection.audience_mismatch


async def test_a_token_expired_beyond_the_leeway_is_refused(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    now = int(time.time())
    token = es384.mint(claims(iat=now - 300, exp=now - LEEWAY - 5))
    assert await refusal(make_verifier(pinned_issuer(es384), jwt_leeway_seconds=LEEWAY), token) == Rejection.expired


async def test_a_token_expired_within_the_leeway_is_accepted(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    now = int(time.time())
    token = es384.mint(claims(iat=now - 300, exp=now - LEEWAY + 10))
    verifier = make_verifier(pinned_issuer(es384), jwt_leeway_seconds=LEEWAY)
    assert (await verifier.verify(bearer(token), AUDIENCE)).issuer == ISSUER


async def test_a_token_issued_in_the_future_beyond_the_leeway_is_refused(
    es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    now = int(time.time())
    token = es384.mint(claims(iat=now + LEEWAY + 10, exp=now + 300))
    verifier = make_verifier(pinned_issuer(es384), jwt_leeway_seconds=LEEWAY)
    assert await refusal(verifier, token) == Rejection.not_yet_valid


async def test_a_token_issued_in_the_future_within_the_leeway_is_accepted(
    es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    now = int(time.time())
    token = es384.mint(claims(iat=now + LEEWAY - 10, exp=now + 300))
    verifier = make_verifier(pinned_issuer(es384), jwt_leeway_seconds=LEEWAY)
    assert (await verifier.verify(bearer(token), AUDIENCE)).issuer == ISSUER


async def test_a_token_not_valid_before_a_future_nbf_is_refused(
    es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    token = es384.mint(claims(nbf=int(time.time()) + 600))
    assert await refusal(make_verifier(pinned_issuer(es384)), token) == Rejection.not_yet_valid


async def test_a_lifetime_over_the_maximum_is_refused(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    now = int(time.time())
    verifier = make_verifier(pinned_issuer(es384), jwt_max_lifetime_seconds=600)
    assert await refusal(verifier, es384.mint(claims(iat=now, exp=now + 601))) == Rejection.lifetime_too_long


async def test_a_lifetime_of_exactly_the_maximum_is_accepted(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    now = int(time.time())
    verifier = make_verifier(pinned_issuer(es384), jwt_max_lifetime_seconds=600)
    assert (await verifier.verify(bearer(es384.mint(claims(iat=now, exp=now + 600))), AUDIENCE)).issuer == ISSUER


@pytest.mark.parametrize("name", ["iss", "aud", "exp", "iat", "jti"])
async def test_a_token_missing_a_required_claim_is_refused(
    name: str, es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    token = es384.mint(without(claims(), name))
    assert await refusal(make_verifier(pinned_issuer(es384)), token) == f"missing claim: {name}"


@pytest.mark.parametrize("name", ["aud", "jti"])
async def test_an_empty_required_claim_counts_as_missing(
    name: str, es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    token = es384.mint(claims(**{name: ""}))
    assert await refusal(make_verifier(pinned_issuer(es384)), token) == f"missing claim: {name}"


@pytest.mark.parametrize("name", ["exp", "iat"])
async def test_a_time_claim_that_is_not_a_number_is_refused(
    name: str, es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    valid = claims()
    token = es384.mint({**valid, name: str(valid[name])})
    assert await refusal(make_verifier(pinned_issuer(es384)), token) == f"invalid claim: {name}"


async def test_a_jti_that_is_not_a_string_is_refused(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    token = es384.mint(claims(jti=12345))
    assert await refusal(make_verifier(pinned_issuer(es384)), token) == Rejection.invalid


async def test_a_token_without_sub_or_tenant_is_accepted(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    claim_set = claims()
    assert "sub" not in claim_set and "tenant" not in claim_set
    verified = await make_verifier(pinned_issuer(es384)).verify(bearer(es384.mint(claim_set)), AUDIENCE)
    assert verified.tenant is None


async def test_a_tenant_that_is_not_a_string_is_refused(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    token = es384.mint(claims(tenant={"id": "hospital-a"}))
    assert await refusal(make_verifier(pinned_issuer(es384)), token) == "invalid claim: tenant"


async def test_a_replayed_token_is_refused(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier(pinned_issuer(es384))
    token = es384.mint()
    await verifier.verify(bearer(token), AUDIENCE)
    assert await refusal(verifier, token) == Rejection.replayed


async def test_a_new_token_reusing_a_jti_is_refused(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier(pinned_issuer(es384))
    first = claims()
    await verifier.verify(bearer(es384.mint(first)), AUDIENCE)
    reused = claims(jti=first["jti"], iat=first["iat"] - 1)
    assert await refusal(verifier, es384.mint(reused)) == Rejection.replayed


async def test_a_replay_within_the_leeway_after_exp_is_still_refused(
    es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    """The claim outlives `exp` by the leeway: for that long the token is still accepted, so it must stay claimed."""
    now = int(time.time())
    token = es384.mint(claims(iat=now - 300, exp=now - 5))
    verifier = make_verifier(pinned_issuer(es384), replay_guard=MemoryReplayGuard(), jwt_leeway_seconds=LEEWAY)
    await verifier.verify(bearer(token), AUDIENCE)
    assert await refusal(verifier, token) == Rejection.replayed


async def test_the_guard_is_asked_off_the_event_loop_until_exp_plus_leeway(
    es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    guard = RecordingGuard()
    claim_set = claims()
    verifier = make_verifier(pinned_issuer(es384), replay_guard=guard, jwt_leeway_seconds=LEEWAY)
    await verifier.verify(bearer(es384.mint(claim_set)), AUDIENCE)
    claim_ends = datetime.fromtimestamp(claim_set["exp"], UTC) + timedelta(seconds=LEEWAY)
    assert guard.claims == [(ISSUER, claim_set["jti"], claim_ends)]
    assert guard.threads != [threading.current_thread()]


async def test_a_token_failing_a_check_does_not_use_up_its_jti(
    es384: SigningKey, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(pinned_issuer(es384))
    claim_set = claims()
    wrong_audience = es384.mint(claims(jti=claim_set["jti"], aud="https://elsewhere.example.org"))
    assert await refusal(verifier, wrong_audience) == Rejection.audience_mismatch
    assert (await verifier.verify(bearer(es384.mint(claim_set)), AUDIENCE)).jti == claim_set["jti"]
