"""A faulty FHIR server, met through the service: each fault ends the request within its deadline, as documented.

The EHR leaves prefetch keys out and names a real FHIR test server (a separate process) that misbehaves in one
way per test. Missing required keys (observations, conditions, medications) are a 412 naming each key and why;
the optional `patient` key missing still gets the cards the rest of the chart supports. Nothing hangs, and the
EHR's access token never reaches a log.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.scenarios import SCENARIOS_DIR, load_scenario
from tests.support.cds_responses import assert_cards_response, assert_operation_outcome
from tests.support.fhir_fixtures import FhirEndpoint, FhirTestServer, running_fhir_server
from tests.support.log_capture import CapturedLogs
from tests.support.secrets_in_logs import Secrets

from .tally import FAULTS, count

pytestmark = pytest.mark.process

CHART = load_scenario(SCENARIOS_DIR / "04-eyelid-twitching-mild-low-magnesium")
PATIENT_ID = CHART.request["context"]["patientId"]
REQUIRED_KEYS = ("conditions", "medications", "observations")
MAGNESIUM_CARD = "electrolyte.magnesium.low"
REQUEST_BUDGET_MS = 400
# The deadline ends fetching; parsing, the rules and the TestClient round trip come on top, on a busy CI machine.
WITHIN_DEADLINE_S = REQUEST_BUDGET_MS / 1000 + 0.6

# Each fault, and the reason the service gives for a key it could not fetch because of it.
FAULT_REASONS = {
    "500": "http 500",
    "401": "http 401",
    "403": "http 403",
    "404": "http 404",
    "outcome": "operation outcome",
    "invalid-json": "invalid json",
    "not-fhir": "not fhir",
    "huge": "too large",
    "slow": "timeout",
    "redirect": "http 302",
}
SLOW_ANSWER_MS = 2000  # far beyond the fetch deadline (300 ms by default)


@pytest.fixture(scope="module")
def chart_server() -> Iterator[FhirTestServer]:
    """A real FHIR server holding the magnesium chart (so what it does serve makes cards)."""
    with running_fhir_server(CHART.path / "request.json") as server:
        yield server


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(
        profile="development",
        auth="off",
        data_dir=tmp_path_factory.mktemp("fhir-faults"),
        request_budget_ms=REQUEST_BUDGET_MS,
        fetch_max_response_bytes=2_000_000,  # the 64 MiB answer is cut off early instead of timing out
    )
    with TestClient(create_app(settings, today=CHART.today)) as test_client:
        yield test_client


def endpoint(server: FhirTestServer, fault: str) -> FhirEndpoint:
    if fault == "slow-answer":
        return server.endpoint(delay_ms=SLOW_ANSWER_MS)
    return server.endpoint(fault=fault, next_port=server.port if fault in ("redirect", "foreign-next") else None)


def request_fetching(
    keys: tuple[str, ...], fhir: FhirEndpoint, token: str, prefetch: dict[str, Any] | None = None
) -> Any:
    """The chart's request with `keys` left out of prefetch (so they are fetched from `fhir` with `token`)."""
    body = copy.deepcopy(CHART.request)
    body["prefetch"] = {k: v for k, v in (prefetch or body["prefetch"]).items() if k not in keys}
    body["fhirServer"] = fhir.url
    body["fhirAuthorization"] = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "cds-service",
    }
    return body


