"""The scenario fixtures themselves are sound: well-formed files, consistent references, valid FHIR R4 resources."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from tests.scenarios import Scenario, load_scenarios

SCENARIOS = load_scenarios()
VALID_SCENARIOS = [scenario for scenario in SCENARIOS if not scenario.has_broken_data]
BROKEN_SCENARIOS = [scenario for scenario in SCENARIOS if scenario.has_broken_data]
HOOKS = {"patient-view", "order-select", "order-sign"}
PREFETCH_KEYS = {"patient", "observations", "conditions", "medications"}
OPTIONAL_PREFETCH_KEYS = {"medicationStatements"}
TEXT_EXPECTATION_KEYS = {"summary_includes", "detail_includes", "detail_excludes"}
# Resources with no patient of their own (a Medication is a product, referenced from a request or statement).
PATIENTLESS_TYPES = {"Patient", "Medication"}
EXPECTED_KEYS = {"description", "today", "cards"}
INDICATORS = {"info", "warning", "critical"}
USER_ID = "Practitioner/COREPRACTITIONER1"
SANDBOX_SINGLE_OBJECT_LISTS = ("category", "reasonCode")


def scenario_ids(scenario: Scenario) -> str:
    return scenario.name


def prefetched_resources(scenario: Scenario) -> Iterator[dict[str, Any]]:
    """The patient and every resource inside the prefetched searchset Bundles."""
    for value in scenario.request["prefetch"].values():
        if value is None:
            continue
        if value["resourceType"] == "Bundle":
            yield from (entry["resource"] for entry in value.get("entry", []))
        else:
            yield value


def draft_orders(scenario: Scenario) -> list[dict[str, Any]]:
    bundle = scenario.request["context"].get("draftOrders", {})
    return [entry["resource"] for entry in bundle.get("entry", [])]


def without_sandbox_quirks(resource: dict[str, Any]) -> dict[str, Any]:
    """The sandbox sends some R4 arrays as single objects; wrap them so the rest of the draft can be validated."""
    return {
        key: [value] if key in SANDBOX_SINGLE_OBJECT_LISTS and isinstance(value, dict) else value
        for key, value in resource.items()
    }


def fhir_errors(scenario: Scenario) -> list[str]:
    """Validation errors of every prefetch value and every draft order under the FHIR R4B models."""
    documents = [value for value in scenario.request["prefetch"].values() if value is not None]
    documents += [without_sandbox_quirks(draft) for draft in draft_orders(scenario)]
    errors = []
    for document in documents:
        try:
            get_fhir_model_class(document["resourceType"]).model_validate(document)
        except ValidationError as error:
            errors.append(f"{document['resourceType']}/{document.get('id')}: {error}")
    return errors


@pytest.mark.parametrize("scenario", VALID_SCENARIOS, ids=scenario_ids)
def test_scenario_resources_are_valid_fhir_r4(scenario: Scenario) -> None:
    assert fhir_errors(scenario) == []


@pytest.mark.parametrize("scenario", BROKEN_SCENARIOS, ids=scenario_ids)
def test_scenario_marked_broken_really_is_invalid_fhir(scenario: Scenario) -> None:
    assert fhir_errors(scenario) != []


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_ids)
def test_expected_file_has_the_agreed_shape(scenario: Scenario) -> None:
    expected = scenario.expected
    assert EXPECTED_KEYS <= expected.keys() <= EXPECTED_KEYS | {"broken_data"}
    assert expected["description"].strip()
    assert scenario.today.isoformat() == expected["today"]
    for card in expected["cards"]:
        assert {"rule_id", "indicator"} <= card.keys() <= {"rule_id", "indicator"} | TEXT_EXPECTATION_KEYS
        assert card["indicator"] in INDICATORS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_ids)
def test_request_is_a_complete_hook_call_for_the_prefetched_patient(scenario: Scenario) -> None:
    request = scenario.request
    context = request["context"]
    assert scenario.hook in HOOKS
    assert uuid.UUID(request["hookInstance"])
    assert context["userId"] == USER_ID
    assert PREFETCH_KEYS <= request["prefetch"].keys() <= PREFETCH_KEYS | OPTIONAL_PREFETCH_KEYS
    assert request["prefetch"]["patient"]["id"] == context["patientId"]
    assert ("draftOrders" in context) == (scenario.hook != "patient-view")
    assert ("selections" in context) == (scenario.hook == "order-select")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_ids)
def test_every_resource_belongs_to_the_context_patient(scenario: Scenario) -> None:
    patient = f"Patient/{scenario.request['context']['patientId']}"
    resources = [*prefetched_resources(scenario), *draft_orders(scenario)]
    strangers = [r["id"] for r in resources
                 if r["resourceType"] not in PATIENTLESS_TYPES and r["subject"]["reference"] != patient]
    assert strangers == []


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_ids)
def test_resource_ids_are_unique_within_a_scenario(scenario: Scenario) -> None:
    """Unique as versions: a server that versions in place may send one id again under a new `meta.versionId`
    (a `_history` or merged feed), which is a different resource version, not a duplicate."""
    resources = [*prefetched_resources(scenario), *draft_orders(scenario)]
    counts = Counter(f"{r['resourceType']}/{r['id']}/_history/{r.get('meta', {}).get('versionId', '')}"
                     for r in resources)
    assert [reference for reference, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.hook == "order-select"], ids=scenario_ids)
def test_order_select_selections_point_into_the_draft_orders(scenario: Scenario) -> None:
    """`Type/id` as the spec says, or the bare id as some EHRs send it."""
    drafts = {f"{draft['resourceType']}/{draft['id']}" for draft in draft_orders(scenario)}
    drafts |= {draft["id"] for draft in draft_orders(scenario)}
    selections = scenario.request["context"]["selections"]
    assert selections
    assert set(selections) <= drafts


def test_hook_instances_are_unique_across_scenarios() -> None:
    counts = Counter(scenario.request["hookInstance"] for scenario in SCENARIOS)
    assert [instance for instance, n in counts.items() if n > 1] == []


def test_fixture_checks_see_every_kind_of_scenario() -> None:
    assert {scenario.hook for scenario in SCENARIOS} == HOOKS
    assert BROKEN_SCENARIOS
