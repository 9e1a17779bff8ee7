"""Keys generated once per test session, a verifier factory that closes what it makes, and a live JWKS server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from cds_hooks.replay import ReplayGuard
from cds_hooks.security import TokenVerifier
from cds_hooks.settings import Settings, TrustedIssuer

from .jwks_server import JwksServer
from .memory_guard import MemoryReplayGuard
from .tokens import SigningKey, ec_key, rsa_key
from .verifying import MakeVerifier


@pytest.fixture(scope="session")
def es256() -> SigningKey:
    return ec_key("ES256", ec.SECP256R1())


@pytest.fixture(scope="session")
def rs256() -> SigningKey:
    return rsa_key("RS256")


@pytest.fixture(scope="session")
def intruder() -> SigningKey:
    """A P-384 key the EHR never published: whoever holds it is not the EHR."""
    return ec_key("ES384", ec.SECP384R1())


@pytest.fixture
async def make_verifier() -> AsyncIterator[MakeVerifier]:
    made: list[TokenVerifier] = []

    def make(
        *issuers: TrustedIssuer,
        replay_guard: ReplayGuard | None = None,
        clock: Callable[[], float] | None = None,
        **settings: Any,
    ) -> TokenVerifier:
        verifier = TokenVerifier(
            Settings(trusted_issuers=list(issuers), **settings),
            replay_guard or MemoryReplayGuard(),
            clock=clock or time.monotonic,
        )
        made.append(verifier)
        return verifier

    yield make
    for verifier in made:
        await verifier.aclose()


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    with JwksServer() as server:
        yield server
