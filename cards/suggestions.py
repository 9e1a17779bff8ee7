"""FHIR R4 resources a clinician can accept with one click: always drafts/proposals, never active orders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from .terminology import LOINC, RXNORM

Priority = Literal["routine", "urgent", "asap", "stat"]


def _subject(patient_id: str) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id}"}


def _reasons(references: Sequence[str]) -> list[dict[str, str]]:
    return [{"reference": ref} for ref in references if "/" in ref and " " not in ref]


def medication_proposal(
    patient_id: str, *, rxnorm: str, display: str, text: str, reasons: Sequence[str] = ()
) -> dict[str, Any]:
    """A MedicationRequest proposal (status draft): the prescriber still chooses product, dose and duration."""
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": "proposal",
        "subject": _subject(patient_id),
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": rxnorm, "display": display}],
            "text": text,
        },
    }
    if _reasons(reasons):
        resource["reasonReference"] = _reasons(reasons)
    return resource


def service_proposal(
    patient_id: str,
    *,
    text: str,
    loinc: tuple[str, str] | None = None,
    reasons: Sequence[str] = (),
    priority: Priority = "routine",
) -> dict[str, Any]:
    """A ServiceRequest proposal (status draft): a lab test (`loinc` = (code, display)) or a referral (text only,
    because no referral procedure code is verified for this knowledge base)."""
    code: dict[str, Any] = {"text": text}
    if loinc is not None:
        code["coding"] = [{"system": LOINC, "code": loinc[0], "display": loinc[1]}]
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "priority": priority,
        "subject": _subject(patient_id),
        "code": code,
    }
    if _reasons(reasons):
        resource["reasonReference"] = _reasons(reasons)
    return resource
