"""Closing the loop through HTTP: a dismissed card stays quiet for that patient only, and comes back later."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.support.cds_responses import assert_cards_response

PATIENT_DATA = Path(__file__).parent / "data" / "twitching-low-magnesium.json"  # facial myokymia, Mg 1.5 mg/dL
TODAY = date(2026, 11, 25)
MAGNESIUM_RULE = "electrolyte.magnesium.low"


class Clock:
    """The feedback loop's "now", moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def patient_view(patient_id: str) -> dict[str, Any]:
    """A patient-view request whose prefetch holds the test patient's chart, under the given id."""
    resources = [entry["resource"] for entry in json.loads(PATIENT_DATA.read_text())["entry"]]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(resource)

    def bundle(kind: str) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in by_type.get(kind, [])]}

    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/dr-1", "patientId": patient_id},
        "prefetch": {
            "patient": by_type["Patient"][0],
            "observations": bundle("Observation"),
            "conditions": bundle("Condition"),
            "medications": bundle("MedicationRequest"),
        },
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    settings = Settings(profile="development", auth="off", data_dir=tmp_path)
    with TestClient(create_app(settings, today=TODAY, clock=clock)) as test_client:
        yield test_client


POTASSIUM_ORDER_RULE = "order.potassium.hyperkalemia-risk"
CKD_STAGE_5 = {
    "resourceType": "Condition", "id": "loop-ckd", "subject": {"reference": "Patient/loop-1"},
    "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                   "code": "active"}]},
    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "N18.5"}]},
}


def order_sign(patient_id: str, draft_id: str) -> dict[str, Any]:
    """An order-sign request for a potassium draft (sandbox-shaped) for the test patient, who has CKD stage 5."""
    body = patient_view(patient_id)
    body["hook"] = "order-sign"
    body["prefetch"]["conditions"]["entry"].append({"resource": CKD_STAGE_5})
    draft = {
        "resourceType": "MedicationRequest", "id": draft_id, "status": "draft",
        "subject": {"reference": f"Patient/{patient_id}"},
        "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                                 "code": "community"}]},
        "medicationCodeableConcept": {"text": "Potassium Chloride 20 MEQ Extended Release Oral Tablet"},
    }
    body["context"]["draftOrders"] = {"resourceType": "Bundle", "entry": [{"resource": draft}]}
    return body


def cards_by_rule(client: TestClient, patient_id: str) -> dict[str, dict[str, Any]]:
    response = client.post("/cds-services/patient-view", json=patient_view(patient_id))
    assert response.status_code == 200, response.text
    return {card["source"]["topic"]["code"]: card for card in response.json()["cards"]}


def send_feedback(client: TestClient, item: dict[str, Any]) -> str:
    response = client.post("/cds-services/patient-view/feedback", json={"feedback": [item]})
    assert response.status_code == 200, response.text
    return str(response.json()["feedback"][0]["status"])


def override(card: dict[str, Any], reason: str) -> dict[str, Any]:
    return {
        "card": card["uuid"],
        "outcome": "overridden",
        "overrideReason": {"reason": {"system": "urn:facial-twitch-cds:override-reason", "code": reason}},
        "outcomeTimestamp": "2026-11-25T09:00:00Z",
    }


def test_overridden_card_is_quiet_for_that_patient_until_the_window_ends(
    client: TestClient, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    card = cards_by_rule(client, "patient-a")[MAGNESIUM_RULE]
    assert card["indicator"] != "critical"
    assert send_feedback(client, override(card, "already-addressed")) == "stored"

    with caplog.at_level(logging.INFO, logger="cds_hooks.request"):
        assert MAGNESIUM_RULE not in cards_by_rule(client, "patient-a")
    [call] = [r for r in caplog.records if r.getMessage() == "hook call"]
    assert call.fields["suppressed_rules"] == [MAGNESIUM_RULE]  # type: ignore[attr-defined]
    assert MAGNESIUM_RULE in cards_by_rule(client, "patient-b"), "another patient must be unaffected"

    clock.now += timedelta(days=29)
    assert MAGNESIUM_RULE not in cards_by_rule(client, "patient-a")
    clock.now += timedelta(days=2)
    assert MAGNESIUM_RULE in cards_by_rule(client, "patient-a")


def test_the_same_feedback_twice_is_stored_once(client: TestClient) -> None:
    card = cards_by_rule(client, "patient-c")[MAGNESIUM_RULE]
    assert send_feedback(client, override(card, "patient-declined")) == "stored"
    assert send_feedback(client, override(card, "patient-declined")) == "duplicate"


def test_a_plain_dismissal_snoozes_the_rule_for_the_rest_of_the_utc_day(client: TestClient, clock: Clock) -> None:
    card = cards_by_rule(client, "patient-d")[MAGNESIUM_RULE]
    item = override(card, "x")
    del item["overrideReason"]  # what the sandbox's "Dismiss" sends
    assert send_feedback(client, item) == "stored"
    assert MAGNESIUM_RULE not in cards_by_rule(client, "patient-d")
    assert MAGNESIUM_RULE in cards_by_rule(client, "patient-b"), "another patient must be unaffected"
    clock.now = datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC)
    assert MAGNESIUM_RULE not in cards_by_rule(client, "patient-d")
    clock.now = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    assert MAGNESIUM_RULE in cards_by_rule(client, "patient-d")


