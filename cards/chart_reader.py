"""From a patient's raw FHIR resources to `ChartFacts`, validating only what the rules read.

Order of work keeps the common case cheap: raw codes are matched first (a dict probe per coding), the twitching
gate is decided on those few resources, and a patient without documented twitching is answered before anything else
is validated. Which Conditions and findings count, and what makes a pregnancy current, is `diagnosis_reading`'s
concern.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from fhir.resources.R4B.patient import Patient

from .diagnosis_reading import condition_fact, finding_fact, pregnancy_evidence
from .facts import ChartFacts, CodedFact, Demographics, KidneyFunction, Measurement
from .fhir_reading import ResourceReader, as_date, reference
from .lab_reading import LAB_CONCEPTS, read_labs
from .labs import latest_measurement
from .medication_reading import read_current_medications
from .model import ChartData
from .terminology import Concept, Terminology, is_mapping
from .thresholds import Age, Limit, Thresholds
from .wording import Wording

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


def _demographics(raw: Mapping[str, Any] | None, reader: ResourceReader, today: date) -> Demographics:
    if not isinstance(raw, Mapping):
        return Demographics(None, None, None)
    patient = reader.read(Patient, raw)
    if patient is None:
        return Demographics(None, None, None)
    born = as_date(patient.birthDate)
    age = Age.on(born, today) if born is not None and born <= today else None
    return Demographics(reference("Patient", patient.id), patient.gender, age.years if age else None,
                        age.days if age else None)


def _kidney(conditions: Sequence[CodedFact], egfr: Measurement | None, thresholds: Thresholds) -> KidneyFunction:
    ckd = [fact for fact in conditions if Concept.CKD in fact.concepts]
    severe = any(Concept.CKD_SEVERE in fact.concepts for fact in ckd)
    rows = [fact.basis_row() for fact in ckd]
    ckd_below, severe_below = thresholds[Limit.EGFR_CKD_BELOW], thresholds[Limit.EGFR_SEVERE_CKD_BELOW]
    if egfr is not None:
        rows.append(egfr.basis_row(f"CKD below {ckd_below:g}, severe below {severe_below:g}"))
    return KidneyFunction(
        ckd=bool(ckd) or (egfr is not None and egfr.value < ckd_below),
        severe=severe or (egfr is not None and egfr.value < severe_below),
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
    thresholds: Thresholds,
    wording: Wording,
    skipped: Counter[str],
) -> ChartFacts | None:
    """The patient's facts, or None when no facial twitching is documented (then nothing else is validated)."""
    reader = ResourceReader(skipped)
    conditions = _matched(chart.conditions, "Condition", "code", terminology)
    observations = _matched(chart.observations, "Observation", "code", terminology)

    twitching: list[CodedFact] = []
    for raw, concepts in conditions:
        if Concept.FACIAL_TWITCHING in concepts:
            _append(twitching, condition_fact(raw, concepts, reader, terminology))
    for raw, concepts in observations:
        if Concept.FACIAL_TWITCHING in concepts:
            _append(twitching, finding_fact(raw, concepts, reader, terminology))
    twitching = [fact for fact in twitching if not fact.is_differential]  # only considered, not documented
    if not twitching:
        return None

    active_conditions = [fact for fact in twitching if fact.reference.startswith("Condition/")]
    for raw, concepts in conditions:
        if Concept.FACIAL_TWITCHING not in concepts:
            _append(active_conditions, condition_fact(raw, concepts, reader, terminology))
    medications = read_current_medications((*chart.medication_requests, *chart.medication_statements),
                                           chart.medication_products, terminology, reader)

    demographics = _demographics(chart.patient, reader, today)
    buckets = _by_concept(observations, (*LAB_CONCEPTS.values(), Concept.LAB_ALBUMIN, Concept.LAB_EGFR,
                                         Concept.PREGNANCY_TEST))
    lab_facts = read_labs(buckets, reader, since=today - timedelta(days=lab_recency_days), today=today,
                          age=demographics.age, thresholds=thresholds)
    kidney_since = today - timedelta(days=max(thresholds.whole(Limit.KIDNEY_FUNCTION_WINDOW_DAYS), lab_recency_days))
    egfr = latest_measurement(buckets[Concept.LAB_EGFR], reader, since=kidney_since, name="eGFR", today=today)

    return ChartFacts(
        patient_id=chart.patient_id,
        today=today,
        lab_recency_days=lab_recency_days,
        demographics=demographics,
        twitching=tuple(twitching),
        conditions=tuple(active_conditions),
        medications=tuple(medications),
        labs=lab_facts.labs,
        albumin=lab_facts.albumin,
        kidney=_kidney(active_conditions, egfr, thresholds),
        pregnancy=pregnancy_evidence(active_conditions, buckets[Concept.PREGNANCY_TEST], reader, terminology, today,
                                     thresholds),
        thresholds=thresholds,
        wording=wording,
        lab_notes=lab_facts.notes,
        calcium_adjustment_problem=lab_facts.calcium_adjustment_problem,
    )
