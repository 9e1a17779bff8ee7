"""Fuzzing the verifier: whatever arrives, it returns a verified token or raises NotAuthenticated (a 401).

Any other exception would reach the EHR as a 500.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from cds_hooks.errors import NotAuthenticated
from cds_hooks.security import TokenVerifier
from cds_hooks.settings import Settings

from .memory_guard import MemoryReplayGuard
from .tokens import AUDIENCE, ISSUER, b64url, bearer, ec_key, pinned_issuer

FUZZ_KEY = ec_key("ES384", ec.SECP384R1())
# Pinned keys only: nothing in it is bound to an event loop, so each example may run in an event loop of its own.
FUZZ_VERIFIER = TokenVerifier(Settings(trusted_issuers=[pinned_issuer(FUZZ_KEY)]), MemoryReplayGuard())


_HEADER_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.lists(st.text(max_size=5)))
_HEADERS = st.dictionaries(
    st.sampled_from(["alg", "typ", "kid", "jku", "crit", "b64", "jwk"]), _HEADER_VALUES, max_size=6
) | st.builds(dict, alg=st.sampled_from(["ES384", "RS384", "none", "HS384"]), kid=st.just(FUZZ_KEY.kid))
_SEGMENTS = st.binary(max_size=64).map(b64url)


@settings(max_examples=300, deadline=None)
@given(
    authorization=st.one_of(
        st.text(max_size=100),
        st.text(max_size=100).map(lambda text: f"Bearer {text}"),
        st.tuples(_HEADERS, _SEGMENTS, _SEGMENTS).map(
            lambda parts: f"Bearer {b64url(json.dumps(parts[0]).encode())}.{parts[1]}.{parts[2]}"
        ),
    )
)
def test_any_forged_authorization_is_refused_as_unauthenticated_and_nothing_else(authorization: str) -> None:
    with pytest.raises(NotAuthenticated):
        asyncio.run(FUZZ_VERIFIER.verify(authorization, AUDIENCE))


_NOW = int(time.time())
_CLAIM_VALUES = st.one_of(
    _HEADER_VALUES,
    st.floats(),
    st.sampled_from([AUDIENCE, [AUDIENCE], "", [], {}]),
    st.integers(min_value=_NOW - 600, max_value=_NOW + 600),
)


@settings(max_examples=300, deadline=None)
@given(
    claim_set=st.fixed_dictionaries(
        {"iss": st.just(ISSUER), **{name: _CLAIM_VALUES for name in ("aud", "exp", "iat", "jti")}},
        optional={name: _CLAIM_VALUES for name in ("nbf", "tenant", "sub")},
    ),
    header=st.fixed_dictionaries(
        {"alg": st.just(FUZZ_KEY.alg), "kid": st.just(FUZZ_KEY.kid)},
        optional={"typ": _HEADER_VALUES, "crit": _HEADER_VALUES, "b64": _HEADER_VALUES},
    ),
)
def test_signed_tokens_with_any_claim_values_are_verified_or_refused_and_nothing_else(
    claim_set: dict[str, object], header: dict[str, object]
) -> None:
    try:
        verified = asyncio.run(FUZZ_VERIFIER.verify(bearer(FUZZ_KEY.mint(claim_set, header)), AUDIENCE))
    except NotAuthenticated:
        return
    assert (verified.issuer, verified.jti) == (claim_set["iss"], claim_set["jti"])
