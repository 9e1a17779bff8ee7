"""From a patient's raw FHIR resources to `ChartFacts`, validating only what the rules read.

Order of work keeps the common case cheap: raw codes are matched first (a dict probe per coding), the twitching
gate is decided on those few resources, and a patient without documented twitching is answered before anything else
is validated. Conditions count when active (clinicalStatus active/recurrence/relapse, or absent) and not refuted or
entered in error.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from .facts import BasisRow, ChartFacts, CodedFact, Demographics, KidneyFunction, LabResult, Measurement
from .fhir_reading import ResourceReader, as_date, reference
from .labs import code_label, latest_lab, latest_measurement, newest_first
from .medication_reading import read_current_medications
from .model import ChartData
from .terminology import SYSTEM_NAMES, Concept, Terminology, is_mapping
from .thresholds import (
    ANALYTES,
    EGFR_CKD_BELOW,
    EGFR_SEVERE_CKD_BELOW,
    KIDNEY_FUNCTION_WINDOW_DAYS,
    PREGNANCY_TEST_WINDOW_DAYS,
    Analyte,
)

ACTIVE_CLINICAL_STATUSES = frozenset({"active", "recurrence", "relapse"})
EXCLUDED_VERIFICATION_STATUSES = frozenset({"refuted", "entered-in-error"})
EXCLUDED_FINDING_STATUSES = frozenset({"entered-in-error", "cancelled"})

LAB_CONCEPTS: Mapping[Analyte, Concept] = {
    Analyte.MAGNESIUM: Concept.LAB_MAGNESIUM,
    Analyte.POTASSIUM: Concept.LAB_POTASSIUM,
    Analyte.SODIUM: Concept.LAB_SODIUM,
    Analyte.CALCIUM_TOTAL: Concept.LAB_CALCIUM_TOTAL,
    Analyte.CALCIUM_IONIZED: Concept.LAB_CALCIUM_IONIZED,
}

_POSITIVE_WORDS = frozenset({"positive", "pregnant", "detected", "reactive"})
_NEGATING_WORDS = frozenset({"negative", "not", "no", "non", "none"})

Matched = list[tuple[Mapping[str, Any], frozenset[Concept]]]


def _matched(resources: Iterable[Any], resource_type: str, element: str, terminology: Terminology) -> Matched:
    """Raw resources of `resource_type` whose `element` CodeableConcept falls in any value set, with those sets."""
    found: Matched = []
    for raw in resources:
        if not is_mapping(raw) or raw.get("resourceType") != resource_type:
            continue
        concepts = terminology.match_concept(raw.get(element))
        if concepts:
            found.append((raw, concepts))
    return found


def _label(concept: CodeableConcept | None, terminology: Terminology, fallback: str) -> str:
    """`display (SYSTEM code)` of the first coding we recognise, else the element's text."""
    if concept is None:
        return fallback
    for coding in concept.coding or ():
        if coding.system and coding.code and terminology.match_coding(coding.system, coding.code):
            name = coding.display or terminology.display(coding.system, coding.code) or concept.text or fallback
            return f"{name} ({SYSTEM_NAMES.get(coding.system, coding.system)} {coding.code})"
    return concept.text or fallback


def _codes(concept: CodeableConcept | None) -> tuple[tuple[str, str], ...]:
    if concept is None:
        return ()
    return tuple((c.system, c.code) for c in concept.coding or () if c.system and c.code)


def _status(concept: Any) -> str | None:
    """The first code of a raw status CodeableConcept (read before validating, so resolved or refuted
    Conditions, common in long histories, are never validated at all)."""
    codings = concept.get("coding") if is_mapping(concept) else None
    for coding in codings if isinstance(codings, list) else ():
        code = coding.get("code") if is_mapping(coding) else None
        if isinstance(code, str) and code:
            return code
    return None


def _condition_fact(raw: Mapping[str, Any], concepts: frozenset[Concept], reader: ResourceReader,
                    terminology: Terminology) -> CodedFact | None:
    clinical = _status(raw.get("clinicalStatus"))
    if _status(raw.get("verificationStatus")) in EXCLUDED_VERIFICATION_STATUSES:
        return None
    if clinical is not None and clinical not in ACTIVE_CLINICAL_STATUSES:
        return None
    condition = reader.read(Condition, raw)
    if condition is None:
        return None
    onset = condition.onsetDateTime or (condition.onsetPeriod.start if condition.onsetPeriod else None)
    return CodedFact(
        reference=reference("Condition", condition.id),
        concepts=concepts,
        label=_label(condition.code, terminology, "Condition"),
        codes=_codes(condition.code),
        onset=as_date(onset),
        recorded=as_date(condition.recordedDate),
        status=clinical or "no clinical status (counted as active)",
    )


def _finding_fact(raw: Mapping[str, Any], concepts: frozenset[Concept], reader: ResourceReader,
                  terminology: Terminology) -> CodedFact | None:
    """A twitching finding recorded as an Observation (present unless its value says otherwise)."""
    if raw.get("status") in EXCLUDED_FINDING_STATUSES:
        return None
    observation = reader.read(Observation, raw)
    if observation is None or observation.valueBoolean is False:
        return None
    return CodedFact(
        reference=reference("Observation", observation.id),
        concepts=concepts,
        label=_label(observation.code, terminology, "Finding"),
        codes=_codes(observation.code),
        recorded=as_date(observation.effectiveDateTime or observation.issued),
        status=f"finding ({observation.status})",
    )


