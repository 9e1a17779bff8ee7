"""Fixtures shared by every test package."""

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.security.tokens import SigningKey, ec_key, rsa_key

pytest_plugins = ["tests.support.fhir_fixtures"]

# Fixtures that start a FHIR test server as a real process (tests/support/fhir_fixtures.py).
PROCESS_FIXTURES = frozenset({"fhir_server", "secured_fhir_server", "second_fhir_server"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what `make check` leaves out: tests using a FHIR server process, and the PostgreSQL run of store tests."""
    for item in items:
        if PROCESS_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.process)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def es384() -> SigningKey:
    """The EHR's ES384 signing key, generated once per test session."""
    return ec_key("ES384", ec.SECP384R1())


@pytest.fixture(scope="session")
def rs384() -> SigningKey:
    """The EHR's RS384 signing key, generated once per test session."""
    return rsa_key("RS384")
