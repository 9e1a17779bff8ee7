"""The HTTP API as an EHR meets it: discovery, hook calls, clear 4xx for every kind of bad input, CORS, handouts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings

SANDBOX = Path(__file__).parents[2] / "fixtures" / "sandbox"


def sandbox_request(name: str) -> dict[str, Any]:
    return json.loads((SANDBOX / f"{name}-request.json").read_text())


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(profile="development", auth="off", data_dir=tmp_path, max_body_bytes=200_000)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def assert_operation_outcome(response: Any, status: int, text: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert any(text in issue["diagnostics"] or text in issue.get("expression", []) for issue in body["issue"]), body


def test_discovery_lists_the_three_services(client: TestClient) -> None:
    services = client.get("/cds-services").json()["services"]
    assert {(s["id"], s["hook"]) for s in services} == {
        ("patient-view", "patient-view"),
        ("order-select", "order-select"),
        ("order-sign", "order-sign"),
    }
    for service in services:
        assert service["title"] and service["description"] and service["usageRequirements"]


def test_discovery_prefetch_asks_only_for_coded_observations(client: TestClient) -> None:
    for service in client.get("/cds-services").json()["services"]:
        prefetch = service["prefetch"]
        assert prefetch["patient"] == "Patient/{{context.patientId}}"
        observations = prefetch["observations"]
        assert observations.startswith("Observation?patient={{context.patientId}}&code=")
        assert "http://loinc.org|19123-9" in observations  # magnesium, mass concentration
        assert "_sort=-date" in observations
        assert prefetch["medications"] == ("MedicationRequest?patient={{context.patientId}}&status=active"
                                           "&_include=MedicationRequest:medication")
        assert prefetch["medicationStatements"] == ("MedicationStatement?patient={{context.patientId}}"
                                                    "&status=active,intended&_include=MedicationStatement:medication")


def test_sandbox_patient_without_twitching_gets_no_cards(client: TestClient) -> None:
    body = sandbox_request("patient-view")
    body["prefetch"].update(observations=None, medications=None)
    response = client.post("/cds-services/patient-view", json=body)
    assert response.status_code == 200
    assert response.json() == {"cards": []}


def test_sandbox_request_with_omitted_keys_and_unreachable_fhir_server_is_412(client: TestClient) -> None:
    # The sandbox omitted the observations and medications keys; nothing listens on port 1 of loopback.
    body = sandbox_request("patient-view")
    body["fhirServer"] = "http://127.0.0.1:1"
    response = client.post("/cds-services/patient-view", json=body)
    assert_operation_outcome(response, 412, "medications, observations")


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_sandbox_order_requests_are_accepted_despite_non_r4_draft_orders(client: TestClient, hook: str) -> None:
    body = sandbox_request(hook)
    body["prefetch"] = {"patient": None, "observations": None, "conditions": None, "medications": None}
    response = client.post(f"/cds-services/{hook}", json=body)
    assert response.status_code == 200
    assert response.json() == {"cards": []}


def test_unknown_service_is_404(client: TestClient) -> None:
    assert_operation_outcome(client.post("/cds-services/nope", json={}), 404, "nope")


def test_hook_not_matching_the_service_is_400(client: TestClient) -> None:
    body = sandbox_request("order-sign")
    assert_operation_outcome(client.post("/cds-services/patient-view", json=body), 400, "not 'order-sign'")


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post("/cds-services/patient-view", content=b'{"hook": "patient-view",', headers={"content-type": "application/json"})
    assert_operation_outcome(response, 400, "not valid JSON")


def test_json_that_is_not_an_object_is_400(client: TestClient) -> None:
    assert_operation_outcome(client.post("/cds-services/patient-view", json=[1, 2]), 400, "JSON object")


def test_missing_context_field_is_400_naming_it(client: TestClient) -> None:
    body = sandbox_request("patient-view")
    del body["context"]["patientId"]
    assert_operation_outcome(client.post("/cds-services/patient-view", json=body), 400, "context.patientId")


def test_wrong_types_are_400_naming_the_field(client: TestClient) -> None:
    body = sandbox_request("patient-view")
    body["hookInstance"] = 7
    body["fhirServer"] = "not a url"
    response = client.post("/cds-services/patient-view", json=body)
    assert_operation_outcome(response, 400, "hookInstance")
    assert_operation_outcome(response, 400, "fhirServer")


def test_order_select_without_selections_is_400(client: TestClient) -> None:
    body = sandbox_request("order-select")
    del body["context"]["selections"]
    assert_operation_outcome(client.post("/cds-services/order-select", json=body), 400, "context.selections")


def test_body_over_the_limit_is_413(client: TestClient) -> None:
    body = sandbox_request("patient-view")
    body["padding"] = "x" * 250_000
    assert_operation_outcome(client.post("/cds-services/patient-view", json=body), 413, "limit")


def test_body_over_the_limit_without_content_length_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"padding": "'
        for _ in range(30):
            yield b"x" * 10_000
        yield b'"}'

    response = client.post("/cds-services/patient-view", content=chunks())
    assert_operation_outcome(response, 413, "limit")


def test_missing_required_data_without_fhir_server_is_412(client: TestClient) -> None:
    body = sandbox_request("patient-view")
    del body["fhirServer"]
    assert_operation_outcome(client.post("/cds-services/patient-view", json=body), 412, "could not be obtained")


def test_cors_preflight_allows_authorization_and_content_type(client: TestClient) -> None:
    response = client.options(
        "/cds-services/patient-view",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "POST" in response.headers["access-control-allow-methods"]


def test_feedback_from_the_sandbox_is_accepted(client: TestClient) -> None:
    body = json.loads((SANDBOX / "feedback-request.json").read_text())
    response = client.post("/cds-services/patient-view/feedback", json=body)
    assert response.status_code == 200


def test_invalid_feedback_is_400_with_the_reason(client: TestClient) -> None:
    body = {"feedback": [{"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-11-25T09:00:00Z"}]}
    response = client.post("/cds-services/patient-view/feedback", json=body)
    assert_operation_outcome(response, 400, "acceptedSuggestions")


def test_feedback_for_unknown_service_is_404(client: TestClient) -> None:
    assert client.post("/cds-services/nope/feedback", json={"feedback": []}).status_code == 404


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_handout_is_a_self_contained_page(client: TestClient) -> None:
    page = client.get("/handouts/stress")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<!DOCTYPE html>" in page.text
    assert "http://" not in page.text.replace('xmlns="http://www.w3.org', "")
    assert client.get("/handouts/no-such-topic").status_code == 404


def test_unexpected_error_is_a_500_operation_outcome_a_browser_can_read(tmp_path: Path) -> None:
    settings = Settings(profile="development", auth="off", data_dir=tmp_path)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:

        def explode(service_id: str) -> None:
            raise RuntimeError("a bug")

        app.state.engine.service = explode
        response = test_client.post(
            "/cds-services/patient-view", json={}, headers={"Origin": "http://localhost:3000"}
        )
    assert_operation_outcome(response, 500, "internal error")
    assert response.headers["access-control-allow-origin"] == "*"
    assert "a bug" not in response.text


def test_validation_errors_name_the_field_in_the_issue_expression(client: TestClient) -> None:
    body = sandbox_request("patient-view")
    del body["context"]["patientId"]
    body["hookInstance"] = 7
    issues = client.post("/cds-services/patient-view", json=body).json()["issue"]
    expressions = {tuple(issue.get("expression", ())): issue["diagnostics"] for issue in issues}
    assert ("hookInstance",) in expressions and ":" not in expressions[("hookInstance",)]
    assert issues[0]["diagnostics"] == "invalid CDS Hooks request" and "expression" not in issues[0]
