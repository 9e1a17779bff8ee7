"""Wire models: tolerant of what EHRs send, strict in what we send."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from cds_hooks.models import (
    CONTEXT_MODELS,
    Action,
    Card,
    FeedbackRequest,
    HookRequest,
    Source,
    Suggestion,
)

SAMPLES = Path(__file__).parents[2] / "fixtures" / "sandbox"


@pytest.mark.parametrize("name", ["patient-view", "order-select", "order-sign"])
def test_real_sandbox_requests_parse_with_their_hook_context(name: str) -> None:
    body = json.loads((SAMPLES / f"{name}-request.json").read_text())
    request = HookRequest.model_validate(body)
    context = CONTEXT_MODELS[request.hook].model_validate(request.context)
    assert context.patientId == "6d367230-21b3-5816-8d8c-5239028c388f"


def test_unknown_fields_and_extension_are_tolerated() -> None:
    request = HookRequest.model_validate(
        {
            "hook": "patient-view",
            "hookInstance": "h1",
            "context": {"userId": "Practitioner/1", "patientId": "p1", "vendorThing": 1},
            "extension": {"org.example.flag": True},
            "somethingNew": [1, 2],
        }
    )
    assert request.extension == {"org.example.flag": True}
    assert CONTEXT_MODELS["patient-view"].model_validate(request.context).patientId == "p1"


def test_fhir_authorization_requires_fhir_server() -> None:
    with pytest.raises(ValidationError, match="fhirServer is required"):
        HookRequest.model_validate(
            {
                "hook": "patient-view",
                "hookInstance": "h1",
                "context": {},
                "fhirAuthorization": {
                    "access_token": "t",
                    "token_type": "Bearer",
                    "expires_in": 1,
                    "scope": "s",
                    "subject": "x",
                },
            }
        )


def test_order_select_needs_selections_and_a_draft_orders_bundle() -> None:
    model = CONTEXT_MODELS["order-select"]
    with pytest.raises(ValidationError, match="selections"):
        model.model_validate({"userId": "u", "patientId": "p", "draftOrders": {"resourceType": "Bundle"}})
    with pytest.raises(ValidationError, match="must be a FHIR Bundle"):
        model.model_validate({"userId": "u", "patientId": "p", "selections": ["a"], "draftOrders": {"x": 1}})


def test_card_refuses_long_summary_and_suggestions_without_selection_behavior() -> None:
    source = Source(label="x")
    with pytest.raises(ValidationError):
        Card(uuid="u", summary="x" * 140, indicator="info", source=source)
    with pytest.raises(ValidationError, match="selectionBehavior"):
        Card(uuid="u", summary="s", indicator="info", source=source, suggestions=[Suggestion(label="l")])


def test_a_delete_action_names_its_target_by_a_relative_reference_only() -> None:
    Action(type="delete", description="d", resourceId="MedicationRequest/request-123")
    for bad in ({"resourceId": None}, {"resourceId": "request-123"}, {"resourceId": "MedicationRequest/a b"},
                {"resourceId": "MedicationRequest/a", "resource": {"resourceType": "MedicationRequest"}}):
        with pytest.raises(ValidationError):
            Action(type="delete", description="d", **bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="carries the resource"):
        Action(type="create", description="c")


def test_card_refuses_unknown_fields_and_indicators() -> None:
    with pytest.raises(ValidationError):
        Card(uuid="u", summary="s", indicator="hard-stop", source=Source(label="x"))  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Source(label="x", colour="red")  # type: ignore[call-arg]


def test_sandbox_feedback_parses() -> None:
    body = (SAMPLES / "feedback-request.json").read_text()
    parsed = FeedbackRequest.model_validate_json(body)
    assert parsed.feedback[0].outcome == "overridden"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-01-01T00:00:00Z"}, "acceptedSuggestions"),
        ({"card": "c", "outcome": "ignored", "outcomeTimestamp": "2026-01-01T00:00:00Z"}, "outcome"),
        ({"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-01-01T00:00:00"}, "time zone"),
        ({"outcome": "overridden", "outcomeTimestamp": "2026-01-01T00:00:00Z"}, "card"),
    ],
)
def test_invalid_feedback_items_are_refused_with_the_reason(item: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FeedbackRequest.model_validate({"feedback": [item]})
