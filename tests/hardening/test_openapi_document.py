"""`/openapi.json` describes the wire as it is: the bodies the routes read themselves, and every answer they give.

The fuzzing in `test_api_fuzz` trusts this document; these tests check that it is worth trusting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.scenarios import load_scenarios

SANDBOX = Path(__file__).parents[2] / "fixtures" / "sandbox"  # real CDS Hooks sandbox requests
HOOK = ("/cds-services/{service_id}", "post")
FEEDBACK = ("/cds-services/{service_id}/feedback", "post")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(profile="development", auth="off", data_dir=tmp_path_factory.mktemp("openapi"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def operation(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return document["paths"][path][method]


def schema_name(media: dict[str, Any]) -> str:
    return media["schema"]["$ref"].removeprefix("#/components/schemas/")


def validator(document: dict[str, Any], component: str) -> Any:
    root = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    return jsonschema_rs.validator_for(root)


def request_body_schema(document: dict[str, Any], path: str, method: str) -> str:
    return schema_name(operation(document, path, method)["requestBody"]["content"]["application/json"])


def test_the_hook_route_documents_the_body_it_reads_and_every_answer(document: dict[str, Any]) -> None:
    hook = operation(document, *HOOK)
    assert request_body_schema(document, *HOOK) == "HookRequest"
    responses = hook["responses"]
    assert schema_name(responses["200"]["content"]["application/json"]) == "CardsResponse"
    for status in ("400", "404", "412", "413"):
        assert schema_name(responses[status]["content"]["application/json"]) == "OperationOutcome"
    assert "content" not in responses["401"]  # bare
    assert hook["security"] == [{"ehrJwt": []}]


def test_the_feedback_route_documents_the_body_it_reads_and_every_answer(document: dict[str, Any]) -> None:
    responses = operation(document, *FEEDBACK)["responses"]
    assert request_body_schema(document, *FEEDBACK) == "FeedbackRequest"
    assert schema_name(responses["200"]["content"]["application/json"]) == "FeedbackReceipt"
    assert {status for status in responses if status != "200"} == {"400", "401", "404", "413"}


def test_no_operation_documents_fastapis_422_which_the_service_never_sends(document: dict[str, Any]) -> None:
    statuses = {status for item in document["paths"].values() for op in item.values() for status in op["responses"]}
    assert "422" not in statuses
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_service_ids_are_those_discovery_lists(document: dict[str, Any], client: TestClient) -> None:
    discovered = [service["id"] for service in client.get("/cds-services").json()["services"]]
    for path, method in (HOOK, FEEDBACK):
        (parameter,) = operation(document, path, method)["parameters"]
        assert parameter["schema"]["enum"] == discovered


@pytest.mark.parametrize("sample", ["patient-view", "order-select", "order-sign"])
def test_real_sandbox_requests_fit_the_documented_hook_request(document: dict[str, Any], sample: str) -> None:
    body = json.loads((SANDBOX / f"{sample}-request.json").read_text())
    assert list(validator(document, "HookRequest").iter_errors(body)) == []


def test_every_scenario_request_fits_the_documented_hook_request(document: dict[str, Any]) -> None:
    check = validator(document, "HookRequest")
    assert [s.name for s in load_scenarios() if not check.is_valid(s.request)] == []


def test_the_documented_hook_request_requires_a_patient_context(document: dict[str, Any]) -> None:
    body = json.loads((SANDBOX / "patient-view-request.json").read_text())
    assert not validator(document, "HookRequest").is_valid({**body, "context": {"userId": "Practitioner/1"}})


def test_sandbox_feedback_fits_the_documented_feedback_request(document: dict[str, Any]) -> None:
    body = json.loads((SANDBOX / "feedback-request.json").read_text())
    assert list(validator(document, "FeedbackRequest").iter_errors(body)) == []


def test_real_answers_fit_their_documented_schemas(document: dict[str, Any], client: TestClient) -> None:
    scenario = next(s for s in load_scenarios() if s.name.startswith("04-"))
    answers = {
        "CardsResponse": client.post("/cds-services/patient-view", json=scenario.request).json(),
        "DiscoveryResponse": client.get("/cds-services").json(),
        "OperationOutcome": client.post("/cds-services/patient-view", content=b"{").json(),
        "Readiness": client.get("/readyz").json(),
        "Liveness": client.get("/healthz").json(),
        "FeedbackReceipt": client.post(
            "/cds-services/patient-view/feedback",
            content=(SANDBOX / "feedback-request.json").read_bytes(),
        ).json(),
    }
    assert answers["CardsResponse"]["cards"]
    for component, body in answers.items():
        assert list(validator(document, component).iter_errors(body)) == [], component