def timed_post(client: TestClient, body: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    response = client.post("/cds-services/patient-view", json=body)
    return response, time.perf_counter() - started


def new_token() -> str:
    return f"ehr-access-{uuid.uuid4().hex}"


def rule_ids(response: Any) -> set[str]:
    return {card["source"]["topic"]["code"] for card in response.json()["cards"]}


FAULT_CASES = [*FAULT_REASONS, "slow-answer"]


@pytest.mark.parametrize("fault", FAULT_CASES)
def test_required_keys_lost_to_a_fault_are_a_412_naming_each_key_unavailable_and_the_log_says_why(
    fault: str, chart_server: FhirTestServer, client: TestClient, logs: CapturedLogs, fixture_secrets: Secrets
) -> None:
    fhir, token = endpoint(chart_server, fault), new_token()
    response, elapsed = timed_post(client, request_fetching(("patient", *REQUIRED_KEYS), fhir, token))
    count(FAULTS, len(fhir.requests()))

    assert response.status_code == 412, response.text
    outcome = assert_operation_outcome(response.json())
    reason = FAULT_REASONS.get(fault, "timeout")
    assert {issue.diagnostics for issue in outcome.issue[1:]} == {f"{key}: unavailable" for key in REQUIRED_KEYS}
    assert reason not in response.text  # nothing for scanning the network
    assert f'"{reason}"' in logs.text
    assert elapsed < WITHIN_DEADLINE_S
    assert '"msg":"fhir fetch"' in logs.text  # the capture works: each fetch was logged ...
    assert fixture_secrets.with_tokens(token).found_in(logs.text) == []  # ... without the token


@pytest.mark.parametrize("fault", FAULT_CASES)
def test_an_optional_key_lost_to_a_fault_still_gets_the_cards_the_rest_supports(
    fault: str, chart_server: FhirTestServer, client: TestClient, logs: CapturedLogs, fixture_secrets: Secrets
) -> None:
    fhir, token = endpoint(chart_server, fault), new_token()
    response, elapsed = timed_post(client, request_fetching(("patient",), fhir, token))
    count(FAULTS, len(fhir.requests()))

    assert response.status_code == 200, response.text
    assert_cards_response(response.json())
    assert MAGNESIUM_CARD in rule_ids(response)
    assert elapsed < WITHIN_DEADLINE_S
    assert fixture_secrets.with_tokens(token).found_in(logs.text) == []


def observations_paged_from(fhir: FhirEndpoint) -> dict[str, Any]:
    """The first observation as the EHR's prefetch, the rest one per page on the FHIR server."""
    prefetch = copy.deepcopy(CHART.request["prefetch"])
    observations = prefetch["observations"]
    observations["entry"] = observations["entry"][:1]
    next_page = f"{fhir.url}/Observation?patient={PATIENT_ID}&_count=1&_offset=1"
    observations["link"] = [{"relation": "next", "url": next_page}]
    return prefetch


@pytest.mark.parametrize("fault", ["next-loop", "foreign-next"])
def test_paging_that_loops_or_leaves_the_server_stops_and_keeps_what_it_has(
    fault: str, chart_server: FhirTestServer, client: TestClient, logs: CapturedLogs, fixture_secrets: Secrets
) -> None:
    fhir, token = endpoint(chart_server, fault), new_token()
    body = request_fetching((), fhir, token, prefetch=observations_paged_from(fhir))
    response, elapsed = timed_post(client, body)
    pages = fhir.requests()
    count(FAULTS, len(pages))

    assert response.status_code == 200, response.text
    assert MAGNESIUM_CARD in rule_ids(response)
    assert 1 <= len(pages) <= Settings().fetch_max_pages
    assert all(page["authorization"] == f"Bearer {token}" for page in pages)
    assert elapsed < WITHIN_DEADLINE_S
    assert fixture_secrets.with_tokens(token).found_in(logs.text) == []


def test_a_healthy_server_gives_the_same_cards_as_a_full_prefetch(
    chart_server: FhirTestServer, client: TestClient
) -> None:
    """The control for the faults above: the same request against the same server, behaving."""
    fhir = chart_server.endpoint()
    response, _ = timed_post(client, request_fetching(("patient", *REQUIRED_KEYS), fhir, new_token()))
    assert response.status_code == 200, response.text
    assert rule_ids(response) == {MAGNESIUM_CARD}
    assert len(fhir.requests()) == 5  # the four keys, and the optional home medications the EHR did not send
