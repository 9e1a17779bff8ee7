"""Diagnoses, findings and pregnancy from raw FHIR: what the chart asserts now, not what it once listed.

Problem lists keep what has ended and what was only considered, so a Condition counts only when its clinical status
is active/recurrence/relapse (or absent), it has no `abatement[x]`, and it is not refuted or entered in error.
Provisional, unconfirmed and differential diagnoses are kept with their verification status (the pathways decide
what a tentative diagnosis may trigger). A finding Observation counts unless it is withdrawn or says the finding was
absent. A pregnancy counts from a current pregnancy Condition (dated within the pregnancy window) or from the latest
positive pregnancy test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation

from .facts import BasisRow, CodedFact
from .fhir_reading import ResourceReader, as_date, reference
from .injury_codes import is_not_poisoning
from .labs import code_label, newest_first
from .terminology import SYSTEM_NAMES, Concept, Terminology, is_mapping
from .thresholds import Limit, Thresholds

ACTIVE_CLINICAL_STATUSES = frozenset({"active", "recurrence", "relapse"})
EXCLUDED_VERIFICATION_STATUSES = frozenset({"refuted", "entered-in-error"})
EXCLUDED_FINDING_STATUSES = frozenset({"entered-in-error", "cancelled"})
_NOT_COUNTED_STATUS = "no clinical status (counted as active)"


def coding_pairs(concept: CodeableConcept | None) -> tuple[tuple[str, str], ...]:
    """(system, code as written) of every complete coding."""
    if concept is None:
        return ()
    return tuple((c.system, c.code) for c in concept.coding or () if c.system and c.code)


def raw_status(concept: Any) -> str | None:
    """The first code of a raw status CodeableConcept (read before validating, so resolved or refuted
    Conditions, common in long histories, are never validated at all)."""
    codings = concept.get("coding") if is_mapping(concept) else None
    for coding in codings if isinstance(codings, list) else ():
        code = coding.get("code") if is_mapping(coding) else None
        if isinstance(code, str) and code:
            return code
    return None


def clinician_label(concept: CodeableConcept | None, terminology: Terminology, fallback: str) -> str:
    """The clinician's own term beside the coded concept we matched: `own term — Concept (SYSTEM code)`.

    The concept's name is our reviewed display when the code is listed, else the chart's display; the own term is
    the element's text (else the coding's display) when it says something different. Chart text: escape on use."""
    if concept is None:
        return fallback
    for coding in concept.coding or ():
        if coding.system and coding.code and terminology.match_coding(coding.system, coding.code):
            name = terminology.display(coding.system, coding.code) or coding.display or concept.text or fallback
            coded = f"{name} ({SYSTEM_NAMES.get(coding.system, coding.system)} {coding.code})"
            own = concept.text or coding.display
            if own and own.strip().casefold() != name.casefold():
                return f"{own.strip()} — {coded}"
            return coded
    return concept.text or fallback


def _has_abatement(raw: Mapping[str, Any]) -> bool:
    return any(key.startswith("abatement") and value not in (None, "", {}) for key, value in raw.items())


def condition_fact(raw: Mapping[str, Any], concepts: frozenset[Concept], reader: ResourceReader,
                   terminology: Terminology) -> CodedFact | None:
    """A Condition the chart still asserts, or None (ended, abated, refuted, erroneous, or only a non-poisoning
    T-code)."""
    clinical = raw_status(raw.get("clinicalStatus"))
    verification = raw_status(raw.get("verificationStatus"))
    if verification in EXCLUDED_VERIFICATION_STATUSES or _has_abatement(raw):
        return None
    if clinical is not None and clinical not in ACTIVE_CLINICAL_STATUSES:
        return None
    condition = reader.read(Condition, raw)
    if condition is None:
        return None
    codes = coding_pairs(condition.code)
    if Concept.POISONING in concepts and is_not_poisoning(codes):
        concepts = concepts - {Concept.POISONING}  # adverse effect or underdosing: only poisoning is poisoning
    if not concepts:
        return None
    tentative = verification if verification not in (None, "confirmed") else None
    status = clinical or _NOT_COUNTED_STATUS
    onset = condition.onsetDateTime or (condition.onsetPeriod.start if condition.onsetPeriod else None)
    return CodedFact(
        reference=reference("Condition", condition.id),
        concepts=concepts,
        label=clinician_label(condition.code, terminology, "Condition"),
        codes=codes,
        onset=as_date(onset),
        recorded=as_date(condition.recordedDate),
        status=f"{status}, {tentative}" if tentative else status,
        verification=tentative,
    )


def _answers(concept: CodeableConcept | None, terminology: Terminology) -> frozenset[Concept]:
    if concept is None:
        return frozenset()
    found: frozenset[Concept] = frozenset()
    for coding in concept.coding or ():
        if coding.system and coding.code:
            found |= terminology.match_coding(coding.system, coding.code)
        if coding.display:
            found |= terminology.match_text(coding.display)
    return found | (terminology.match_text(concept.text) if concept.text else frozenset())


def _above_reference_range(observation: Observation) -> bool | None:
    """A number judged by the lab's own range (its upper limit, same unit): hCG cut-offs differ between labs."""
    quantity = observation.valueQuantity
    if quantity is None or quantity.value is None:
        return None
    unit = quantity.code or quantity.unit
    for bounds in observation.referenceRange or ():
        high = bounds.high
        if high is not None and high.value is not None and (high.code or high.unit or unit) == unit:
            return quantity.value > high.value
    return None


