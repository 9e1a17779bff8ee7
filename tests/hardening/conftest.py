"""Hardening suite: log capture, the secrets to look for, the keys in play for token attacks, and a summary of
what was tried (see `tally`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.security.jwks_server import JwksServer, Reply
from tests.security.tokens import SigningKey, ec_key, key_set
from tests.support.log_capture import CapturedLogs, production_logs
from tests.support.secrets_in_logs import Secrets

from .tally import TALLY
from .token_attacks import ATTACKER_JWKS_PATH, FETCHED_JWKS_PATH, Keys


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY:
        terminalreporter.section("hardening")
        for what, n in sorted(TALLY.items()):
            terminalreporter.write_line(f"{n:>8}  {what}")


@pytest.fixture
def logs() -> Iterator[CapturedLogs]:
    """Everything the service logs during the test, formatted as in production."""
    with production_logs() as captured:
        yield captured


@pytest.fixture(scope="session")
def fixture_secrets() -> Secrets:
    return Secrets.of_fixtures()


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    """Serves the second EHR's key set, and the attacker's."""
    with JwksServer() as server:
        yield server


@pytest.fixture(scope="module")
def token_keys(jwks: JwksServer, es384: SigningKey, rs384: SigningKey) -> Keys:
    fetched, attacker = ec_key("ES384", ec.SECP384R1()), ec_key("ES384", ec.SECP384R1())
    return Keys(
        es384=es384,
        rs384=rs384,
        fetched=fetched,
        attacker=attacker,
        fetched_jwks_url=jwks.serve(FETCHED_JWKS_PATH, Reply.json(key_set(fetched.public_jwk()))),
        attacker_jwks_url=jwks.serve(ATTACKER_JWKS_PATH, Reply.json(key_set(attacker.public_jwk()))),
    )
