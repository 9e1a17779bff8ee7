"""A slow, broken or hostile FHIR server (a real process) costs one key at most, and never the token or the deadline."""

from __future__ import annotations

import logging
import time

import pytest

from cds_hooks.fhir_client import FetchRequest, FhirFetcher
from cds_hooks.logs import JsonFormatter
from tests.support.fetching import MakeFetcher, entry_ids, fetch_one
from tests.support.fhir_fixtures import FhirTestServer

pytestmark = pytest.mark.process

PAGED_OBSERVATIONS = "Observation?patient=ftw-1&_sort=-date&_count=2"
CHART_QUERIES = [
    "Patient/ftw-1",
    "Observation?patient=ftw-1",
    "Condition?patient=ftw-1",
    "MedicationRequest?patient=ftw-1&status=active",
    "Patient/ftw-2",
]


async def test_keys_are_fetched_concurrently(fhir_server: FhirTestServer, fetcher: FhirFetcher) -> None:
    endpoint = fhir_server.endpoint(delay_ms=100)
    requests = [FetchRequest(f"key-{i}", query) for i, query in enumerate(CHART_QUERIES)]
    started = time.perf_counter()
    outcomes = await fetcher.fetch_all(endpoint.url, requests, access_token=None, timeout_s=2.0)
    elapsed = time.perf_counter() - started
    assert [outcomes[r.key].error for r in requests] == [None] * 5
    assert len(endpoint.requests()) == 5
    assert elapsed < 0.25, f"5 requests of 100 ms each took {elapsed:.3f} s: not concurrent"


@pytest.mark.parametrize("fault", [None, "slow"], ids=["slow-to-answer", "slow-body"])
async def test_deadline_ends_every_unfinished_key_with_timeout(
    fhir_server: FhirTestServer, fetcher: FhirFetcher, fault: str | None
) -> None:
    endpoint = fhir_server.endpoint(delay_ms=2000) if fault is None else fhir_server.endpoint(fault=fault)
    requests = [FetchRequest(f"key-{i}", query) for i, query in enumerate(CHART_QUERIES)]
    started = time.perf_counter()
    outcomes = await fetcher.fetch_all(endpoint.url, requests, access_token=None, timeout_s=0.2)
    elapsed = time.perf_counter() - started
    assert {o.error for o in outcomes.values()} == {"timeout"}
    assert set(outcomes) == {r.key for r in requests}
    assert elapsed < 0.35, f"returned {elapsed:.3f} s after the start with a 0.2 s deadline"


async def test_a_slow_key_does_not_cost_the_keys_that_finished(
    fhir_server: FhirTestServer, fetcher: FhirFetcher
) -> None:
    slow = fhir_server.endpoint(delay_ms=2000)
    requests = [FetchRequest("fast", "Patient/ftw-1"), FetchRequest("slow", f"{slow.url}/Patient/ftw-2")]
    outcomes = await fetcher.fetch_all(fhir_server.base_url, requests, access_token=None, timeout_s=0.3)
    assert outcomes["fast"].error is None
    assert outcomes["fast"].resource is not None and outcomes["fast"].resource["id"] == "ftw-1"
    assert outcomes["slow"].error == "timeout"


async def test_a_failing_key_does_not_cost_the_others(fhir_server: FhirTestServer, fetcher: FhirFetcher) -> None:
    broken = fhir_server.endpoint(fault="500")
    requests = [
        FetchRequest("fine", "Condition?patient=ftw-1"),
        FetchRequest("broken", f"{broken.url}/Condition?patient=ftw-1"),
        FetchRequest("bad-query", "Condition?not-a-parameter=1"),
    ]
    outcomes = await fetcher.fetch_all(fhir_server.base_url, requests, access_token=None, timeout_s=2.0)
    errors = {key: outcome.error for key, outcome in outcomes.items()}
    assert errors == {"fine": None, "broken": "http 500", "bad-query": "http 400"}
    assert entry_ids(outcomes["fine"].resource) == ["ftw-1-hemifacial-spasm", "ftw-1-epilepsy"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("500", "http 500"),
        ("outcome", "operation outcome"),
        ("invalid-json", "invalid json"),
        ("not-fhir", "not fhir"),
    ],
)
async def test_broken_answers_are_reported_as_errors(
    fhir_server: FhirTestServer, fetcher: FhirFetcher, fault: str, error: str
) -> None:
    outcome = await fetch_one(fetcher, fhir_server.endpoint(fault=fault).url, "Observation?patient=ftw-1")
    assert (outcome.resource, outcome.error, outcome.truncated) == (None, error, False)