def test_a_dismissal_snoozes_for_the_configured_hours(tmp_path: Path, clock: Clock) -> None:
    settings = Settings(profile="development", auth="off", data_dir=tmp_path, suppress_dismissed_hours=2)
    with TestClient(create_app(settings, today=TODAY, clock=clock)) as client:
        card = cards_by_rule(client, "patient-h")[MAGNESIUM_RULE]
        assert send_feedback(client, {"card": card["uuid"], "outcome": "overridden",
                                      "outcomeTimestamp": "2026-11-25T09:00:00Z"}) == "stored"
        clock.now += timedelta(hours=1, minutes=59)
        assert MAGNESIUM_RULE not in cards_by_rule(client, "patient-h")
        clock.now += timedelta(minutes=1)
        assert MAGNESIUM_RULE in cards_by_rule(client, "patient-h")


def test_accepted_suggestion_is_not_suggested_again(client: TestClient) -> None:
    card = cards_by_rule(client, "patient-e")[MAGNESIUM_RULE]
    suggestion = card["suggestions"][0]["uuid"]
    item = {
        "card": card["uuid"],
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": suggestion}],
        "outcomeTimestamp": "2026-11-25T09:00:00Z",
    }
    assert send_feedback(client, item) == "stored"
    assert MAGNESIUM_RULE not in cards_by_rule(client, "patient-e")
    analytics = client.get("/analytics", params={"start": "2026-11-01", "end": "2026-11-30"}).json()
    assert analytics["accepted_by_suggestion"] == [{"suggestion": "magnesium-supplement", "accepted": 1}]


def test_an_acceptance_naming_a_suggestion_the_card_never_had_snoozes_nothing(client: TestClient) -> None:
    card = cards_by_rule(client, "patient-s")[MAGNESIUM_RULE]
    other = cards_by_rule(client, "patient-t")[MAGNESIUM_RULE]["suggestions"][0]["uuid"]
    item = {
        "card": card["uuid"],
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": other}],
        "outcomeTimestamp": "2026-11-25T09:00:00Z",
    }
    assert send_feedback(client, item) == "unknown-suggestion"
    assert MAGNESIUM_RULE in cards_by_rule(client, "patient-s")
    analytics = client.get("/analytics", params={"start": "2026-11-01", "end": "2026-11-30"}).json()
    [rule] = [r for r in analytics["by_rule"] if r["rule_id"] == MAGNESIUM_RULE]
    assert (rule["accepted"], rule["overridden"], rule["unknown_suggestion"]) == (0, 0, 1)
    assert "acceptance_rate" not in rule, "a stray acceptance judges nothing"
    [version] = rule["by_knowledge_version"]
    assert version["knowledge_version"] in card["source"]["topic"]["display"]
    assert (version["accepted"], version["unknown_suggestion"]) == (0, 1)
    assert analytics["accepted_by_suggestion"] == []


def test_feedback_for_a_card_never_issued_is_answered_unknown(client: TestClient) -> None:
    item = {"card": "never-issued", "outcome": "overridden", "outcomeTimestamp": "2026-11-25T09:00:00Z"}
    response = client.post("/cds-services/patient-view/feedback", json={"feedback": [item]})
    assert response.json() == {"feedback": [{"card": "never-issued", "status": "unknown-card"}]}


def test_analytics_count_issued_overridden_and_suppressed(client: TestClient) -> None:
    card = cards_by_rule(client, "patient-f")[MAGNESIUM_RULE]
    send_feedback(client, override(card, "not-relevant"))
    cards_by_rule(client, "patient-f")
    deadline = time.monotonic() + 5
    while True:
        counts = client.get("/analytics", params={"start": "2026-11-01", "end": "2026-11-30"}).json()
        rule = next((r for r in counts["by_rule"] if r["rule_id"] == MAGNESIUM_RULE), None)
        if (rule and rule.get("suppressed")) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert rule is not None
    assert rule["issued"] == 1
    assert rule["overridden"] == 1
    assert rule["suppressed"] == 1


def test_an_order_check_card_offers_to_delete_the_draft_and_its_acceptance_counts(client: TestClient) -> None:
    response = client.post("/cds-services/order-sign", json=order_sign("patient-k", "draft-k-1"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert_cards_response(body)
    [card] = [c for c in body["cards"] if c["source"]["topic"]["code"] == POTASSIUM_ORDER_RULE]
    [suggestion] = card["suggestions"]
    assert suggestion["label"] == "Remove the draft order: Potassium Chloride 20 MEQ Extended Release Oral Tablet"
    assert suggestion["actions"] == [{
        "type": "delete",
        "description": f"Delete MedicationRequest/draft-k-1: {suggestion['label']}",
        "resourceId": "MedicationRequest/draft-k-1",
    }]
    assert card["selectionBehavior"] == "at-most-one"

    item = {"card": card["uuid"], "outcome": "accepted", "acceptedSuggestions": [{"id": suggestion["uuid"]}],
            "outcomeTimestamp": "2026-11-25T09:00:00Z"}
    response = client.post("/cds-services/order-sign/feedback", json={"feedback": [item]})
    assert response.json() == {"feedback": [{"card": card["uuid"], "status": "stored"}]}

    counts = client.get("/analytics", params={"start": "2026-11-01", "end": "2026-11-30"}).json()
    [rule] = [r for r in counts["by_rule"] if r["rule_id"] == POTASSIUM_ORDER_RULE]
    assert (rule["issued"], rule["accepted"], rule["overridden"]) == (1, 1, 0)
    assert rule["acceptance_rate"] == 1.0
