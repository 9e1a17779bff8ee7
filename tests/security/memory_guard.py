"""An in-memory replay guard for verifier tests (the service itself always uses the store's shared guard)."""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable
from datetime import UTC, datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MemoryReplayGuard:
    """Claims held in this process: right for a single worker; several workers need a guard they share.

    Thread-safe. Memory stays bounded by the tokens still live: each claim first forgets every claim that has
    ended, found cheaply through a heap ordered by expiry.
    """

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._live: set[tuple[str, str]] = set()
        self._by_expiry: list[tuple[datetime, str, str]] = []

    def claim_jti(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        with self._lock:
            now = self._clock()
            self._forget_ended(now)
            if (issuer, jti) in self._live:
                return False
            if expires_at > now:
                self._live.add((issuer, jti))
                heapq.heappush(self._by_expiry, (expires_at, issuer, jti))
            return True

    def __len__(self) -> int:
        """How many claims are remembered (ended ones may linger until the next claim)."""
        with self._lock:
            return len(self._live)

    def _forget_ended(self, now: datetime) -> None:
        while self._by_expiry and self._by_expiry[0][0] <= now:
            _, issuer, jti = heapq.heappop(self._by_expiry)
            self._live.remove((issuer, jti))