async def test_huge_answer_is_cut_off_early_as_too_large(
    fhir_server: FhirTestServer, make_fetcher: MakeFetcher
) -> None:
    started = time.perf_counter()
    outcome = await fetch_one(
        make_fetcher(max_response_bytes=1_000_000), fhir_server.endpoint(fault="huge").url, "Observation?patient=ftw-1"
    )
    assert (outcome.resource, outcome.error) == (None, "too large")
    assert time.perf_counter() - started < 1.0, "read far past the cap of a 64 MiB answer"


async def test_next_loop_stops_without_repeating_pages(fhir_server: FhirTestServer, fetcher: FhirFetcher) -> None:
    endpoint = fhir_server.endpoint(fault="next-loop")
    outcome = await fetch_one(fetcher, endpoint.url, PAGED_OBSERVATIONS)
    assert (outcome.error, outcome.pages, outcome.truncated) == (None, 3, True)
    assert len(set(entry_ids(outcome.resource))) == len(entry_ids(outcome.resource)) == 6
    assert len(endpoint.requests()) == 3


async def test_next_link_to_another_server_is_refused(
    secured_fhir_server: FhirTestServer, second_fhir_server: FhirTestServer, fetcher: FhirFetcher
) -> None:
    endpoint = secured_fhir_server.endpoint(fault="foreign-next", next_port=second_fhir_server.port)
    outcome = await fetch_one(fetcher, endpoint.url, PAGED_OBSERVATIONS, access_token=secured_fhir_server.token)
    assert (outcome.resource, outcome.error) == (None, "foreign next link")
    assert len(endpoint.requests()) == 1
    assert second_fhir_server.requests_seen() == []


async def test_next_link_to_another_server_in_the_ehrs_bundle_is_refused(
    secured_fhir_server: FhirTestServer, second_fhir_server: FhirTestServer, fetcher: FhirFetcher
) -> None:
    foreign_next = f"{second_fhir_server.base_url}/{PAGED_OBSERVATIONS}&_offset=2"
    partial = {"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "next", "url": foreign_next}]}
    outcome = await fetch_one(
        fetcher, secured_fhir_server.base_url, foreign_next, partial=partial, access_token=secured_fhir_server.token
    )
    assert (outcome.resource, outcome.error) == (None, "foreign next link")
    assert second_fhir_server.requests_seen() == []


async def test_redirects_are_not_followed(
    secured_fhir_server: FhirTestServer, second_fhir_server: FhirTestServer, fetcher: FhirFetcher
) -> None:
    endpoint = secured_fhir_server.endpoint(fault="redirect", next_port=second_fhir_server.port)
    outcome = await fetch_one(fetcher, endpoint.url, "Patient/ftw-1", access_token=secured_fhir_server.token)
    assert (outcome.resource, outcome.error) == (None, "http 302")
    assert second_fhir_server.requests_seen() == []


async def test_logs_name_keys_but_never_the_token_or_patient_ids(
    secured_fhir_server: FhirTestServer, fetcher: FhirFetcher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    broken = secured_fhir_server.endpoint(fault="500")
    requests = [
        FetchRequest("observations", PAGED_OBSERVATIONS),
        FetchRequest("patient", "Patient/ftw-1"),
        FetchRequest("gone", "Patient/no-such-patient"),
        FetchRequest("broken", f"{broken.url}/Condition?patient=ftw-1"),
    ]
    token = secured_fhir_server.token
    assert token is not None
    outcomes = await fetcher.fetch_all(secured_fhir_server.base_url, requests, access_token=token, timeout_s=5.0)
    assert outcomes["observations"].error is None and outcomes["broken"].error == "http 500"

    formatter = JsonFormatter()
    everything = [formatter.format(record) for record in caplog.records]
    assert everything, "nothing was logged at all"
    assert not [line for line in everything if token in line]
    ours = [formatter.format(r) for r in caplog.records if r.name.startswith("cds_hooks")]
    assert len(ours) == len(requests)
    assert not [line for line in ours if "ftw-1" in line or "no-such-patient" in line or "http://" in line]
    fetch_logs = {
        r.fields["key"]: r.fields  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "cds_hooks.fhir_client"
    }
    assert fetch_logs["observations"]["pages"] == 3
    assert fetch_logs["broken"]["outcome"] == "http 500"
    assert fetch_logs["broken"]["status"] == 500
