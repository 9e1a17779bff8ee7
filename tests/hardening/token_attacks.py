"""A catalogue of attacks on the EHR's JWT, as data: each turns the keys in play and the URL called into an
`Authorization` header value (or none), and names the check that must refuse it. Every one is a bare 401.

Keys in play: the EHR's ES384 and RS384 keys (pinned in our settings), a second EHR whose keys we fetch from its
allowlisted JWKS URL, and an attacker with a key of its own, published at a URL of its own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from cds_hooks.security import Rejection
from cds_hooks.settings import Settings, TrustedIssuer
from tests.security.tokens import ISSUER, SigningKey, b64url, bearer, claims, compact_jws, pinned_issuer, without

FETCHED_ISSUER = "https://ehr-two.example.org"
FETCHED_JWKS_PATH = "/ehr-two/jwks.json"
ATTACKER_JWKS_PATH = "/attacker/jwks.json"
LEEWAY_SECONDS = 30  # the service's default `jwt_leeway_seconds`
MAX_LIFETIME_SECONDS = 3600


@dataclass(frozen=True)
class Keys:
    es384: SigningKey  # pinned for ISSUER
    rs384: SigningKey  # pinned for ISSUER
    fetched: SigningKey  # FETCHED_ISSUER's, served at `fetched_jwks_url`
    attacker: SigningKey  # nobody trusts it; served at `attacker_jwks_url`
    fetched_jwks_url: str
    attacker_jwks_url: str


Build = Callable[[Keys, str], str | None]  # (keys, URL called) -> the Authorization header value, or none


@dataclass(frozen=True)
class TokenAttack:
    reason: str  # the `Rejection` the verifier must log: proof the attack reached the check it targets
    build: Build


def catalogue(*attacks: tuple[str, str, Build]) -> dict[str, TokenAttack]:
    by_name = {name: TokenAttack(str(reason), build) for name, reason, build in attacks}
    assert len(by_name) == len(attacks), "two attacks share a name"
    return by_name


def _valid(keys: Keys, called: str, **overrides: Any) -> str:
    """A token the EHR could have sent for the URL `called`, but for `overrides` (which may replace `aud`)."""
    return bearer(keys.es384.mint(claims(**{"aud": called, **overrides})))


def _hmac(secret: bytes, alg: str) -> Callable[[bytes], bytes]:
    algorithm = jwt.get_algorithm_by_name(alg)
    return lambda signing_input: algorithm.sign(signing_input, secret)


def _unsigned(header: dict[str, Any], claim_set: dict[str, Any]) -> str:
    return bearer(compact_jws(header, claim_set, lambda _: b""))


def _confused(key: SigningKey, alg: str, secret: bytes, aud: str) -> str:
    """HMAC keyed with the EHR's *public* key, which anyone can download: the classic algorithm confusion."""
    return bearer(compact_jws(key.header(alg=alg), claims(aud=aud), _hmac(secret, alg)))


def _tampered(keys: Keys, aud: str) -> str:
    """A valid token for another service, its payload rewritten to name this one (the signature no longer fits)."""
    header, _, signature = keys.es384.mint(claims(aud=aud + "-elsewhere")).split(".")
    payload = b64url(json.dumps(claims(aud=aud)).encode())
    return bearer(f"{header}.{payload}.{signature}")


def _now() -> int:
    return int(time.time())


