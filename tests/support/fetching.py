"""Shorthands for driving `FhirFetcher` in tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cds_hooks.fhir_client import FetchOutcome, FetchRequest, FhirFetcher

MakeFetcher = Callable[..., FhirFetcher]


async def fetch_one(
    fetcher: FhirFetcher,
    base_url: str,
    url: str,
    *,
    access_token: str | None = None,
    partial: dict[str, Any] | None = None,
    timeout_s: float = 5.0,
) -> FetchOutcome:
    """Fetch a single prefetch key and return its outcome."""
    outcomes = await fetcher.fetch_all(
        base_url, [FetchRequest("key", url, partial)], access_token=access_token, timeout_s=timeout_s
    )
    return outcomes["key"]


def entry_ids(bundle: dict[str, Any] | None) -> list[str]:
    """The ids of a Bundle's resources, in order."""
    assert bundle is not None and bundle["resourceType"] == "Bundle"
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]
