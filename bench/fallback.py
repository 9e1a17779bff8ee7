"""Fetching what the EHR did not prefetch, against the real FHIR test server slowed down on purpose.

Three figures: five keys fetched with `FhirFetcher.fetch_all` from a server that takes 100 ms per query (concurrent
means ~100 ms, sequential would be ~500 ms); how far past its deadline `fetch_all` returns when the server takes
2 s; and a whole hook call with no prefetch at all, through the service, against the slow server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

from cards import load_knowledge
from cds_hooks.fhir_client import FetchRequest, FhirFetcher
from cds_hooks.prefetch import render_template
from cds_hooks.services import chart_prefetch
from cds_hooks.settings import Settings
from tests.support.fhir_fixtures import FhirTestServer, running_fhir_server

from .charts import without_prefetch
from .http_load import HOOK_PATH, JSON_HEADERS, TIMEOUT_S
from .measure import Summary, elapsed_ms, summarize

QUERY_DELAY_MS = 100
SLOW_SERVER_DELAY_MS = 2000
DEADLINE_S = 0.2
EXTRA_SEARCH = "Observation?patient={{context.patientId}}&code=http://loinc.org|4548-4"  # a fifth, unrelated key


@contextmanager
def fhir_server_with(requests: dict[str, bytes], data_dir: Path) -> Iterator[FhirTestServer]:
    """The FHIR test server, serving the prefetch resources of the given hook request bodies (as data files)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for name, body in requests.items():
        (data_dir / f"{name}.json").write_bytes(body)
    with running_fhir_server(data_dir) as server:
        yield server


def five_keys(context: dict[str, Any]) -> list[FetchRequest]:
    """The service's four real prefetch queries for this patient, plus one more search."""
    templates = {key.name: key.template for key in chart_prefetch(load_knowledge())} | {"hba1c": EXTRA_SEARCH}
    return [FetchRequest(name, render_template(template, context)) for name, template in templates.items()]


def _fetcher(http: httpx.AsyncClient) -> FhirFetcher:
    settings = Settings()
    return FhirFetcher(
        http,
        max_pages=settings.fetch_max_pages,
        max_entries=settings.fetch_max_entries,
        max_response_bytes=settings.fetch_max_response_bytes,
    )


async def _timed_fetch(fhir_base: str, keys: list[FetchRequest], timeout_s: float) -> tuple[float, set[str | None]]:
    """One `fetch_all` with a fresh client (no pooled connections: the cold case), its ms and its outcomes."""
    async with httpx.AsyncClient() as http:
        fetcher = _fetcher(http)
        started = time.perf_counter()
        outcomes = await fetcher.fetch_all(fhir_base, keys, access_token=None, timeout_s=timeout_s)
        took = elapsed_ms(started)
    if any(outcome.pages > 1 for outcome in outcomes.values()):
        raise RuntimeError("a key needed several pages: the figure would not be one query per key")
    return took, {outcome.error for outcome in outcomes.values()}


async def concurrent_fetch(server: FhirTestServer, context: dict[str, Any], *, repeat: int) -> Summary:
    keys = five_keys(context)
    samples = []
    for _ in range(repeat):
        took, errors = await _timed_fetch(server.endpoint(delay_ms=QUERY_DELAY_MS).url, keys, timeout_s=TIMEOUT_S)
        if errors != {None}:
            raise RuntimeError(f"fallback fetch failed: {sorted(map(str, errors))}")
        samples.append(took)
    return summarize(samples)


async def deadline_overshoot(server: FhirTestServer, context: dict[str, Any], *, repeat: int) -> Summary:
    """Milliseconds `fetch_all` took beyond its deadline while every query was still waiting."""
    keys = five_keys(context)
    samples = []
    for _ in range(repeat):
        took, errors = await _timed_fetch(server.endpoint(delay_ms=SLOW_SERVER_DELAY_MS).url, keys, DEADLINE_S)
        if errors != {"timeout"}:
            raise RuntimeError(f"expected every key to time out, got {sorted(map(str, errors))}")
        samples.append(took - DEADLINE_S * 1000)
    return summarize(samples)


def end_to_end(
    service_url: str, server: FhirTestServer, request: dict[str, Any], *, repeat: int
) -> tuple[Summary, float, int]:
    """A hook call with no prefetch, through the service: its latency, the FHIR queries it cost, and how many calls
    came back without cards (on a busy machine the fetches can miss their deadline: a 412, reported, not fatal)."""
    endpoint = server.endpoint(delay_ms=QUERY_DELAY_MS)
    body = orjson.dumps(without_prefetch(request, endpoint.url))
    samples = []
    without_cards = 0
    with httpx.Client(base_url=service_url, timeout=TIMEOUT_S) as client:
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.post(HOOK_PATH, content=body, headers=JSON_HEADERS)
            samples.append(elapsed_ms(started))
            without_cards += response.status_code != 200 or not response.json()["cards"]
    return summarize(samples), len(endpoint.requests()) / repeat, without_cards
