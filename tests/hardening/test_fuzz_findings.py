"""Inputs the fuzzers found that used to be answered 500, pinned here so they stay a clear 4xx (or a good 200)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.scenarios import SCENARIOS_DIR, load_scenario
from tests.support.cds_responses import assert_cards_response, assert_operation_outcome
from tests.support.fhir_fixtures import FhirTestServer

CHART = load_scenario(SCENARIOS_DIR / "04-eyelid-twitching-mild-low-magnesium")


@pytest.fixture
def client(tmp_path: Any) -> Iterator[TestClient]:
    settings = Settings(profile="development", auth="off", data_dir=tmp_path)
    with TestClient(create_app(settings, today=CHART.today), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/analytics", "/dashboard"])
@pytest.mark.parametrize("end", ["0001-01-01", "0001-01-15", "9999-12-31"])
def test_analytics_for_the_ends_of_the_calendar_is_400(client: TestClient, path: str, end: str) -> None:
    response = client.get(path, params={"end": end})
    assert response.status_code == 400
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["diagnostics"] == "end is out of range"
    assert body["issue"][1]["expression"] == ["end"]


@pytest.mark.parametrize("timestamp", ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"])
def test_feedback_timestamped_beyond_what_utc_can_hold_is_400(client: TestClient, timestamp: str) -> None:
    body = {"feedback": [{"card": "c-1", "outcome": "overridden", "outcomeTimestamp": timestamp}]}
    response = client.post("/cds-services/patient-view/feedback", json=body)
    assert response.status_code == 400
    issues = [(issue.expression, issue.diagnostics) for issue in assert_operation_outcome(response.json()).issue]
    assert (["feedback.0.outcomeTimestamp"], "Value error, outcomeTimestamp is out of range") in issues


@pytest.mark.process
@pytest.mark.parametrize("token", ["caf\u00e9", "two words", "line\nbreak", "\u0080"])
def test_an_access_token_that_cannot_be_a_header_is_400_and_nothing_is_fetched(
    client: TestClient, fhir_server: FhirTestServer, token: str
) -> None:
    fhir = fhir_server.endpoint()
    body = copy.deepcopy(CHART.request)
    del body["prefetch"]["conditions"]
    body["fhirServer"] = fhir.url
    body["fhirAuthorization"] = {
        "access_token": token, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read", "subject": "x",
    }
    response = client.post("/cds-services/patient-view", json=body)
    assert response.status_code == 400
    assert "fhirAuthorization.access_token cannot be sent as a bearer token" in response.text
    assert token not in response.text
    assert fhir.requests() == []


@pytest.mark.parametrize(
    ("part", "resource"),
    [
        ("conditions", {"resourceType": "Condition", "code": {"coding": [{"system": [], "code": "R25.3"}]}}),
        ("conditions", {"resourceType": "Condition", "code": {"coding": [{"system": "x", "code": {"a": 1}}]}}),
        ("medications", {"resourceType": "MedicationRequest", "status": "active",
                         "medicationCodeableConcept": {"coding": 5, "text": "magnesium"}}),
    ],
    ids=["list-as-system", "object-as-code", "number-as-codings"],
)
def test_codings_of_the_wrong_shape_are_skipped_and_the_chart_still_counts(
    client: TestClient, part: str, resource: dict[str, Any]
) -> None:
    body = copy.deepcopy(CHART.request)
    bundle = body["prefetch"][part]
    bundle["entry"] = [*bundle.get("entry", []), {"resource": resource}]
    response = client.post("/cds-services/patient-view", json=body)
    assert response.status_code == 200, response.text
    cards = assert_cards_response(response.json()).cards
    assert "electrolyte.magnesium.low" in {card.source.topic.code for card in cards if card.source.topic}
