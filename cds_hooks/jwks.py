"""Where a trusted EHR's public keys come from: a JWK Set pinned in settings, or one fetched from its allowlisted URL.

A fetched set is cached for `jwks_cache_seconds` and fetched again early when a token names a `kid` we do not hold
(the EHR rotated its keys), but never more than once per `REFETCH_INTERVAL_SECONDS` per issuer: otherwise a stream
of tokens with made-up `kid`s would turn us into a client hammering the EHR. Failed fetches count too, so an EHR
whose JWKS endpoint is down is not hammered either; until a fetch succeeds its tokens are refused.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

import anyio
import httpx

log = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 2.0
MAX_JWKS_BYTES = 64 * 1024
REFETCH_INTERVAL_SECONDS = 30.0

Jwk = dict[str, Any]


class JwksUnavailable(Exception):
    """The issuer's JWK Set could not be fetched, or what came back is not a JWK Set. The message is safe to log."""


def signing_keys_by_kid(jwks: Any) -> dict[str, Jwk]:
    """The signing keys of a JWK Set by `kid`, refusing a set that names one `kid` twice (which key would it be?).

    Keys without a `kid`, or marked for another `use` than signatures, can never be chosen by a token and are left out.
    Raises ValueError, with a message that never quotes key material.
    """
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ValueError("not a JWK Set: it needs a 'keys' list")
    by_kid: dict[str, Jwk] = {}
    for jwk in jwks["keys"]:
        if not isinstance(jwk, dict):
            raise ValueError("not a JWK Set: every key must be a JSON object")
        kid = jwk.get("kid")
        if not isinstance(kid, str) or jwk.get("use", "sig") != "sig":
            continue
        if kid in by_kid:
            raise ValueError("the JWK Set names the same kid twice")
        by_kid[kid] = jwk
    return by_kid


class KeySource(Protocol):
    async def key(self, kid: str) -> Jwk | None:
        """The JWK with this `kid`, or None if the issuer has none; raises JwksUnavailable if the set is unknown."""
        ...


class PinnedKeys:
    """A JWK Set written into our settings: the keys are exactly these, and nothing is ever fetched."""

    def __init__(self, jwks: Any) -> None:
        self._keys = signing_keys_by_kid(jwks)

    async def key(self, kid: str) -> Jwk | None:
        return self._keys.get(kid)


class FetchedKeys:
    """A JWK Set fetched from the issuer's allowlisted URL: cached, refreshed on an unknown `kid`, rate-limited.

    `clock` is monotonic seconds. One lock per issuer: concurrent requests wait for one fetch instead of each
    starting their own.
    """

    def __init__(self, url: str, http: httpx.AsyncClient, cache_seconds: float, clock: Callable[[], float]) -> None:
        self.url = url
        self._http = http
        self._cache_seconds = cache_seconds
        # A cache shorter than the refetch interval must still be refreshable once it has run out.
        self._refetch_interval = min(REFETCH_INTERVAL_SECONDS, cache_seconds)
        self._clock = clock
        self._lock = anyio.Lock()
        self._keys: dict[str, Jwk] | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None

    async def key(self, kid: str) -> Jwk | None:
        async with self._lock:
            now = self._clock()
            if self._keys is not None and now - self._fetched_at >= self._cache_seconds:
                self._keys = None
            if (self._keys is None or kid not in self._keys) and self._may_fetch(now):
                self._attempted_at = now
                self._keys = await self._fetch()
                self._fetched_at = now
            if self._keys is None:
                raise JwksUnavailable("the last fetch failed and the next is not due yet")
            return self._keys.get(kid)

    def _may_fetch(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self._refetch_interval

    async def _fetch(self) -> dict[str, Jwk]:
        try:
            with anyio.fail_after(FETCH_TIMEOUT_SECONDS):
                body = await self._download()
            return signing_keys_by_kid(json.loads(body))
        except (JwksUnavailable, httpx.HTTPError, TimeoutError, ValueError) as error:
            reason = str(error) if isinstance(error, JwksUnavailable | ValueError) else type(error).__name__
            log.warning("jwks fetch failed", extra={"fields": {"jwks_url": self.url, "error": reason}})
            raise JwksUnavailable(reason) from None

    async def _download(self) -> bytes:
        async with self._http.stream(
            "GET",
            self.url,
            headers={"Accept": "application/json", "Accept-Encoding": "identity"},
            timeout=FETCH_TIMEOUT_SECONDS,
            follow_redirects=False,
        ) as response:
            if response.status_code != 200:
                raise JwksUnavailable(f"HTTP {response.status_code}")
            if response.headers.get("content-encoding", "identity").strip().lower() != "identity":
                # We asked for identity: a compressed answer is refused unread rather than inflated (a gzip bomb).
                raise JwksUnavailable("compressed answer refused")
            body = bytearray()
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise JwksUnavailable(f"larger than {MAX_JWKS_BYTES} bytes")
        return bytes(body)
