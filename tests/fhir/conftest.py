"""What the FHIR client tests share: one HTTP client per test, and fetchers with roomy or chosen limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from cds_hooks.fhir_client import FhirFetcher
from tests.support.fetching import MakeFetcher


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def make_fetcher(http: httpx.AsyncClient) -> MakeFetcher:
    def make(*, max_pages: int = 10, max_entries: int = 1000, max_response_bytes: int = 1_000_000) -> FhirFetcher:
        return FhirFetcher(http, max_pages=max_pages, max_entries=max_entries, max_response_bytes=max_response_bytes)

    return make


@pytest.fixture
def fetcher(make_fetcher: MakeFetcher) -> FhirFetcher:
    return make_fetcher()
