"""Keyed hashes of patient and user ids, so the store and the logs can correlate without holding raw ids.

HMAC-SHA256 rather than a plain hash: ids are short and guessable, so an unkeyed hash could be reversed by trying
them all; without the secret, the keyed hash cannot.
"""

from __future__ import annotations

import hashlib
import hmac


def keyed_hash(secret: bytes, value: str) -> str:
    """HMAC-SHA256 of `value` under `secret`, as 64 lowercase hex digits."""
    if not secret:
        raise ValueError("keyed_hash needs a non-empty secret; an unkeyed hash of an id can be reversed")
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
