"""Refusing a JWT presented twice: each `jti` is claimed once, and remembered while its token could be accepted.

The guard is small and synchronous on purpose: the shared, database-backed guard (in the store) is one indexed
insert, and `TokenVerifier` calls any guard from a worker thread, so neither kind stalls the event loop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class ReplayGuard(Protocol):
    def claim_jti(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        """Record a jti; True if it was never seen (and is now recorded), False if replayed.

        `expires_at` (timezone-aware) ends the claim: after it the jti is forgotten, because the token carrying it
        is no longer accepted anyway.
        """
        ...