def _demographics(raw: Mapping[str, Any] | None, reader: ResourceReader, today: date) -> Demographics:
    if not isinstance(raw, Mapping):
        return Demographics(None, None, None)
    patient = reader.read(Patient, raw)
    if patient is None:
        return Demographics(None, None, None)
    born = as_date(patient.birthDate)
    age = None
    if born is not None:
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return Demographics(reference("Patient", patient.id), patient.gender, age)


def _is_positive(observation: Observation, terminology: Terminology) -> bool:
    """A pregnancy test/status result that says positive or pregnant (and nothing negating it)."""
    if observation.valueBoolean is not None:
        return observation.valueBoolean
    texts: list[str | None] = [observation.valueString]
    value = observation.valueCodeableConcept
    if value is not None:
        for coding in value.coding or ():
            if coding.system and coding.code and Concept.PREGNANCY in terminology.match_coding(coding.system,
                                                                                                coding.code):
                return True
            texts.append(coding.display)
        texts.append(value.text)
    words = set(re.findall(r"[a-z]+", " ".join(text.lower() for text in texts if text)))
    return bool(words & _POSITIVE_WORDS) and not words & _NEGATING_WORDS


def _pregnancy(conditions: Sequence[CodedFact], tests: Iterable[Mapping[str, Any]], reader: ResourceReader,
               terminology: Terminology, today: date) -> tuple[BasisRow, ...]:
    rows = [fact.basis_row("active pregnancy") for fact in conditions if Concept.PREGNANCY in fact.concepts]
    since = today - timedelta(days=PREGNANCY_TEST_WINDOW_DAYS)
    for observation, when in newest_first(tests, reader, since=since):
        if _is_positive(observation, terminology):
            rows.append(BasisRow(code_label(observation, "Pregnancy test"), "positive", "", when.isoformat(),
                                 reference("Observation", observation.id)))
        break  # the latest test decides
    return tuple(rows)


def _kidney(conditions: Sequence[CodedFact], egfr: Measurement | None) -> KidneyFunction:
    ckd = [fact for fact in conditions if Concept.CKD in fact.concepts]
    severe = any(Concept.CKD_SEVERE in fact.concepts for fact in ckd)
    rows = [fact.basis_row() for fact in ckd]
    if egfr is not None:
        rows.append(egfr.basis_row(f"CKD below {EGFR_CKD_BELOW:g}, severe below {EGFR_SEVERE_CKD_BELOW:g}"))
    return KidneyFunction(
        ckd=bool(ckd) or (egfr is not None and egfr.value < EGFR_CKD_BELOW),
        severe=severe or (egfr is not None and egfr.value < EGFR_SEVERE_CKD_BELOW),
        evidence=tuple(rows),
    )


def _append(facts: list[CodedFact], fact: CodedFact | None) -> None:
    if fact is not None:
        facts.append(fact)


def _by_concept(matched: Matched, wanted: Iterable[Concept]) -> dict[Concept, list[Mapping[str, Any]]]:
    buckets: dict[Concept, list[Mapping[str, Any]]] = {concept: [] for concept in wanted}
    for raw, concepts in matched:
        for concept in concepts:
            if concept in buckets:
                buckets[concept].append(raw)
    return buckets


def read_chart(
    chart: ChartData,
    terminology: Terminology,
    *,
    today: date,
    lab_recency_days: int,
    skipped: Counter[str],
) -> ChartFacts | None:
    """The patient's facts, or None when no facial twitching is documented (then nothing else is validated)."""
    reader = ResourceReader(skipped)
    conditions = _matched(chart.conditions, "Condition", "code", terminology)
    observations = _matched(chart.observations, "Observation", "code", terminology)

    twitching: list[CodedFact] = []
    for raw, concepts in conditions:
        if Concept.FACIAL_TWITCHING in concepts:
            _append(twitching, _condition_fact(raw, concepts, reader, terminology))
    for raw, concepts in observations:
        if Concept.FACIAL_TWITCHING in concepts:
            _append(twitching, _finding_fact(raw, concepts, reader, terminology))
    if not twitching:
        return None

    active_conditions = [fact for fact in twitching if fact.reference.startswith("Condition/")]
    for raw, concepts in conditions:
        if Concept.FACIAL_TWITCHING not in concepts:
            _append(active_conditions, _condition_fact(raw, concepts, reader, terminology))
    medications = read_current_medications((*chart.medication_requests, *chart.medication_statements),
                                           chart.medication_products, terminology, reader)

    demographics = _demographics(chart.patient, reader, today)
    buckets = _by_concept(observations, (*LAB_CONCEPTS.values(), Concept.LAB_ALBUMIN, Concept.LAB_EGFR,
                                         Concept.PREGNANCY_TEST))
    since = today - timedelta(days=lab_recency_days)
    labs: dict[Analyte, LabResult] = {}
    for analyte, concept in LAB_CONCEPTS.items():
        result = latest_lab(ANALYTES[analyte], buckets[concept], reader, since=since,
                            age_years=demographics.age_years)
        if result is not None:
            labs[analyte] = result
    kidney_since = today - timedelta(days=max(KIDNEY_FUNCTION_WINDOW_DAYS, lab_recency_days))
    egfr = latest_measurement(buckets[Concept.LAB_EGFR], reader, since=kidney_since, name="eGFR")

    return ChartFacts(
        patient_id=chart.patient_id,
        today=today,
        lab_recency_days=lab_recency_days,
        demographics=demographics,
        twitching=tuple(twitching),
        conditions=tuple(active_conditions),
        medications=tuple(medications),
        labs=labs,
        albumin=latest_measurement(buckets[Concept.LAB_ALBUMIN], reader, since=since, name="Albumin"),
        kidney=_kidney(active_conditions, egfr),
        pregnancy=_pregnancy(active_conditions, buckets[Concept.PREGNANCY_TEST], reader, terminology, today),
    )
