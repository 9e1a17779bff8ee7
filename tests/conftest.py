"""Fixtures shared by every test package."""

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.security.tokens import SigningKey, ec_key, rsa_key

pytest_plugins = ["tests.support.fhir_fixtures"]


@pytest.fixture(scope="session")
def es384() -> SigningKey:
    """The EHR's ES384 signing key, generated once per test session."""
    return ec_key("ES384", ec.SECP384R1())


@pytest.fixture(scope="session")
def rs384() -> SigningKey:
    """The EHR's RS384 signing key, generated once per test session."""
    return rsa_key("RS384")
