"""Bearer tokens for a first call in development: a local issuer whose key pair lives in the data directory.

The development profile trusts this issuer beside the CDS Hooks sandbox, so `facial-twitch-cds token` can mint a
JWT that `make run` accepts, without the sandbox's private key (which nobody has). The key pair is created on first
use, private to the service's user (0600) and never committed; production never trusts it.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from .private_files import private_file

DEV_ISSUER = "urn:facial-twitch-cds:development"
KEY_FILE_NAME = "development-signing-key.pem"
ALGORITHM = "ES384"  # one of the two algorithms CDS Hooks 2.0 requires EHRs to support
DEFAULT_LIFETIME_SECONDS = 300


def _private_key(data_dir: Path) -> ec.EllipticCurvePrivateKey:
    path = data_dir / KEY_FILE_NAME
    if not path.exists() or not path.stat().st_size:
        key = ec.generate_private_key(ec.SECP384R1())
        private_file(path)
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        return key
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} does not hold an EC private key; delete it to have a new one made")
    return loaded


def _key_id(key: ec.EllipticCurvePrivateKey) -> str:
    """A stable kid: the first 16 hex digits of a hash of the public key."""
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return uuid.uuid5(uuid.NAMESPACE_OID, public.hex()).hex[:16]


def public_jwks(data_dir: Path) -> dict[str, Any]:
    """The JWK Set the development profile trusts for `DEV_ISSUER` (creating the key pair on first use)."""
    key = _private_key(data_dir)
    jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {"keys": [{**jwk, "kid": _key_id(key), "alg": ALGORITHM, "use": "sig"}]}


def mint(data_dir: Path, audience: str, *, lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS,
         now: float | None = None) -> str:
    """A CDS Hooks client JWT for `audience` (the exact URL to be called), fresh `jti`, short `exp`."""
    key = _private_key(data_dir)
    issued = int(now if now is not None else time.time())
    claims = {"iss": DEV_ISSUER, "sub": "facial-twitch-cds-developer", "aud": audience, "iat": issued,
              "exp": issued + lifetime_seconds, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": _key_id(key), "typ": "JWT"})