MISSING = Rejection.missing_claim
ATTACKS: dict[str, TokenAttack] = catalogue(
    # shape
    ("no authorization header", Rejection.missing_authorization, lambda keys, aud: None),
    ("basic credentials", Rejection.not_bearer, lambda keys, aud: "Basic " + b64url(b"ehr:password")),
    ("bearer without a token", Rejection.malformed, lambda keys, aud: "Bearer "),
    ("not a jws", Rejection.malformed, lambda keys, aud: "Bearer not-a-token"),
    ("two segments", Rejection.malformed, lambda keys, aud: ".".join(_valid(keys, aud).split(".")[:2])),
    ("four segments", Rejection.malformed, lambda keys, aud: _valid(keys, aud) + ".e30"),
    ("header not json", Rejection.malformed, lambda keys, aud: f"Bearer {b64url(b'{oops')}.{b64url(b'{}')}.c2ln"),
    ("payload not json", Rejection.malformed,
     lambda keys, aud: f"Bearer {b64url(json.dumps(keys.es384.header()).encode())}.{b64url(b'[1,2')}.c2ln"),
    ("space inside the token", Rejection.malformed, lambda keys, aud: _valid(keys, aud).replace(".", ". ", 1)),
    ("oversized (over 8 KiB), validly signed", Rejection.too_large,
     lambda keys, aud: _valid(keys, aud, padding="x" * 9000)),
    ("signature stripped", Rejection.bad_signature, lambda keys, aud: _valid(keys, aud).rsplit(".", 1)[0] + "."),
    # algorithm
    ("alg none", Rejection.algorithm_not_allowed,
     lambda keys, aud: _unsigned(keys.es384.header(alg="none"), claims(aud=aud))),
    ("alg None", Rejection.algorithm_not_allowed,
     lambda keys, aud: _unsigned(keys.es384.header(alg="None"), claims(aud=aud))),
    ("alg missing", Rejection.algorithm_not_allowed,
     lambda keys, aud: bearer(keys.es384.mint(claims(aud=aud), without(keys.es384.header(), "alg")))),
    ("HS384 keyed with the EC public key (PEM)", Rejection.algorithm_not_allowed,
     lambda keys, aud: _confused(keys.es384, "HS384", keys.es384.public_pem(), aud)),
    ("HS256 keyed with the RSA public key (PEM)", Rejection.algorithm_not_allowed,
     lambda keys, aud: _confused(keys.rs384, "HS256", keys.rs384.public_pem(), aud)),
    ("HS384 keyed with the public JWK", Rejection.algorithm_not_allowed,
     lambda keys, aud: _confused(keys.es384, "HS384", json.dumps(keys.es384.public_jwk()).encode(), aud)),
    ("PS384 with the EHR's RSA key", Rejection.algorithm_not_allowed,
     lambda keys, aud: bearer(keys.rs384.mint(claims(aud=aud), keys.rs384.header(alg="PS384")))),
    ("RS384 token naming an EC key's kid", Rejection.unusable_key,
     lambda keys, aud: bearer(keys.rs384.mint(claims(aud=aud), keys.rs384.header(kid=keys.es384.kid)))),
    # keys
    ("unknown kid", Rejection.unknown_kid,
     lambda keys, aud: bearer(keys.es384.with_kid("no-such-kid").mint(claims(aud=aud)))),
    ("kid missing", Rejection.missing_kid,
     lambda keys, aud: bearer(keys.es384.mint(claims(aud=aud), without(keys.es384.header(), "kid")))),
    ("kid path traversal", Rejection.unknown_kid,
     lambda keys, aud: bearer(keys.es384.with_kid("../../../../dev/null").mint(claims(aud=aud)))),
    ("attacker key under the EHR's kid", Rejection.bad_signature,
     lambda keys, aud: bearer(keys.attacker.with_kid(keys.es384.kid).mint(claims(aud=aud)))),
    ("attacker key embedded in the header (jwk)", Rejection.unknown_kid,
     lambda keys, aud: bearer(keys.attacker.mint(
         claims(aud=aud), keys.attacker.header(jwk=keys.attacker.public_jwk())))),
    ("jku to the attacker's key set (pinned issuer: jku ignored)", Rejection.unknown_kid,
     lambda keys, aud: bearer(keys.attacker.mint(claims(aud=aud), keys.attacker.header(jku=keys.attacker_jwks_url)))),
    ("jku to the attacker's key set (fetched issuer)", Rejection.jku_not_allowlisted,
     lambda keys, aud: bearer(keys.attacker.mint(
         claims(iss=FETCHED_ISSUER, aud=aud), keys.attacker.header(jku=keys.attacker_jwks_url)))),
    ("jku not allowlisted on a genuine token (fetched issuer)", Rejection.jku_not_allowlisted,
     lambda keys, aud: bearer(keys.fetched.mint(
         claims(iss=FETCHED_ISSUER, aud=aud), keys.fetched.header(jku=keys.attacker_jwks_url)))),
    ("another trusted issuer's key for this issuer", Rejection.unknown_kid,
     lambda keys, aud: bearer(keys.fetched.mint(claims(iss=ISSUER, aud=aud)))),
    # issuer
    ("unknown issuer", Rejection.untrusted_issuer, lambda keys, aud: _valid(keys, aud, iss="https://evil.example.org")),
    ("issuer with a trailing slash", Rejection.untrusted_issuer, lambda keys, aud: _valid(keys, aud, iss=ISSUER + "/")),
    ("issuer missing", f"{MISSING}: iss", lambda keys, aud: bearer(keys.es384.mint(without(claims(aud=aud), "iss")))),
    # audience
    ("aud of another service", Rejection.audience_mismatch,
     lambda keys, aud: _valid(keys, aud, aud=aud.rsplit("/", 1)[0] + "/order-select")),
    ("aud with a trailing slash", Rejection.audience_mismatch, lambda keys, aud: _valid(keys, aud, aud=aud + "/")),
    ("aud over https instead", Rejection.audience_mismatch,
     lambda keys, aud: _valid(keys, aud, aud=aud.replace("http://", "https://"))),
    ("aud a prefix of the url", Rejection.audience_mismatch,
     lambda keys, aud: _valid(keys, aud, aud=aud.rsplit("/", 1)[0])),
    ("aud list without the url", Rejection.audience_mismatch,
     lambda keys, aud: _valid(keys, aud, aud=["https://elsewhere.example.org"])),
    ("aud missing", f"{MISSING}: aud", lambda keys, aud: bearer(keys.es384.mint(without(claims(aud=aud), "aud")))),
    # time
    ("expired an hour ago", Rejection.expired,
     lambda keys, aud: _valid(keys, aud, iat=_now() - 4000, exp=_now() - 3600)),
    ("expired just beyond the leeway", Rejection.expired,
     lambda keys, aud: _valid(keys, aud, iat=_now() - 300, exp=_now() - LEEWAY_SECONDS - 5)),
    ("issued in the future", Rejection.not_yet_valid,
     lambda keys, aud: _valid(keys, aud, iat=_now() + 3600, exp=_now() + 3900)),
    ("not valid before a future nbf", Rejection.not_yet_valid, lambda keys, aud: _valid(keys, aud, nbf=_now() + 3600)),
    ("lifetime over an hour", Rejection.lifetime_too_long,
     lambda keys, aud: _valid(keys, aud, iat=_now(), exp=_now() + MAX_LIFETIME_SECONDS + 60)),
    ("exp as a string", f"{Rejection.invalid_claim}: exp", lambda keys, aud: _valid(keys, aud, exp=str(_now() + 300))),
    ("iat missing", f"{MISSING}: iat", lambda keys, aud: bearer(keys.es384.mint(without(claims(aud=aud), "iat")))),
    ("exp missing", f"{MISSING}: exp", lambda keys, aud: bearer(keys.es384.mint(without(claims(aud=aud), "exp")))),
    # the token's identity
    ("jti missing", f"{MISSING}: jti", lambda keys, aud: bearer(keys.es384.mint(without(claims(aud=aud), "jti")))),
    ("jti empty", f"{MISSING}: jti", lambda keys, aud: _valid(keys, aud, jti="")),
    ("jti not a string", Rejection.invalid, lambda keys, aud: _valid(keys, aud, jti=12345)),
    # integrity and header games
    ("payload tampered after signing", Rejection.bad_signature, _tampered),
    ("typ JWE", Rejection.wrong_type,
     lambda keys, aud: bearer(keys.es384.mint(claims(aud=aud), keys.es384.header(typ="JWE")))),
    ("unknown critical extension", Rejection.malformed,
     lambda keys, aud: bearer(keys.es384.mint(claims(aud=aud), keys.es384.header(crit=["urn:x"], **{"urn:x": 1})))),
    ("unencoded payload (b64 false)", Rejection.malformed,
     lambda keys, aud: bearer(keys.es384.mint(claims(aud=aud), keys.es384.header(b64=False, crit=["b64"])))),
)


def trusting_settings(keys: Keys, data_dir: Path) -> Settings:
    """Production settings trusting both EHRs: ISSUER with pinned keys, FETCHED_ISSUER through its JWKS URL."""
    return Settings(
        profile="production",
        public_base_url="http://testserver",
        id_hash_secret="token-attacks",
        data_dir=data_dir,
        trusted_issuers=[
            pinned_issuer(keys.es384, keys.rs384),
            TrustedIssuer(iss=FETCHED_ISSUER, jwks_url=keys.fetched_jwks_url),
        ],
    )


def genuine(keys: Keys, aud: str) -> dict[str, str]:
    """Valid tokens, one per signing algorithm the EHR uses here, each with a fresh `jti`."""
    return {
        "ES384": bearer(keys.es384.mint(claims(aud=aud))),
        "RS384": bearer(keys.rs384.mint(claims(aud=aud))),
        "ES384 from the fetched issuer": bearer(keys.fetched.mint(claims(iss=FETCHED_ISSUER, aud=aud))),
    }
