"""Synthetic patient-view hook requests of four sizes, generated at run time from `chart-catalogue.json`.

Every chart is the same patient story, so the rules really run: facial myokymia three weeks ago, a low magnesium
and a slightly low potassium four days ago, long-standing epilepsy on lamotrigine. Size comes from history: years
of electrolyte panels, past conditions and past prescriptions, and (medium, large) unrelated labs that a code-
filtered prefetch would never ask for, to show we stay fast when an EHR sends more. Output is a function of the
size, the seed and "today" only, so two runs on the same day send the same bytes.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson

CATALOGUE_FILE = Path(__file__).with_name("chart-catalogue.json")

_LOINC = "http://loinc.org"
_UCUM = "http://unitsofmeasure.org"
_RESOURCE_BASE = "http://ehr.example.org/fhir"
_SYNTHETIC_MARK = {
    "security": [
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HTEST", "display": "test health data"}
    ]
}
_LABORATORY = [
    {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "laboratory",
                "display": "Laboratory",
            }
        ]
    }
]
_PROBLEM_LIST = [
    {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                "code": "problem-list-item",
                "display": "Problem List Item",
            }
        ]
    }
]

Resource = dict[str, Any]


@dataclass(frozen=True)
class ChartSize:
    """How big one chart is: resources per prefetch key (plus the Patient) and how far back its history goes."""

    name: str
    observations: int
    conditions: int
    medications: int
    history_days: int
    unrelated_labs: bool

    @property
    def resources(self) -> int:
        return 1 + self.observations + self.conditions + self.medications


SMALL = ChartSize("small", observations=20, conditions=5, medications=4, history_days=365, unrelated_labs=False)
MEDIUM = ChartSize("medium", observations=240, conditions=30, medications=29, history_days=3 * 365,
                   unrelated_labs=True)
CHART_500 = ChartSize("chart500", observations=420, conditions=40, medications=39, history_days=4 * 365,
                      unrelated_labs=True)
LARGE = ChartSize("large", observations=1380, conditions=60, medications=59, history_days=6 * 365,
                  unrelated_labs=True)
SIZES = (SMALL, MEDIUM, CHART_500, LARGE)


@cache
def _catalogue() -> dict[str, Any]:
    catalogue: dict[str, Any] = orjson.loads(CATALOGUE_FILE.read_bytes())
    return catalogue


def _narrative(label: str) -> dict[str, str]:
    div = (
        '<div xmlns="http://www.w3.org/1999/xhtml"><p><b>SYNTHETIC TEST DATA \u2014 not a real person.</b></p>'
        f"<p>{label}</p></div>"
    )
    return {"status": "generated", "div": div}


def _status(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": f"http://terminology.hl7.org/CodeSystem/{system}", "code": code}]}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": _UCUM, "code": unit}


class _ChartWriter:
    """Builds one chart's resources; every random choice comes from one seeded generator, in a fixed order."""

    def __init__(self, size: ChartSize, today: date, seed: int) -> None:
        self.size = size
        self.today = today
        self.rng = random.Random(f"{size.name}:{seed}")
        self.catalogue = _catalogue()
        self.patient_id = self.new_id()
        self.subject = {"reference": f"Patient/{self.patient_id}"}

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def patient(self) -> Resource:
        person = self.catalogue["patient"]
        return {
            "resourceType": "Patient",
            "id": self.patient_id,
            "meta": _SYNTHETIC_MARK,
            "text": _narrative(f"Synthetic benchmark patient, {person['gender']}."),
            "name": [{"use": "official", "family": person["family"], "given": [person["given"]]}],
            "gender": person["gender"],
            "birthDate": f"{self.today.year - person['age_years']}-06-15",
        }

    def observation(self, lab: dict[str, Any], value: float, days_ago: int) -> Resource:
        when = self.day(days_ago)
        observation: Resource = {
            "resourceType": "Observation",
            "id": self.new_id(),
            "meta": _SYNTHETIC_MARK,
            "text": _narrative(f"{lab['display']}: {value} {lab['unit']} (synthetic)."),
            "status": "final",
            "category": _LABORATORY,
            "code": {"coding": [{"system": _LOINC, "code": lab["code"], "display": lab["display"]}]},
            "subject": self.subject,
            "effectiveDateTime": f"{when.isoformat()}T08:30:00Z",
            "issued": f"{when.isoformat()}T11:05:00Z",
            "valueQuantity": _quantity(value, lab["unit"]),
        }
        if "low" in lab:
            observation["referenceRange"] = [
                {"low": _quantity(lab["low"], lab["unit"]), "high": _quantity(lab["high"], lab["unit"])}
            ]
        return observation

    def typical_value(self, lab: dict[str, Any]) -> float:
        value = round(self.rng.gauss(lab["typical"], lab["spread"]), lab["decimals"])
        return int(value) if lab["decimals"] == 0 else value

    def observations(self) -> list[Resource]:
        """A recent panel with the story's values, then older panels back through the history, newest first."""
        panel = list(self.catalogue["electrolytes"])
        if self.size.unrelated_labs:
            panel += self.catalogue["unrelated_labs"]
        recent_days_ago = self.catalogue["recent_result_days_ago"]
        found = [
            self.observation(lab, lab["recent"] if "recent" in lab else self.typical_value(lab), recent_days_ago)
            for lab in panel
        ]
        older = max(self.size.observations - len(found), 0)
        panels = -(-older // len(panel))
        spacing = max((self.size.history_days - recent_days_ago) // max(panels, 1), 1)
        for index in range(older):
            days_ago = recent_days_ago + spacing * (1 + index // len(panel))
            lab = panel[index % len(panel)]
            found.append(self.observation(lab, self.typical_value(lab), days_ago))
        return found[: self.size.observations]

    def condition(self, entry: dict[str, Any], *, onset_days_ago: int, resolved_days_ago: int | None) -> Resource:
        condition: Resource = {
            "resourceType": "Condition",
            "id": self.new_id(),
            "meta": _SYNTHETIC_MARK,
            "text": _narrative(f"Condition: {entry['text']} (synthetic)."),
            "clinicalStatus": _status("condition-clinical", "active" if resolved_days_ago is None else "resolved"),
            "verificationStatus": _status("condition-ver-status", "confirmed"),
            "category": _PROBLEM_LIST,
            "code": {"text": entry["text"], **({"coding": entry["coding"]} if entry["coding"] else {})},
            "subject": self.subject,
            "onsetDateTime": self.day(onset_days_ago).isoformat(),
        }
        if resolved_days_ago is not None:
            condition["abatementDateTime"] = self.day(resolved_days_ago).isoformat()
        return condition

    def conditions(self) -> list[Resource]:
        """The active problem list first, then past episodes spread over the history (each resolved a month on)."""
        active = self.catalogue["active_conditions"][: self.size.conditions]
        found = [self.condition(c, onset_days_ago=c["onset_days_ago"], resolved_days_ago=None) for c in active]
        past = self.catalogue["past_conditions"]
        for index in range(self.size.conditions - len(found)):
            onset = self.rng.randrange(60, self.size.history_days + 60)
            found.append(self.condition(past[index % len(past)], onset_days_ago=onset, resolved_days_ago=onset - 30))
        return found

    def medication(self, entry: dict[str, Any], *, authored_days_ago: int, status: str) -> Resource:
        return {
            "resourceType": "MedicationRequest",
            "id": self.new_id(),
            "meta": _SYNTHETIC_MARK,
            "text": _narrative(f"Medication: {entry['text']} (synthetic)."),
            "status": status,
            "intent": "order",
            "medicationCodeableConcept": {"coding": entry["coding"], "text": entry["text"]},
            "subject": self.subject,
            "authoredOn": self.day(authored_days_ago).isoformat(),
            "requester": {"reference": self.catalogue["practitioner"]},
            "dosageInstruction": [{"text": entry["dosage"]}],
        }

    def medications(self) -> list[Resource]:
        """Current prescriptions first, then past ones (completed or stopped) over the history."""
        active = self.catalogue["active_medications"][: self.size.medications]
        found = [self.medication(m, authored_days_ago=m["authored_days_ago"], status="active") for m in active]
        past = self.catalogue["past_medications"]
        for index in range(self.size.medications - len(found)):
            authored = self.rng.randrange(90, self.size.history_days + 90)
            status = ("completed", "stopped")[index % 2]
            found.append(self.medication(past[index % len(past)], authored_days_ago=authored, status=status))
        return found


def _searchset(resources: list[Resource]) -> Resource:
    entries = [
        {
            "fullUrl": f"{_RESOURCE_BASE}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in resources
    ]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources), "entry": entries}


def hook_request(size: ChartSize, *, today: date, seed: int = 0) -> dict[str, Any]:
    """A patient-view request carrying all four prefetch keys, with labs dated relative to `today`."""
    writer = _ChartWriter(size, today, seed)
    return {
        "hookInstance": writer.new_id(),
        "hook": "patient-view",
        "context": {"userId": writer.catalogue["practitioner"], "patientId": writer.patient_id},
        "prefetch": {
            "patient": writer.patient(),
            "observations": _searchset(writer.observations()),
            "conditions": _searchset(writer.conditions()),
            "medications": _searchset(writer.medications()),
            "medicationStatements": _searchset([]),
        },
    }


def without_prefetch(request: dict[str, Any], fhir_server: str) -> dict[str, Any]:
    """The same call with no prefetch at all: the service must fetch every key from `fhir_server`."""
    return {key: value for key, value in request.items() if key != "prefetch"} | {"fhirServer": fhir_server}


def resource_count(request: dict[str, Any]) -> int:
    """Resources carried in a request's prefetch (a Bundle counts its entries, not itself)."""
    count = 0
    for value in (request.get("prefetch") or {}).values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            count += len(value.get("entry") or [])
        elif isinstance(value, dict):
            count += 1
    return count