def result_answer(observation: Observation, terminology: Terminology) -> bool | None:
    """True (positive / present), False (negative / absent) or None (no answer) — from, in order, `valueBoolean`,
    the coded or written value, the lab's `interpretation`, and a number against the lab's reference range.
    A negative answer wins over a positive one in the same element ("not detected" holds "detected")."""
    if observation.dataAbsentReason is not None:
        return None
    if observation.valueBoolean is not None:
        return observation.valueBoolean
    value = _answers(observation.valueCodeableConcept, terminology)
    if observation.valueString:
        value |= terminology.match_text(observation.valueString)
    interpretation: frozenset[Concept] = frozenset()
    for concept in observation.interpretation or ():
        interpretation |= _answers(concept, terminology)
    for answers in (value, interpretation):
        if Concept.ANSWER_NEGATIVE in answers:
            return False
        if answers & {Concept.ANSWER_POSITIVE, Concept.PREGNANCY}:
            return True
    return _above_reference_range(observation)


def finding_fact(raw: Mapping[str, Any], concepts: frozenset[Concept], reader: ResourceReader,
                 terminology: Terminology) -> CodedFact | None:
    """A finding recorded as an Observation: present unless withdrawn, without a value for a stated reason, or
    recorded as absent (false, negative, absent, not detected)."""
    status = raw.get("status")
    if not isinstance(status, str) or status in EXCLUDED_FINDING_STATUSES or raw.get("dataAbsentReason") is not None:
        return None
    observation = reader.read(Observation, raw)
    if observation is None or result_answer(observation, terminology) is False:
        return None
    return CodedFact(
        reference=reference("Observation", observation.id),
        concepts=concepts,
        label=clinician_label(observation.code, terminology, "Finding"),
        codes=coding_pairs(observation.code),
        recorded=as_date(observation.effectiveDateTime or observation.issued),
        status=f"finding ({observation.status})",
    )


def _current_pregnancy(fact: CodedFact, today: date, window_days: int) -> bool:
    """Not a differential, and dated within the pregnancy window (undated counts: the safer error)."""
    since = fact.documented_since
    return not fact.is_differential and (
        since is None or since >= today - timedelta(days=window_days))


def pregnancy_evidence(conditions: Sequence[CodedFact], tests: Iterable[Mapping[str, Any]], reader: ResourceReader,
                       terminology: Terminology, today: date, thresholds: Thresholds) -> tuple[BasisRow, ...]:
    """Basis rows showing a current pregnancy; empty when there is none."""
    window = thresholds.whole(Limit.PREGNANCY_CONDITION_WINDOW_DAYS)
    rows = [fact.basis_row(f"current pregnancy ({fact.status})") for fact in conditions
            if Concept.PREGNANCY in fact.concepts and _current_pregnancy(fact, today, window)]
    since = today - timedelta(days=thresholds.whole(Limit.PREGNANCY_TEST_WINDOW_DAYS))
    for observation, when in newest_first(tests, reader, since=since, until=today):
        if result_answer(observation, terminology):
            rows.append(BasisRow(code_label(observation, "Pregnancy test"), "positive", "", when.isoformat(),
                                 reference("Observation", observation.id)))
        break  # the latest test decides
    return tuple(rows)
