"""The cards depend on what the chart says, not on how it is arranged: property tests over every golden scenario.

Shuffling the resources inside each prefetch Bundle and adding resources no rule reads (other codes, other types)
must never change which cards come back, their indicators or their summaries.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cards import ChartData, Knowledge, OrderContext
from cards.medication_reading import index_products
from tests.scenarios import Scenario, load_scenarios

SCENARIOS = load_scenarios()
PARTS = {"observations": "Observation", "conditions": "Condition", "medications": "MedicationRequest",
         "medicationStatements": "MedicationStatement"}


def _irrelevant(patient_id: str, index: int) -> list[dict[str, Any]]:
    subject = {"reference": f"Patient/{patient_id}"}
    return [
        {"resourceType": "Observation", "id": f"noise-obs-{index}", "status": "final", "subject": subject,
         "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]},
         "effectiveDateTime": "2026-11-20", "valueQuantity": {"value": 72, "unit": "/min"}},
        {"resourceType": "Condition", "id": f"noise-cond-{index}", "subject": subject,
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003", "display": "Hypertension"}]}},
        {"resourceType": "MedicationRequest", "id": f"noise-med-{index}", "status": "active", "intent": "order",
         "subject": subject, "medicationCodeableConcept": {"text": "Amlodipine 5 mg tablet"}},
        {"resourceType": "Procedure", "id": f"noise-proc-{index}", "status": "completed", "subject": subject},
    ]


def _chart(scenario: Scenario, order: st.DataObject | None, noise: int) -> ChartData:
    prefetch = scenario.request["prefetch"]
    patient_id = scenario.request["context"]["patientId"]
    entries: list[Any] = []
    parts: dict[str, list[dict[str, Any]]] = {}
    for key, resource_type in PARTS.items():
        bundle = prefetch.get(key) or {}
        resources = [entry["resource"] for entry in bundle.get("entry", [])]
        entries += bundle.get("entry", [])
        resources += [r for i in range(noise) for r in _irrelevant(patient_id, i)]
        if order is not None:
            resources = order.draw(st.permutations(resources))
        parts[key] = [r for r in resources if r["resourceType"] == resource_type]
    drafts = scenario.request["context"].get("draftOrders", {}).get("entry", [])
    return ChartData(
        patient_id=patient_id,
        patient=prefetch.get("patient"),
        observations=parts["observations"],
        conditions=parts["conditions"],
        medication_requests=parts["medications"],
        medication_statements=parts["medicationStatements"],
        medication_products=index_products([*entries, *drafts]),
    )


def _cards(knowledge: Knowledge, scenario: Scenario, chart: ChartData) -> Counter[tuple[str, str, str]]:
    if scenario.hook == "patient-view":
        evaluation = knowledge.evaluate_patient_view(chart, today=scenario.today)
    else:
        context = scenario.request["context"]
        drafts = [entry["resource"] for entry in context["draftOrders"].get("entry", [])]
        orders = OrderContext(draft_orders=drafts, selections=tuple(context.get("selections", ())))
        evaluation = knowledge.evaluate_orders(chart, orders, today=scenario.today)
    return Counter((card.rule_id, card.indicator, card.summary) for card in evaluation.cards)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=st.sampled_from(SCENARIOS), noise=st.integers(min_value=0, max_value=3), data=st.data())
def test_shuffled_charts_with_irrelevant_resources_get_the_same_cards(knowledge: Knowledge, scenario: Scenario,
                                                                     noise: int, data: st.DataObject) -> None:
    expected = _cards(knowledge, scenario, _chart(scenario, None, 0))
    assert _cards(knowledge, scenario, _chart(scenario, data, noise)) == expected
