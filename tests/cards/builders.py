"""Tiny builders for FHIR R4 test resources: each test states only what matters to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from itertools import count
from pathlib import Path
from typing import Any

from cards import ChartData, OrderContext
from cards.knowledge_files import load_thresholds, load_wording
from cards.terminology import ATC, ICD10CM, LOINC, RXNORM, SNOMED

# The shipped knowledge files, for tests that call a reader directly (the rules get them from `Knowledge`).
SHIPPED_THRESHOLDS = load_thresholds()
SHIPPED_WORDING = load_wording()
ANALYTES = SHIPPED_THRESHOLDS.analytes

TODAY = date(2026, 11, 25)
PATIENT_ID = "p1"

_ids = count(1)


def _id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def patient(gender: str | None = "female", birth_date: str | None = "1990-03-15") -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Patient", "id": PATIENT_ID}
    if gender:
        resource["gender"] = gender
    if birth_date:
        resource["birthDate"] = birth_date
    return resource


def condition(code: str, system: str = SNOMED, *, clinical: str | None = "active", verification: str | None = None,
              onset: str | None = None, recorded: str | None = None, id: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": id or _id("cond"),
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "code": {"coding": [coding(system, code)]},
    }
    if clinical:
        resource["clinicalStatus"] = {"coding": [coding("http://terminology.hl7.org/CodeSystem/condition-clinical",
                                                        clinical)]}
    if verification:
        resource["verificationStatus"] = {"coding": [coding(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", verification)]}
    if onset:
        resource["onsetDateTime"] = onset
    if recorded:
        resource["recordedDate"] = recorded
    return resource


def twitching(code: str = "13753008", system: str = SNOMED, **kwargs: Any) -> dict[str, Any]:
    """A facial-twitching Condition (hemifacial spasm by default)."""
    return condition(code, system, **kwargs)


def icd(code: str, **kwargs: Any) -> dict[str, Any]:
    return condition(code, ICD10CM, **kwargs)


def lab(loinc: str, value: Any, unit: str | None, *, when: str = "2026-11-20", status: str = "final",
        low: float | None = None, high: float | None = None, range_unit: str | None = None,
        unit_code: str | None = None, id: str | None = None) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value}
    if unit:
        quantity["unit"] = unit
    if unit_code:
        quantity.update(system="http://unitsofmeasure.org", code=unit_code)
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": id or _id("obs"),
        "status": status,
        "code": {"coding": [coding(LOINC, loinc)]},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": when,
        "valueQuantity": quantity,
    }
    if low is not None or high is not None:
        bound_unit = range_unit or unit
        reference_range: dict[str, Any] = {}
        if low is not None:
            reference_range["low"] = {"value": low, **({"unit": bound_unit} if bound_unit else {})}
        if high is not None:
            reference_range["high"] = {"value": high, **({"unit": bound_unit} if bound_unit else {})}
        resource["referenceRange"] = [reference_range]
    return resource


def normal_labs() -> tuple[dict[str, Any], ...]:
    """Magnesium, potassium, sodium and calcium, each within its range: a chart on which no electrolyte card fires."""
    return (lab("19123-9", 2.0, "mg/dL"), lab("2823-3", 4.2, "mmol/L"), lab("2951-2", 140, "mmol/L"),
            lab("17861-6", 9.4, "mg/dL"))


def finding(code: str, system: str = SNOMED, *, status: str = "final", value: Any = None,
            when: str = "2026-11-01", loinc: bool = False) -> dict[str, Any]:
    """A coded Observation (twitching finding, or with `value` a pregnancy test result)."""
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _id("obs"),
        "status": status,
        "code": {"coding": [coding(LOINC if loinc else system, code)]},
        "effectiveDateTime": when,
    }
    if isinstance(value, bool):
        resource["valueBoolean"] = value
    elif isinstance(value, str):
        resource["valueCodeableConcept"] = {"text": value}
    elif isinstance(value, dict):
        resource["valueCodeableConcept"] = value
    return resource


def medication(text: str | None = None, *, rxnorm: str | None = None, atc: str | None = None,
               status: str = "active", id: str | None = None, resource_type: str = "MedicationRequest",
               **extra: Any) -> dict[str, Any]:
    codings = [coding(RXNORM, rxnorm)] if rxnorm else []
    if atc:
        codings.append(coding(ATC, atc))
    concept: dict[str, Any] = {}
    if codings:
        concept["coding"] = codings
    if text:
        concept["text"] = text
    return {
        "resourceType": resource_type,
        "id": id or _id("med"),
        "status": status,
        "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "medicationCodeableConcept": concept,
        **extra,
    }


def draft(text: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """A sandbox-shaped draft order: status draft, `category` as an object (not R4), no `intent`."""
    order = medication(text, status="draft", **kwargs)
    del order["intent"]
    order["category"] = {"coding": [coding("http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                                           "community")]}
    return order


def chart(*resources: dict[str, Any], patient_resource: dict[str, Any] | None = None) -> ChartData:
    """A chart from mixed resources, sorted into the lists the protocol layer fills."""
    by_type: dict[str, list[dict[str, Any]]] = {"Observation": [], "Condition": [], "MedicationRequest": []}
    for resource in resources:
        by_type[resource["resourceType"]].append(resource)
    return ChartData(
        patient_id=PATIENT_ID,
        patient=patient_resource,
        observations=by_type["Observation"],
        conditions=by_type["Condition"],
        medication_requests=by_type["MedicationRequest"],
    )


def orders(*drafts: dict[str, Any], selections: tuple[str, ...] = ()) -> OrderContext:
    return OrderContext(draft_orders=drafts, selections=selections)


def patient_view(knowledge: Any, *resources: dict[str, Any], patient_resource: dict[str, Any] | None = None,
                 today: date = TODAY) -> Any:
    """Evaluate a patient-view for these resources (a 36-year-old woman unless `patient_resource` says otherwise)."""
    return knowledge.evaluate_patient_view(chart(*resources, patient_resource=patient_resource or patient()),
                                           today=today)


def rule_ids(evaluation: Any) -> list[str]:
    return [card.rule_id for card in evaluation.cards]


def card_for(evaluation: Any, rule_id: str) -> Any:
    matches = [card for card in evaluation.cards if card.rule_id == rule_id]
    assert len(matches) == 1, f"expected one {rule_id} card, got {rule_ids(evaluation)}"
    return matches[0]


# --- reading a card's detail back (the house layout of `cards.drafting.render_detail`) --------------------------

def advice_lines(card: Any) -> list[str]:
    """The advice bullets of a card's detail, in order."""
    section = card.detail.split("**Advice**\n\n", 1)[1].split("\n\n**Evidence:**", 1)[0]
    return [line.removeprefix("- ") for line in section.split("\n")]


def evidence_text(card: Any) -> str:
    return card.detail.split("**Evidence:** ", 1)[1].split("\n", 1)[0]


def citation_links(card: Any) -> list[tuple[str, str]]:
    """(label, url) of every source listed under the evidence."""
    tail = card.detail.split("**Evidence:** ", 1)[1].split("\n\n", 1)[1]
    return [tuple(line.removeprefix("- [").removesuffix(")").split("](", 1)) for line in tail.split("\n")]


def basis_notes(card: Any) -> list[str]:
    """The notes under the basis table."""
    basis = card.detail.split("**Advice**", 1)[0]
    return [line.removeprefix("- ") for line in basis.split("\n") if line.startswith("- ")]


def edit_valueset(directory: Path, name: str, change: Callable[[dict[str, Any]], Any]) -> None:
    """Apply `change` to the value set `name` in `directory` (a copy: see the `valueset_copy` fixture)."""
    path = directory / f"{name}.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
