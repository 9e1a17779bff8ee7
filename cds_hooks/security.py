"""Verifying the JWT an EHR sends with every hook and feedback call (CDS Hooks 2.0 "Trusting CDS Clients").

We verify the token ourselves, strictly, in this order; any failure is a bare 401 (`NotAuthenticated`) whose
`reason` is a `Rejection` category, safe to log:

1. shape: a Bearer token of at most 8 KiB in JWS compact form, checked before anything is decoded;
2. header: `alg` one of ES384, RS384, ES256, RS256 (never `none`, never HMAC); `typ`, if present, "JWT"; a `kid`;
3. issuer: the unverified `iss` only picks an allowlisted issuer's keys; everything is then verified with them;
4. `jku`: for an issuer whose keys we fetch, it must be that issuer's allowlisted JWKS URL exactly. We never fetch
   from a token's `jku`: only from the URL in our settings. An issuer with a pinned JWK Set has nothing to fetch,
   so its tokens' `jku` (the CDS Hooks sandbox always sends one) changes nothing and is ignored;
5. key: the issuer's key with that `kid`, of the type the `alg` needs, and with the same `alg` if the key names one;
6. signature, then claims: `aud` contains the exact URL called; `exp` and `iat` present, within the leeway, `iat`
   not in the future, and `exp - iat` within the maximum lifetime; `jti` a non-empty string;
7. replay: the `jti` is claimed last, so a token failing any other check does not use up its `jti`. The claim
   lasts until `exp` plus the leeway, when the token stops being accepted. The guard is called in a worker thread
   (`anyio.to_thread.run_sync`): the database-backed guard blocks on I/O, and the in-memory one is thread-safe.

Logs name only the failure category and the (allowlisted) issuer: never the token, nor any claim's value.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import anyio.to_thread
import httpx
import jwt

from .audience import expected_audience
from .errors import NotAuthenticated
from .jwks import FetchedKeys, JwksUnavailable, KeySource, PinnedKeys
from .replay import ReplayGuard
from .settings import Settings

__all__ = [
    "ReplayGuard",
    "Rejection",
    "TokenVerifier",
    "VerifiedToken",
    "expected_audience",
]

log = logging.getLogger(__name__)

MAX_TOKEN_BYTES = 8 * 1024
_LOGGED_AUDIENCE_CHARS = 200
KEY_TYPE_FOR_ALGORITHM = {"ES384": "EC", "RS384": "RSA", "ES256": "EC", "RS256": "RSA"}
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class Rejection(StrEnum):
    """Why a token was refused: a category for our logs, never sent to the caller and never holding a value."""

    missing_authorization = "missing authorization"
    not_bearer = "not a bearer token"
    too_large = "token too large"
    malformed = "malformed token"
    algorithm_not_allowed = "algorithm not allowed"
    wrong_type = "typ is not JWT"
    missing_kid = "kid missing"
    untrusted_issuer = "untrusted issuer"
    jku_not_allowlisted = "jku not allowlisted"
    jwks_unavailable = "jwks unavailable"
    unknown_kid = "unknown kid"
    unusable_key = "key does not fit the token"
    bad_signature = "bad signature"
    audience_mismatch = "audience mismatch"
    expired = "expired"
    not_yet_valid = "not yet valid"
    lifetime_too_long = "lifetime too long"
    missing_claim = "missing claim"
    invalid_claim = "invalid claim"
    invalid = "invalid token"
    replayed = "jti replayed"


_REJECTION_FOR_ERROR: tuple[tuple[type[jwt.PyJWTError], Rejection], ...] = (
    (jwt.InvalidSignatureError, Rejection.bad_signature),  # before DecodeError, its base class
    (jwt.ExpiredSignatureError, Rejection.expired),
    (jwt.ImmatureSignatureError, Rejection.not_yet_valid),
    (jwt.InvalidKeyError, Rejection.unusable_key),  # wrong curve for the alg, RSA key under 2048 bits
)


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """What a verified token tells us about its caller."""

    issuer: str
    jti: str
    expires_at: datetime
    tenant: str | None


@dataclass(frozen=True, slots=True)
class _TrustedIssuer:
    iss: str
    jwks_url: str | None  # None when the keys are pinned
    keys: KeySource


def _rejected(reason: str, issuer: str | None = None, **detail: str) -> NotAuthenticated:
    """The error for a failed check, logged with its category, the allowlisted issuer if known, and (audience
    only) what was expected and what arrived; the caller sees a bare 401."""
    log.warning("jwt rejected", extra={"fields": {"reason": reason, "issuer": issuer, **detail}})
    return NotAuthenticated(reason)


def _unverified_audience(token: str) -> str:
    """The `aud` a signed, trusted token named (for the log), cut short: it is still the caller's text."""
    aud = jwt.decode(token, options={"verify_signature": False}).get("aud")
    return repr(aud)[:_LOGGED_AUDIENCE_CHARS]


def _missing(claim: str, issuer: str | None = None) -> NotAuthenticated:
    return _rejected(f"{Rejection.missing_claim}: {claim}", issuer)


