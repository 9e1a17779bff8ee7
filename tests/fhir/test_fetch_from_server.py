"""Fetching prefetch keys from a real FHIR server process: reads, searches, paging and limits, the bearer token."""

from __future__ import annotations

import httpx
import pytest

from cards import load_knowledge
from cds_hooks.fhir_client import FetchRequest, FhirFetcher, next_link
from cds_hooks.prefetch import render_template
from cds_hooks.services import chart_prefetch
from tests.support.fetching import MakeFetcher, entry_ids, fetch_one
from tests.support.fhir_fixtures import FhirTestServer

pytestmark = pytest.mark.process

LOINC = "http://loinc.org"
# Patient ftw-1's Observations, newest first (tests/fhir/data/patient-ftw-1.json).
FTW1_OBSERVATIONS_NEWEST_FIRST = [
    "ftw-1-mg-may",
    "ftw-1-k-may",
    "ftw-1-na-apr",
    "ftw-1-mg-mar",
    "ftw-1-ca-feb",
    "ftw-1-mg-jan",
]
PAGED_OBSERVATIONS = "Observation?patient=ftw-1&_sort=-date&_count=2"


async def test_read_returns_the_resource(fhir_server: FhirTestServer, fetcher: FhirFetcher) -> None:
    outcome = await fetch_one(fetcher, fhir_server.base_url, "Patient/ftw-1")
    assert outcome.error is None
    assert outcome.resource is not None
    assert (outcome.resource["resourceType"], outcome.resource["id"]) == ("Patient", "ftw-1")
    assert (outcome.pages, outcome.truncated) == (1, False)


async def test_read_of_unknown_resource_is_no_data_not_an_error(
    fhir_server: FhirTestServer, fetcher: FhirFetcher
) -> None:
    outcome = await fetch_one(fetcher, fhir_server.base_url, "Patient/no-such-patient")
    assert (outcome.resource, outcome.error) == (None, None)


async def test_search_filters_by_patient_and_any_of_the_codes(
    fhir_server: FhirTestServer, fetcher: FhirFetcher
) -> None:
    query = f"Observation?patient=ftw-1&code={LOINC}|19123-9,{LOINC}|2823-3&_sort=-date"
    outcome = await fetch_one(fetcher, fhir_server.base_url, query)
    assert outcome.error is None
    assert entry_ids(outcome.resource) == ["ftw-1-mg-may", "ftw-1-k-may", "ftw-1-mg-mar", "ftw-1-mg-jan"]


async def test_base_url_with_trailing_slash_is_joined_once(fhir_server: FhirTestServer, fetcher: FhirFetcher) -> None:
    outcome = await fetch_one(fetcher, fhir_server.base_url + "/", "Observation?patient=ftw-2")
    assert entry_ids(outcome.resource) == ["ftw-2-mg"]


async def test_the_services_own_prefetch_templates_are_fetched(
    fhir_server: FhirTestServer, fetcher: FhirFetcher
) -> None:
    context = {"patientId": "ftw-1", "userId": "Practitioner/dr-1"}
    requests = [FetchRequest(k.name, render_template(k.template, context)) for k in chart_prefetch(load_knowledge())]
    outcomes = await fetcher.fetch_all(fhir_server.base_url, requests, access_token=None, timeout_s=5.0)
    assert {key: o.error for key, o in outcomes.items()} == {
        "patient": None,
        "observations": None,
        "conditions": None,
        "medications": None,
        "medicationStatements": None,
    }
    assert outcomes["patient"].resource is not None and outcomes["patient"].resource["id"] == "ftw-1"
    assert entry_ids(outcomes["observations"].resource) == FTW1_OBSERVATIONS_NEWEST_FIRST
    assert entry_ids(outcomes["conditions"].resource) == ["ftw-1-hemifacial-spasm", "ftw-1-epilepsy"]
    assert entry_ids(outcomes["medications"].resource) == ["ftw-1-lamotrigine"]


async def test_pages_are_followed_and_merged_into_one_bundle(fhir_server: FhirTestServer, fetcher: FhirFetcher) -> None:
    outcome = await fetch_one(fetcher, fhir_server.base_url, PAGED_OBSERVATIONS)
    assert outcome.error is None
    assert (outcome.pages, outcome.truncated) == (3, False)
    assert entry_ids(outcome.resource) == FTW1_OBSERVATIONS_NEWEST_FIRST
    assert outcome.resource is not None and next_link(outcome.resource) is None
    assert outcome.resource["total"] == 6


