"""The FHIR client's rules at the HTTP edge (mocked transport): same-origin only, media types, sizes, statuses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from cds_hooks.fhir_client import FhirFetcher, next_link
from tests.support.fetching import MakeFetcher, entry_ids, fetch_one

FHIR = "https://ehr.example.org/fhir"
PATIENT = {"resourceType": "Patient", "id": "p1"}


def page(*ids: str, next_url: str | None = None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": {"resourceType": "Observation", "id": i}} for i in ids],
    }
    if next_url is not None:
        bundle["link"] = [
            {"relation": "self", "url": f"{FHIR}/Observation?patient=p1"},
            {"relation": "next", "url": next_url},
        ]
    return bundle


def test_next_link_is_found_among_other_links() -> None:
    assert next_link(page("o1", next_url=f"{FHIR}/Observation?page=2")) == f"{FHIR}/Observation?page=2"


@pytest.mark.parametrize(
    "bundle",
    [
        page("o1"),
        {"resourceType": "Bundle", "link": "not a list"},
        {"resourceType": "Bundle", "link": [{"relation": "next"}, {"relation": "next", "url": ""}, "junk"]},
        {"resourceType": "Bundle", "link": [{"relation": "previous", "url": f"{FHIR}/Observation?page=1"}]},
    ],
)
def test_next_link_is_none_when_no_usable_next_is_named(bundle: dict[str, Any]) -> None:
    assert next_link(bundle) is None


@respx.mock
async def test_next_link_on_the_same_origin_spelled_differently_is_followed(fetcher: FhirFetcher) -> None:
    respx.get(f"{FHIR}/Observation", params={"patient": "p1"}).respond(
        json=page("o1", next_url="HTTPS://EHR.example.org:443/fhir/Observation?page=2")
    )
    respx.get(f"{FHIR}/Observation", params={"page": "2"}).respond(json=page("o2"))
    outcome = await fetch_one(fetcher, FHIR, "Observation?patient=p1")
    assert (outcome.error, outcome.pages) == (None, 2)
    assert entry_ids(outcome.resource) == ["o1", "o2"]


@pytest.mark.parametrize(
    "foreign",
    [
        "http://ehr.example.org/fhir/Observation?page=2",  # scheme
        "https://ehr.example.org:8443/fhir/Observation?page=2",  # port
        "https://ehr.example.org.attacker.test/fhir/Observation?page=2",  # host
        "//attacker.test/fhir/Observation?page=2",  # scheme-relative
    ],
)
@respx.mock
async def test_next_link_to_another_origin_is_refused_before_sending(fetcher: FhirFetcher, foreign: str) -> None:
    respx.get(f"{FHIR}/Observation", params={"patient": "p1"}).respond(json=page("o1", next_url=foreign))
    outcome = await fetch_one(fetcher, FHIR, "Observation?patient=p1", access_token="secret")
    assert (outcome.resource, outcome.error) == (None, "foreign next link")
    assert respx.calls.call_count == 1


@respx.mock
async def test_relative_next_link_is_resolved_against_the_page(fetcher: FhirFetcher) -> None:
    respx.get(f"{FHIR}/Observation", params={"patient": "p1"}).respond(json=page("o1", next_url="Observation?page=2"))
    respx.get(f"{FHIR}/Observation", params={"page": "2"}).respond(json=page("o2"))
    outcome = await fetch_one(fetcher, FHIR, "Observation?patient=p1")
    assert entry_ids(outcome.resource) == ["o1", "o2"]


@respx.mock
async def test_partial_bundle_at_the_page_limit_is_returned_without_fetching(make_fetcher: MakeFetcher) -> None:
    partial = page("o1", next_url=f"{FHIR}/Observation?page=2")
    outcome = await fetch_one(make_fetcher(max_pages=1), FHIR, f"{FHIR}/Observation?page=2", partial=partial)
    assert (outcome.error, outcome.pages, outcome.truncated) == (None, 1, True)
    assert entry_ids(outcome.resource) == ["o1"]
    assert outcome.resource is not None and next_link(outcome.resource) is None
    assert respx.calls.call_count == 0


@respx.mock
async def test_next_link_back_to_the_ehrs_own_page_is_a_loop(fetcher: FhirFetcher) -> None:
    partial = page("o1", next_url=f"{FHIR}/Observation?page=2")  # its `self` is Observation?patient=p1
    respx.get(f"{FHIR}/Observation", params={"page": "2"}).respond(
        json=page("o2", next_url=f"{FHIR}/Observation?patient=p1")
    )
    outcome = await fetch_one(fetcher, FHIR, f"{FHIR}/Observation?page=2", partial=partial)
    assert (outcome.error, outcome.pages, outcome.truncated) == (None, 2, True)
    assert entry_ids(outcome.resource) == ["o1", "o2"]


@respx.mock
async def test_next_page_that_is_not_a_bundle_is_an_error(fetcher: FhirFetcher) -> None:
    first = page("o1", next_url=f"{FHIR}/Observation?page=2")
    respx.get(f"{FHIR}/Observation", params={"patient": "p1"}).respond(json=first)
    respx.get(f"{FHIR}/Observation", params={"page": "2"}).respond(json=PATIENT)
    outcome = await fetch_one(fetcher, FHIR, "Observation?patient=p1")
    assert (outcome.resource, outcome.error) == (None, "not fhir")


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(200, json=PATIENT, headers={"Content-Type": "text/html"}), "unexpected content type"),
        (httpx.Response(200, content=b"[]", headers={"Content-Type": "application/json"}), "not fhir"),
        (httpx.Response(401), "http 401"),
        (httpx.Response(403), "http 403"),
        (httpx.Response(301, headers={"Location": "https://elsewhere.test/"}), "http 301"),
        (httpx.Response(200, content=b"x" * 2000, headers={"Content-Type": "application/fhir+json"}), "too large"),
    ],
)
@respx.mock
async def test_unusable_answers_are_errors(make_fetcher: MakeFetcher, response: httpx.Response, error: str) -> None:
    respx.get(f"{FHIR}/Patient/p1").mock(return_value=response)
    outcome = await fetch_one(make_fetcher(max_response_bytes=1000), FHIR, "Patient/p1")
    assert (outcome.resource, outcome.error) == (None, error)


@respx.mock
async def test_fhir_json_with_charset_parameter_is_accepted(fetcher: FhirFetcher) -> None:
    respx.get(f"{FHIR}/Patient/p1").respond(
        content=b'{"resourceType": "Patient", "id": "p1"}',
        headers={"Content-Type": "application/fhir+json; charset=utf-8"},
    )
    outcome = await fetch_one(fetcher, FHIR, "Patient/p1")
    assert (outcome.resource, outcome.error) == (PATIENT, None)


@pytest.mark.parametrize("status", [404, 410])
@respx.mock
async def test_read_of_missing_or_deleted_resource_is_no_data(fetcher: FhirFetcher, status: int) -> None:
    respx.get(f"{FHIR}/Patient/p1").respond(status)
    outcome = await fetch_one(fetcher, FHIR, "Patient/p1")
    assert (outcome.resource, outcome.error) == (None, None)


@respx.mock
async def test_404_on_a_search_is_an_error(fetcher: FhirFetcher) -> None:
    respx.get(f"{FHIR}/Observation").respond(404)
    outcome = await fetch_one(fetcher, FHIR, "Observation?patient=p1")
    assert (outcome.resource, outcome.error) == (None, "http 404")


@respx.mock
async def test_unreachable_server_is_a_connection_error(fetcher: FhirFetcher) -> None:
    respx.get(f"{FHIR}/Patient/p1").mock(side_effect=httpx.ConnectError("refused"))
    outcome = await fetch_one(fetcher, FHIR, "Patient/p1")
    assert (outcome.resource, outcome.error) == (None, "connection error")


@pytest.mark.parametrize("fhir_server", ["ftp://ehr.example.org/fhir", "not a url", "/fhir"])
async def test_fhir_server_that_is_not_an_http_url_is_refused(fetcher: FhirFetcher, fhir_server: str) -> None:
    outcome = await fetch_one(fetcher, fhir_server, "Patient/p1")
    assert (outcome.resource, outcome.error) == (None, "invalid fhirServer")


async def test_no_keys_means_no_work(fetcher: FhirFetcher) -> None:
    assert await fetcher.fetch_all(FHIR, [], access_token=None, timeout_s=0.1) == {}
