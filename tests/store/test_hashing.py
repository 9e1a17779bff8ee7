"""Patient and user ids reach the store only as keyed hashes."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from cds_hooks.store import keyed_hash


def test_keyed_hash_is_hmac_sha256_in_hex() -> None:
    expected = hmac.new(b"secret", b"Patient/123", hashlib.sha256).hexdigest()
    assert keyed_hash(b"secret", "Patient/123") == expected
    assert len(expected) == 64


def test_another_secret_gives_another_hash() -> None:
    assert keyed_hash(b"secret-1", "Patient/123") != keyed_hash(b"secret-2", "Patient/123")


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="non-empty secret"):
        keyed_hash(b"", "Patient/123")
