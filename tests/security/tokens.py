"""The EHR's side of the tests: its signing keys (generated per session), the tokens it sends, how we trust it.

Tokens are assembled by hand rather than by `jwt.encode`, so a test can send any header, including the ones a
careful library refuses to produce (`alg: none`, an HMAC keyed with a public key).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cds_hooks.settings import TrustedIssuer

ISSUER = "https://ehr.example.org"
AUDIENCE = "https://cds.example.org/cds-services/facial-twitch"
LIFETIME_SECONDS = 300

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact_jws(header: Mapping[str, Any], claims: Mapping[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """A JWS in compact form: `sign` receives the signing input and returns the raw signature."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"


def claims(**overrides: Any) -> dict[str, Any]:
    """A valid claim set for `AUDIENCE`, issued now by `ISSUER`, with a fresh `jti`."""
    now = int(time.time())
    issued = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + LIFETIME_SECONDS, "jti": str(uuid.uuid4())}
    return {**issued, **overrides}


def without(mapping: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in mapping.items() if name not in names}


def bearer(token: str) -> str:
    return f"Bearer {token}"


@dataclass(frozen=True)
class SigningKey:
    """One of an EHR's signing keys, with the `alg` and `kid` its tokens name."""

    alg: str
    kid: str
    private_key: PrivateKey

    def header(self, **overrides: Any) -> dict[str, Any]:
        return {"alg": self.alg, "typ": "JWT", "kid": self.kid, **overrides}

    def mint(self, claim_set: Mapping[str, Any] | None = None, header: Mapping[str, Any] | None = None) -> str:
        """A token signed with this key: a valid one unless the claims or header say otherwise."""
        algorithm = jwt.get_algorithm_by_name(self.alg)
        prepared = algorithm.prepare_key(self.private_key)
        return compact_jws(
            self.header() if header is None else header,
            claims() if claim_set is None else claim_set,
            lambda signing_input: algorithm.sign(signing_input, prepared),
        )

    def public_jwk(self, **overrides: Any) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.alg)
        jwk = algorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig", **overrides}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def with_kid(self, kid: str) -> SigningKey:
        return dataclasses.replace(self, kid=kid)


def ec_key(alg: str, curve: ec.EllipticCurve) -> SigningKey:
    return SigningKey(alg, f"{alg.lower()}-{uuid.uuid4().hex[:8]}", ec.generate_private_key(curve))


def rsa_key(alg: str, bits: int = 2048) -> SigningKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return SigningKey(alg, f"{alg.lower()}-{uuid.uuid4().hex[:8]}", private_key)


def key_set(*jwks: Mapping[str, Any]) -> dict[str, Any]:
    return {"keys": list(jwks)}


def pinned_issuer(*keys: SigningKey, iss: str = ISSUER) -> TrustedIssuer:
    """An issuer whose public keys are written into our settings."""
    return TrustedIssuer(iss=iss, jwks=key_set(*(key.public_jwk() for key in keys)))
