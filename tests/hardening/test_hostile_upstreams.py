"""A hostile FHIR server or JWKS endpoint: compression bombs are refused unread, and everything an upstream controls
(bytes per answer, bytes per request, pages, entries) stays bounded.

The servers are real HTTP servers on 127.0.0.1; the bomb is real stacked gzip.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from cds_hooks.fhir_client import FetchRequest, FhirFetcher
from cds_hooks.security import Rejection, TokenVerifier
from cds_hooks.settings import Settings, TrustedIssuer
from tests.security.jwks_server import JwksServer, Reply
from tests.security.memory_guard import MemoryReplayGuard
from tests.security.tokens import ISSUER, SigningKey, key_set
from tests.security.verifying import refusal
from tests.support.fetching import fetch_one

from .tally import BOMB_BYTES_REFUSED, BOMBS_REFUSED, count

INFLATED_BYTES = 64 * 1024 * 1024  # what one layer inflates to; the second layer multiplies what a naive reader pays
FHIR = "application/fhir+json"


def stacked_gzip_bomb() -> bytes:
    """Two gzip layers over 64 MiB of zeros: a few hundred bytes on the wire."""
    return gzip.compress(gzip.compress(b"\0" * INFLATED_BYTES, 9), 9)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return stacked_gzip_bomb()


@pytest.fixture(scope="module")
def upstream() -> Iterator[JwksServer]:
    with JwksServer() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def fetcher(http: httpx.AsyncClient, **limits: int) -> FhirFetcher:
    return FhirFetcher(
        http,
        max_pages=limits.get("max_pages", 5),
        max_entries=limits.get("max_entries", 1000),
        max_response_bytes=limits.get("max_response_bytes", 1_000_000),
        max_request_bytes=limits.get("max_request_bytes", 10_000_000),
    )


def compressed(body: bytes, content_type: str = FHIR) -> Reply:
    return Reply(body=body, headers=(("Content-Type", content_type), ("Content-Encoding", "gzip")))


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "compress", "gzip, identity"])
async def test_a_compressed_fhir_answer_is_refused_unread(
    coding: str, bomb: bytes, upstream: JwksServer, http: httpx.AsyncClient
) -> None:
    base = upstream.serve(f"/bomb-{len(coding)}/Patient/p1", Reply(
        body=bomb, headers=(("Content-Type", FHIR), ("Content-Encoding", coding))
    )).removesuffix("/Patient/p1")
    started = time.perf_counter()
    outcome = await fetch_one(fetcher(http), base, "Patient/p1")
    assert (outcome.resource, outcome.error) == (None, "compressed")
    assert time.perf_counter() - started < 1.0  # nothing was inflated (inflating 64 MiB twice takes seconds)
    count(BOMBS_REFUSED)
    count(BOMB_BYTES_REFUSED, len(bomb))


async def test_a_compressed_jwks_answer_is_refused_unread(
    es384: SigningKey, bomb: bytes, upstream: JwksServer, http: httpx.AsyncClient
) -> None:
    url = upstream.serve("/jwks-bomb.json", compressed(bomb, "application/json"))
    settings = Settings(trusted_issuers=[TrustedIssuer(iss=ISSUER, jwks_url=url)])
    verifier = TokenVerifier(settings, MemoryReplayGuard(), http)
    started = time.perf_counter()
    assert await refusal(verifier, es384.mint()) == Rejection.jwks_unavailable
    assert time.perf_counter() - started < 1.0
    count(BOMBS_REFUSED)
    count(BOMB_BYTES_REFUSED, len(bomb))


async def test_even_a_real_key_set_sent_compressed_is_refused(
    es384: SigningKey, upstream: JwksServer, http: httpx.AsyncClient
) -> None:
    body = gzip.compress(json.dumps(key_set(es384.public_jwk())).encode())
    url = upstream.serve("/jwks-gzip.json", compressed(body, "application/json"))
    verifier = TokenVerifier(Settings(trusted_issuers=[TrustedIssuer(iss=ISSUER, jwks_url=url)]), MemoryReplayGuard(), http)
    assert await refusal(verifier, es384.mint()) == Rejection.jwks_unavailable  # a genuine token: the coding failed


def patient_bundle(n_bytes: int) -> bytes:
    """A searchset Bundle of about `n_bytes`."""
    filler = "x" * max(0, n_bytes - 120)
    return json.dumps({"resourceType": "Bundle", "type": "searchset", "entry": [], "id": filler}).encode()


async def test_all_keys_of_one_request_share_one_byte_budget(upstream: JwksServer, http: httpx.AsyncClient) -> None:
    body = patient_bundle(60_000)
    base = upstream.serve("/budget/Condition", Reply(body=body, headers=(("Content-Type", FHIR),))).removesuffix(
        "/Condition"
    )
    upstream.serve("/budget/Observation", Reply(body=body, headers=(("Content-Type", FHIR),)))
    outcomes = await fetcher(http, max_request_bytes=100_000).fetch_all(
        base, [FetchRequest("a", "Condition"), FetchRequest("b", "Observation")], access_token=None, timeout_s=5
    )
    errors = sorted(str(outcome.error) for outcome in outcomes.values())
    assert errors == ["None", "request bytes exhausted"]  # one answer fits, the second would pass the budget


async def test_one_answer_over_its_own_limit_stops_at_the_limit(upstream: JwksServer, http: httpx.AsyncClient) -> None:
    body = patient_bundle(200_000)
    base = upstream.serve("/big/Condition", Reply(body=body, headers=(("Content-Type", FHIR),), declare_length=False))
    outcome = await fetch_one(fetcher(http, max_response_bytes=100_000), base.removesuffix("/Condition"), "Condition")
    assert outcome.error == "too large"
