"""Keys fetched from an issuer's allowlisted JWKS URL, served by a real local HTTP server that counts every fetch."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time

import httpx
import pytest

from cds_hooks.jwks import (
    FETCH_TIMEOUT_SECONDS,
    MAX_JWKS_BYTES,
    REFETCH_INTERVAL_SECONDS,
)
from cds_hooks.security import Rejection, TokenVerifier
from cds_hooks.settings import Settings, TrustedIssuer

from .jwks_server import JwksServer, Reply
from .memory_guard import MemoryReplayGuard
from .tokens import AUDIENCE, ISSUER, SigningKey, bearer, key_set
from .verifying import MakeVerifier, refusal

JWKS_PATH = "/.well-known/jwks.json"
CACHE_SECONDS = 600


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def publish(server: JwksServer, *keys: SigningKey, path: str = JWKS_PATH) -> str:
    return server.serve(path, Reply.json(key_set(*(key.public_jwk() for key in keys))))


def fetched_from(url: str) -> TrustedIssuer:
    return TrustedIssuer(iss=ISSUER, jwks_url=url)


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_valid_es384_token_is_verified_with_keys_from_the_jwks_url(
    es384: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(fetched_from(publish(jwks_server, es384)))
    assert (await verifier.verify(bearer(es384.mint()), AUDIENCE)).issuer == ISSUER
    assert jwks_server.hits(JWKS_PATH) == 1


async def test_the_key_set_is_fetched_once_while_the_cache_lasts(
    es384: SigningKey, rs384: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    clock = FakeClock()
    verifier = make_verifier(
        fetched_from(publish(jwks_server, es384, rs384)), clock=clock, jwks_cache_seconds=CACHE_SECONDS
    )
    for key in (es384, rs384, es384):
        await verifier.verify(bearer(key.mint()), AUDIENCE)
    clock.advance(CACHE_SECONDS - 1)
    await verifier.verify(bearer(rs384.mint()), AUDIENCE)
    assert jwks_server.hits(JWKS_PATH) == 1


async def test_a_key_the_issuer_withdrew_stops_working_when_the_cache_runs_out(
    es384: SigningKey, rs384: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    clock = FakeClock()
    verifier = make_verifier(
        fetched_from(publish(jwks_server, es384)), clock=clock, jwks_cache_seconds=CACHE_SECONDS
    )
    await verifier.verify(bearer(es384.mint()), AUDIENCE)
    publish(jwks_server, rs384)
    clock.advance(CACHE_SECONDS)
    assert await refusal(verifier, es384.mint()) == Rejection.unknown_kid
    assert jwks_server.hits(JWKS_PATH) == 2


async def test_an_unknown_kid_fetches_the_set_again_to_find_a_rotated_key(
    es384: SigningKey, rs384: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    clock = FakeClock()
    verifier = make_verifier(fetched_from(publish(jwks_server, es384)), clock=clock)
    await verifier.verify(bearer(es384.mint()), AUDIENCE)
    publish(jwks_server, rs384)
    clock.advance(REFETCH_INTERVAL_SECONDS)
    assert (await verifier.verify(bearer(rs384.mint()), AUDIENCE)).issuer == ISSUER
    assert jwks_server.hits(JWKS_PATH) == 2


async def test_made_up_kids_cannot_make_us_fetch_more_than_once_per_interval(
    es384: SigningKey, intruder: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    clock = FakeClock()
    verifier = make_verifier(fetched_from(publish(jwks_server, es384)), clock=clock)
    await verifier.verify(bearer(es384.mint()), AUDIENCE)
    clock.advance(REFETCH_INTERVAL_SECONDS)
    for attempt in range(20):
        assert await refusal(verifier, intruder.with_kid(f"made-up-{attempt}").mint()) == Rejection.unknown_kid
    assert jwks_server.hits(JWKS_PATH) == 2
    clock.advance(REFETCH_INTERVAL_SECONDS - 1)
    assert await refusal(verifier, intruder.with_kid("made-up-later").mint()) == Rejection.unknown_kid
    assert jwks_server.hits(JWKS_PATH) == 2
    clock.advance(1)
    assert await refusal(verifier, intruder.with_kid("made-up-after-the-interval").mint()) == Rejection.unknown_kid
    assert jwks_server.hits(JWKS_PATH) == 3


async def test_a_cache_shorter_than_the_refetch_interval_is_still_refreshed(
    es384: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    clock = FakeClock()
    verifier = make_verifier(fetched_from(publish(jwks_server, es384)), clock=clock, jwks_cache_seconds=10)
    await verifier.verify(bearer(es384.mint()), AUDIENCE)
    clock.advance(10)
    await verifier.verify(bearer(es384.mint()), AUDIENCE)
    assert jwks_server.hits(JWKS_PATH) == 2


async def test_concurrent_calls_with_a_cold_cache_share_one_fetch(
    es384: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(fetched_from(publish(jwks_server, es384)))
    verified = await asyncio.gather(*(verifier.verify(bearer(es384.mint()), AUDIENCE) for _ in range(10)))
    assert {token.issuer for token in verified} == {ISSUER}
    assert jwks_server.hits(JWKS_PATH) == 1


async def test_a_jku_equal_to_the_allowlisted_url_is_accepted(
    es384: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    url = publish(jwks_server, es384)
    token = es384.mint(header=es384.header(jku=url))
    assert (await make_verifier(fetched_from(url)).verify(bearer(token), AUDIENCE)).issuer == ISSUER


@pytest.mark.parametrize("jku_form", ["attacker", "trailing slash", "query", "other host name"])
async def test_a_jku_not_allowlisted_is_refused_and_nothing_is_fetched(
    jku_form: str, es384: SigningKey, intruder: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    allowlisted = publish(jwks_server, es384)
    attacker = publish(jwks_server, intruder, path="/attacker/jwks.json")
    jku = {
        "attacker": attacker,
        "trailing slash": f"{allowlisted}/",
        "query": f"{allowlisted}?v=2",
        "other host name": allowlisted.replace("127.0.0.1", "localhost"),
    }[jku_form]
    token = intruder.mint(header=intruder.header(jku=jku))
    assert await refusal(make_verifier(fetched_from(allowlisted)), token) == Rejection.jku_not_allowlisted
    assert jwks_server.hits() == 0


OVERSIZED = Reply.json({"keys": [], "padding": "x" * MAX_JWKS_BYTES})
FAILED_FETCHES = {
    "server error": Reply(status=500, body=b"{}"),
    "not JSON": Reply(body=b"<html>login</html>", headers=(("Content-Type", "text/html"),)),
    "JSON but not a JWK Set": Reply.json({"keys": "none"}),
    "a kid named twice": Reply.json({"keys": [{"kty": "EC", "kid": "k"}, {"kty": "RSA", "kid": "k"}]}),
    "declared too large": OVERSIZED,
    "too large without a length": dataclasses.replace(OVERSIZED, declare_length=False),
}


@pytest.mark.parametrize("reply", FAILED_FETCHES.values(), ids=FAILED_FETCHES.keys())
async def test_an_unusable_answer_from_the_jwks_url_refuses_the_token(
    reply: Reply, es384: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(fetched_from(jwks_server.serve(JWKS_PATH, reply)))
    assert await refusal(verifier, es384.mint()) == Rejection.jwks_unavailable
    assert jwks_server.hits(JWKS_PATH) == 1


async def test_a_redirect_from_the_jwks_url_is_not_followed(
    es384: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    elsewhere = publish(jwks_server, es384, path="/elsewhere/jwks.json")
    redirect = jwks_server.serve(JWKS_PATH, Reply(status=302, headers=(("Location", elsewhere),)))
    assert await refusal(make_verifier(fetched_from(redirect)), es384.mint()) == Rejection.jwks_unavailable
    assert jwks_server.hits("/elsewhere/jwks.json") == 0


async def test_an_unreachable_jwks_url_refuses_the_token(es384: SigningKey, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier(fetched_from(f"http://127.0.0.1:{unused_port()}{JWKS_PATH}"))
    assert await refusal(verifier, es384.mint()) == Rejection.jwks_unavailable


async def test_a_jwks_url_that_never_answers_is_given_up_after_the_timeout(
    es384: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = make_verifier(fetched_from(jwks_server.serve(JWKS_PATH, Reply(stall=True))))
    started = time.monotonic()
    assert await refusal(verifier, es384.mint()) == Rejection.jwks_unavailable
    assert FETCH_TIMEOUT_SECONDS <= time.monotonic() - started < FETCH_TIMEOUT_SECONDS + 2


async def test_a_failed_fetch_is_not_retried_before_the_interval(
    es384: SigningKey, jwks_server: JwksServer, make_verifier: MakeVerifier
) -> None:
    clock = FakeClock()
    verifier = make_verifier(fetched_from(jwks_server.serve(JWKS_PATH, Reply(status=503))), clock=clock)
    assert await refusal(verifier, es384.mint()) == Rejection.jwks_unavailable
    publish(jwks_server, es384)
    clock.advance(REFETCH_INTERVAL_SECONDS - 1)
    assert await refusal(verifier, es384.mint()) == Rejection.jwks_unavailable
    assert jwks_server.hits(JWKS_PATH) == 1
    clock.advance(1)
    assert (await verifier.verify(bearer(es384.mint()), AUDIENCE)).issuer == ISSUER
    assert jwks_server.hits(JWKS_PATH) == 2


async def test_a_client_it_is_given_is_used_and_left_open(es384: SigningKey, jwks_server: JwksServer) -> None:
    requested: list[str] = []

    async def record(request: httpx.Request) -> None:
        requested.append(str(request.url))

    url = publish(jwks_server, es384)
    async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
        verifier = TokenVerifier(Settings(trusted_issuers=[fetched_from(url)]), MemoryReplayGuard(), http)
        await verifier.verify(bearer(es384.mint()), AUDIENCE)
        await verifier.aclose()
        assert requested == [url]
        assert not http.is_closed