async def test_page_limit_keeps_the_pages_read_and_says_truncated(
    fhir_server: FhirTestServer, make_fetcher: MakeFetcher
) -> None:
    endpoint = fhir_server.endpoint()
    outcome = await fetch_one(make_fetcher(max_pages=2), endpoint.url, PAGED_OBSERVATIONS)
    assert (outcome.error, outcome.pages, outcome.truncated) == (None, 2, True)
    assert entry_ids(outcome.resource) == FTW1_OBSERVATIONS_NEWEST_FIRST[:4]
    assert len(endpoint.requests()) == 2


async def test_entry_limit_cuts_the_merged_bundle_and_says_truncated(
    fhir_server: FhirTestServer, make_fetcher: MakeFetcher
) -> None:
    outcome = await fetch_one(make_fetcher(max_entries=3), fhir_server.base_url, PAGED_OBSERVATIONS)
    assert (outcome.error, outcome.truncated) == (None, True)
    assert entry_ids(outcome.resource) == FTW1_OBSERVATIONS_NEWEST_FIRST[:3]


async def test_entry_limit_reached_exactly_on_the_last_page_is_complete(
    fhir_server: FhirTestServer, make_fetcher: MakeFetcher
) -> None:
    outcome = await fetch_one(make_fetcher(max_entries=6), fhir_server.base_url, PAGED_OBSERVATIONS)
    assert (outcome.error, outcome.pages, outcome.truncated) == (None, 3, False)
    assert entry_ids(outcome.resource) == FTW1_OBSERVATIONS_NEWEST_FIRST


async def test_a_paginated_bundle_sent_by_the_ehr_is_completed(
    fhir_server: FhirTestServer, http: httpx.AsyncClient, fetcher: FhirFetcher
) -> None:
    first_page = (await http.get(f"{fhir_server.base_url}/{PAGED_OBSERVATIONS}")).json()
    follow = next_link(first_page)
    assert follow is not None
    outcome = await fetch_one(fetcher, fhir_server.base_url, follow, partial=first_page)
    assert (outcome.error, outcome.pages, outcome.truncated) == (None, 3, False)
    assert entry_ids(outcome.resource) == FTW1_OBSERVATIONS_NEWEST_FIRST
    assert entry_ids(first_page) == FTW1_OBSERVATIONS_NEWEST_FIRST[:2]  # the EHR's Bundle is left untouched


async def test_bearer_token_is_sent_to_the_fhir_server(
    secured_fhir_server: FhirTestServer, fetcher: FhirFetcher
) -> None:
    endpoint = secured_fhir_server.endpoint()
    outcome = await fetch_one(fetcher, endpoint.url, PAGED_OBSERVATIONS, access_token=secured_fhir_server.token)
    assert (outcome.error, outcome.pages) == (None, 3)
    assert [r["authorization"] for r in endpoint.requests()] == [f"Bearer {secured_fhir_server.token}"] * 3


@pytest.mark.parametrize("access_token", [None, "not-the-right-token"])
async def test_server_refusing_the_token_is_http_401(
    secured_fhir_server: FhirTestServer, fetcher: FhirFetcher, access_token: str | None
) -> None:
    outcome = await fetch_one(fetcher, secured_fhir_server.base_url, "Patient/ftw-1", access_token=access_token)
    assert (outcome.resource, outcome.error) == (None, "http 401")


async def test_no_authorization_header_without_an_access_token(
    fhir_server: FhirTestServer, fetcher: FhirFetcher
) -> None:
    endpoint = fhir_server.endpoint()
    outcome = await fetch_one(fetcher, endpoint.url, PAGED_OBSERVATIONS, access_token=None)
    assert outcome.error is None
    seen = endpoint.requests()
    assert len(seen) == 3
    assert all(r["authorization"] is None for r in seen)


async def test_prescriptions_and_statements_come_with_the_medications_they_name(
    fhir_server: FhirTestServer, fetcher: FhirFetcher
) -> None:
    context = {"patientId": "ftw-3", "userId": "Practitioner/dr-1"}
    keys = {k.name: k for k in chart_prefetch(load_knowledge())}
    requests = [FetchRequest(name, render_template(keys[name].template, context))
                for name in ("medications", "medicationStatements")]
    outcomes = await fetcher.fetch_all(fhir_server.base_url, requests, access_token=None, timeout_s=5.0)
    assert entry_ids(outcomes["medications"].resource) == ["ftw-3-valproate", "ftw-3-depakote"]
    assert entry_ids(outcomes["medicationStatements"].resource) == ["ftw-3-home-lamotrigine", "ftw-3-lamictal"]
