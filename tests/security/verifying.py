"""What the verifier tests share: building verifiers, and asking why a token was refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import pytest

from cds_hooks.errors import NotAuthenticated
from cds_hooks.replay import ReplayGuard
from cds_hooks.security import TokenVerifier
from cds_hooks.settings import TrustedIssuer

from .tokens import AUDIENCE, bearer


class MakeVerifier(Protocol):
    def __call__(
        self,
        *issuers: TrustedIssuer,
        replay_guard: ReplayGuard | None = None,
        clock: Callable[[], float] | None = None,
        **settings: Any,
    ) -> TokenVerifier:
        """A verifier trusting `issuers`, with `settings` (Settings fields) over the defaults; closed after the test."""
        ...


async def refusal(verifier: TokenVerifier, token: str, audience: str = AUDIENCE) -> str:
    """The reason `verifier` refuses `token` as a Bearer token; fails the test if the token is accepted."""
    return await refusal_of_header(verifier, bearer(token), audience)


async def refusal_of_header(verifier: TokenVerifier, authorization: str | None, audience: str = AUDIENCE) -> str:
    with pytest.raises(NotAuthenticated) as refused:
        await verifier.verify(authorization, audience)
    return refused.value.reason