class TokenVerifier:
    """Checks EHR JWTs against the trusted issuers in `settings`.

    `http` is used to fetch JWK Sets from the issuers' allowlisted URLs; without one, the verifier makes (and
    `aclose` closes) its own, if any issuer needs it. `clock` (monotonic seconds) times the JWKS cache.
    """

    def __init__(
        self,
        settings: Settings,
        replay_guard: ReplayGuard,
        http: httpx.AsyncClient | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._replay_guard = replay_guard
        self._leeway = settings.jwt_leeway_seconds
        self._max_lifetime = settings.jwt_max_lifetime_seconds
        self._owned_http: httpx.AsyncClient | None = None
        self._issuers: dict[str, _TrustedIssuer] = {}
        for issuer in settings.trusted_issuers:
            if issuer.iss in self._issuers:
                raise ValueError(f"trusted issuer {issuer.iss!r} is configured twice")
            if issuer.jwks_url is None:
                try:
                    pinned = PinnedKeys(issuer.jwks)
                except ValueError as error:
                    raise ValueError(f"trusted issuer {issuer.iss!r}: {error}") from None
                self._issuers[issuer.iss] = _TrustedIssuer(issuer.iss, None, pinned)
            else:
                url = str(issuer.jwks_url)
                fetched = FetchedKeys(url, http or self._own_http(), settings.jwks_cache_seconds, clock)
                self._issuers[issuer.iss] = _TrustedIssuer(issuer.iss, url, fetched)

    def _own_http(self) -> httpx.AsyncClient:
        if self._owned_http is None:
            self._owned_http = httpx.AsyncClient()
        return self._owned_http

    async def aclose(self) -> None:
        if self._owned_http is not None:
            await self._owned_http.aclose()

    async def verify(self, authorization: str | None, audience: str) -> VerifiedToken:
        """The verified token in an `Authorization` header value; `audience` is the exact URL that was called."""
        token = _bearer_token(authorization)
        header = _checked_header(token)
        issuer = self._issuer_named_in(token)
        key = await self._signing_key(issuer, header)
        claims = self._verified_claims(token, key, issuer.iss, audience)
        expires_at = datetime.fromtimestamp(claims["exp"], UTC)
        verified = VerifiedToken(issuer.iss, claims["jti"], expires_at, claims.get("tenant"))
        ends = expires_at + timedelta(seconds=self._leeway)
        if not await anyio.to_thread.run_sync(self._replay_guard.claim_jti, issuer.iss, verified.jti, ends):
            raise _rejected(Rejection.replayed, issuer.iss)
        log.debug("jwt accepted", extra={"fields": {"issuer": issuer.iss}})
        return verified

    def _issuer_named_in(self, token: str) -> _TrustedIssuer:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise _rejected(Rejection.malformed) from None
        iss = unverified.get("iss")
        if iss is None:
            raise _missing("iss")
        issuer = self._issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise _rejected(Rejection.untrusted_issuer)
        return issuer

    async def _signing_key(self, issuer: _TrustedIssuer, header: dict[str, Any]) -> jwt.PyJWK:
        if issuer.jwks_url is not None and "jku" in header and header["jku"] != issuer.jwks_url:
            raise _rejected(Rejection.jku_not_allowlisted, issuer.iss)
        try:
            jwk = await issuer.keys.key(header["kid"])
        except JwksUnavailable:
            raise _rejected(Rejection.jwks_unavailable, issuer.iss) from None
        if jwk is None:
            raise _rejected(Rejection.unknown_kid, issuer.iss)
        algorithm = header["alg"]
        if jwk.get("kty") != KEY_TYPE_FOR_ALGORITHM[algorithm] or jwk.get("alg", algorithm) != algorithm:
            raise _rejected(Rejection.unusable_key, issuer.iss)
        try:
            return jwt.PyJWK(jwk, algorithm=algorithm)
        except jwt.PyJWTError:
            raise _rejected(Rejection.unusable_key, issuer.iss) from None

    def _verified_claims(self, token: str, key: jwt.PyJWK, issuer: str, audience: str) -> dict[str, Any]:
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[key.algorithm_name],
                audience=audience,
                issuer=issuer,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS), "enforce_minimum_key_length": True},
            )
        except jwt.MissingRequiredClaimError as error:
            raise _missing(error.claim, issuer) from None
        except jwt.InvalidAudienceError:
            raise _rejected(Rejection.audience_mismatch, issuer, expected=audience,
                            arrived=_unverified_audience(token)) from None
        except jwt.PyJWTError as error:
            reason = next((r for kind, r in _REJECTION_FOR_ERROR if isinstance(error, kind)), Rejection.invalid)
            raise _rejected(reason, issuer) from None
        for name in ("exp", "iat"):
            if isinstance(claims[name], bool) or not isinstance(claims[name], int | float):
                raise _rejected(f"{Rejection.invalid_claim}: {name}", issuer)
        if claims["exp"] - claims["iat"] > self._max_lifetime:
            raise _rejected(Rejection.lifetime_too_long, issuer)
        if not claims["jti"]:
            raise _missing("jti", issuer)
        if not isinstance(claims.get("tenant", ""), str):
            raise _rejected(f"{Rejection.invalid_claim}: tenant", issuer)
        return claims


def _bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer` header, refused on size and shape before anything is decoded."""
    if not authorization:
        raise _rejected(Rejection.missing_authorization)
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise _rejected(Rejection.not_bearer)
    token = token.strip()
    if len(token) > MAX_TOKEN_BYTES:
        raise _rejected(Rejection.too_large)
    if not _COMPACT_JWS.fullmatch(token):
        raise _rejected(Rejection.malformed)
    return token


def _checked_header(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _rejected(Rejection.malformed) from None
    algorithm, token_type = header.get("alg"), header.get("typ")
    if not isinstance(algorithm, str) or algorithm not in KEY_TYPE_FOR_ALGORITHM:
        raise _rejected(Rejection.algorithm_not_allowed)
    if token_type is not None and (not isinstance(token_type, str) or token_type.upper() != "JWT"):
        raise _rejected(Rejection.wrong_type)
    if not header.get("kid"):
        raise _rejected(Rejection.missing_kid)
    return header
