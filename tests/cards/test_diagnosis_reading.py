"""What the chart asserts now: ended, refuted or absent findings never count; pregnancy from every current-pregnancy
code family and from positive tests read by their own answer, never a fixed cut-off."""

from __future__ import annotations

from collections import Counter

import pytest

from builders import TODAY, chart, condition, finding, icd, lab, twitching
from cards.chart_reader import read_chart
from tests.cards.builders import SHIPPED_THRESHOLDS, SHIPPED_WORDING
from cards.knowledge import KNOWLEDGE_VERSION
from cards.terminology import SNOMED, Concept, load_terminology

INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


@pytest.fixture(scope="module")
def terminology():
    return load_terminology(version=KNOWLEDGE_VERSION)


def _facts(terminology, *resources):
    return read_chart(chart(*resources), terminology, today=TODAY, lab_recency_days=90, thresholds=SHIPPED_THRESHOLDS, wording=SHIPPED_WORDING,
                      skipped=Counter())


def _with(resource, **fields):
    return {**resource, **fields}


def _coded(system, code, display=None):
    return {"coding": [{"system": system, "code": code, **({"display": display} if display else {})}]}


# --- Conditions that ended -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("abatement", [{"abatementDateTime": "2026-10-01"}, {"abatementString": "settled in May"},
                                       {"abatementAge": {"value": 30, "unit": "a"}}])
def test_an_abated_condition_never_counts_even_without_clinical_status(terminology, abatement) -> None:
    assert _facts(terminology, _with(twitching(clinical=None), **abatement)) is None


# --- findings recorded as absent ------------------------------------------------------------------------------------

ABSENT_SHAPES = {
    "boolean false": {"valueBoolean": False},
    "SNOMED negative": {"valueCodeableConcept": _coded(SNOMED, "260385009")},
    "text absent": {"valueCodeableConcept": {"text": "Absent"}},
    "text not detected": {"valueCodeableConcept": {"text": "Not detected"}},
    "string absent": {"valueString": "absent"},
    "interpretation NEG": {"interpretation": [_coded(INTERPRETATION, "NEG")]},
    "data absent reason": {"dataAbsentReason": _coded("http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                                      "not-performed")},
    "cancelled": {"status": "cancelled"},
    "entered in error": {"status": "entered-in-error"},
}


@pytest.mark.parametrize("shape", ABSENT_SHAPES.values(), ids=ABSENT_SHAPES.keys())
def test_a_twitching_finding_recorded_as_absent_does_not_count(terminology, shape) -> None:
    assert _facts(terminology, _with(finding("32402008"), **shape)) is None


@pytest.mark.parametrize("shape", [{}, {"valueCodeableConcept": _coded(SNOMED, "10828004")},
                                   {"valueString": "present, left lower lid"}])
def test_a_twitching_finding_without_a_negative_answer_counts(terminology, shape) -> None:
    assert _facts(terminology, _with(finding("32402008"), **shape)) is not None


# --- verification status ---------------------------------------------------------------------------------------------

def test_provisional_twitching_counts_and_says_so(terminology) -> None:
    facts = _facts(terminology, twitching(verification="provisional"))
    assert facts.twitching[0].is_unconfirmed
    assert facts.twitching[0].basis_row().value == "active, provisional"


def test_differential_twitching_is_not_documented_twitching(terminology) -> None:
    assert _facts(terminology, twitching(verification="differential")) is None


def test_differential_diagnoses_are_kept_but_left_out_unless_asked(terminology) -> None:
    facts = _facts(terminology, twitching(), icd("G40.909", verification="differential"))
    assert facts.conditions_in(Concept.EPILEPSY) == ()
    assert len(facts.conditions_in(Concept.EPILEPSY, including_differential=True)) == 1


# --- the clinician's own term ----------------------------------------------------------------------------------------

def test_label_shows_the_clinicians_term_beside_the_coded_concept(terminology) -> None:
    resource = _with(twitching("1070000"), code={**_coded(SNOMED, "1070000"), "text": "twitchy left eye"})
    facts = _facts(terminology, resource)
    assert facts.twitching[0].label == "twitchy left eye — Facial myokymia (SNOMED CT 1070000)"


def test_label_does_not_repeat_a_term_equal_to_the_concept(terminology) -> None:
    resource = _with(twitching("1070000"), code={**_coded(SNOMED, "1070000", "Facial myokymia"),
                                                 "text": "facial myokymia"})
    assert _facts(terminology, resource).twitching[0].label == "Facial myokymia (SNOMED CT 1070000)"


# --- T-codes ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "poisoning", "underdosing"),
                         [("T42.0X1A", True, False), ("T42.0X5A", False, False), ("T42.0X6A", False, True),
                          ("T42.76XA", False, True), ("T42.8X6A", False, False), ("T56.0X1A", True, False)])
def test_only_poisoning_is_poisoning_and_antiepileptic_underdosing_is_its_own_fact(terminology, code, poisoning,
                                                                                   underdosing) -> None:
    facts = _facts(terminology, twitching(), icd(code))
    assert bool(facts.conditions_in(Concept.POISONING)) is poisoning
    assert bool(facts.conditions_in(Concept.ANTIEPILEPTIC_UNDERDOSING)) is underdosing


# --- pregnancy Conditions ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("resource", [icd("Z34.00"), icd("O09.90"), icd("Z3A.20"), icd("Z33.1"), icd("Z3A.01"),
                                      condition("77386006"), icd("Z34.00", verification="provisional"),
                                      icd("O09.513", clinical=None, recorded="2026-09-01")])
def test_every_current_pregnancy_code_family_counts(terminology, resource) -> None:
    assert _facts(terminology, twitching(), resource).is_pregnant


@pytest.mark.parametrize("resource", [
    icd("O80"),  # delivery
    icd("O90.89"),  # puerperal complication
    icd("O03.9"),  # abortive outcome
    icd("Z3A.00"),  # weeks not specified: title unverified, left out
    icd("Z34.00", clinical=None, recorded="2025-11-01"),  # on the list for over 10 months
    icd("Z34.00", onset="2025-12-01"),
    icd("Z34.00", clinical="resolved"),
    _with(icd("O09.90", clinical=None), abatementDateTime="2026-10-20"),
    icd("Z33.1", verification="differential"),
    icd("Z33.1", verification="refuted"),
])
def test_ended_old_or_non_pregnancy_codes_do_not_count(terminology, resource) -> None:
    assert not _facts(terminology, twitching(), resource).is_pregnant


# --- pregnancy tests ------------------------------------------------------------------------------------------------

def _test(loinc_code, **fields):
    return _with(finding(loinc_code, loinc=True, when="2026-11-20"), **fields)


@pytest.mark.parametrize("resource", [
    _test("80385-8", valueCodeableConcept=_coded(SNOMED, "10828004")),
    _test("2106-3", valueString="POSITIVE"),
    _test("2118-8", valueBoolean=True),
    _test("2106-3", valueCodeableConcept={"text": "Positive"}),
    _test("2118-8", interpretation=[_coded(INTERPRETATION, "POS")]),
    _test("82810-3", valueCodeableConcept=_coded(SNOMED, "77386006")),
    lab("19080-1", 250, "m[IU]/mL", high=5),
])
def test_a_positive_pregnancy_test_counts_by_its_own_answer(terminology, resource) -> None:
    assert _facts(terminology, twitching(), resource).is_pregnant


@pytest.mark.parametrize("resource", [
    _test("2106-3", valueString="Negative"),
    _test("2106-3", valueCodeableConcept={"text": "Not detected"}),
    _test("2118-8", interpretation=[_coded(INTERPRETATION, "NEG")]),
    lab("19080-1", 3, "m[IU]/mL", high=5),
    lab("19080-1", 250, "m[IU]/mL"),  # a number without the lab's range or interpretation says nothing
    _with(_test("2106-3", valueString="POSITIVE"), code=_coded("urn:oid:2.16.840.1.113883.6.238", "2106-3")),
])
def test_negative_unjudged_or_wrong_system_tests_do_not_count(terminology, resource) -> None:
    assert not _facts(terminology, twitching(), resource).is_pregnant


def test_the_latest_pregnancy_test_decides(terminology) -> None:
    older = _test("2106-3", valueString="Positive", effectiveDateTime="2026-11-01")
    newer = _test("2106-3", valueString="Negative", effectiveDateTime="2026-11-20")
    assert not _facts(terminology, twitching(), older, newer).is_pregnant
