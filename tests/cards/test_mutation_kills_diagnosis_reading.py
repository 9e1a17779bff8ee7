"""Reading diagnoses, findings and pregnancy (cards/diagnosis_reading.py), pinned so that mutation testing (README,
Mutation testing) notices any change to what counts and how it is shown.

The expected rules and figures are written here, not read back from `cards`:

| Item                         | Expected                                                           | Source              |
|------------------------------|--------------------------------------------------------------------|---------------------|
| a Condition counts           | clinical status active/recurrence/relapse or absent; no abatement; | FHIR R4 Condition   |
|                              | not refuted or entered-in-error                                    | invariants          |
| no clinical status           | shown as "no clinical status (counted as active)"                  | service rule        |
| tentative diagnosis          | status "active, provisional" (confirmed says nothing extra)        | service rule        |
| pregnancy Condition          | current when onset/recorded is at most 300 days old, or undated    | ~42 weeks, 294 days |
| pregnancy test               | current for 90 days; the latest test decides                       | service rule        |
| hCG number                   | above the lab's own upper limit in the same unit is positive       | lab reference range |
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from builders import (
    SHIPPED_THRESHOLDS,
    SHIPPED_WORDING,
    TODAY,
    chart,
    condition,
    finding,
    icd,
    lab,
    twitching,
)
from cards.chart_reader import read_chart
from cards.facts import BasisRow
from cards.knowledge import KNOWLEDGE_VERSION
from cards.terminology import SNOMED, Concept, load_terminology

INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
PREGNANCY = "77386006"


@pytest.fixture(scope="module")
def terminology():
    return load_terminology(version=KNOWLEDGE_VERSION)


def _facts(terminology, *resources):
    return read_chart(chart(*resources), terminology, today=TODAY, lab_recency_days=90, thresholds=SHIPPED_THRESHOLDS,
                      wording=SHIPPED_WORDING, skipped=Counter())


def _ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def _with(resource, **fields):
    return {**resource, **fields}


# --- what a Condition says about itself ------------------------------------------------------------------------------

def test_a_condition_without_clinical_status_counts_and_says_so(terminology) -> None:
    [fact] = _facts(terminology, twitching(clinical=None, id="a")).twitching
    assert fact.status == "no clinical status (counted as active)"
    assert fact.basis_row() == BasisRow("Hemifacial spasm (SNOMED CT 13753008)",
                                        "no clinical status (counted as active)", "", "date not recorded",
                                        "Condition/a")


@pytest.mark.parametrize("clinical", ["active", "recurrence", "relapse"])
def test_active_recurrence_and_relapse_count_with_their_status(terminology, clinical) -> None:
    [fact] = _facts(terminology, twitching(clinical=clinical)).twitching
    assert fact.status == clinical and fact.verification is None


@pytest.mark.parametrize("clinical", ["inactive", "remission", "resolved", "Active"])
def test_other_clinical_statuses_do_not_count(terminology, clinical) -> None:
    assert _facts(terminology, twitching(clinical=clinical)) is None


@pytest.mark.parametrize(("verification", "status"), [("confirmed", "active"), ("provisional", "active, provisional"),
                                                      ("unconfirmed", "active, unconfirmed")])
def test_a_confirmed_diagnosis_says_nothing_extra_and_a_tentative_one_says_so(terminology, verification,
                                                                            status) -> None:
    [fact] = _facts(terminology, twitching(verification=verification)).twitching
    assert fact.status == status
    assert fact.verification == (None if verification == "confirmed" else verification)


@pytest.mark.parametrize("verification", ["refuted", "entered-in-error"])
def test_refuted_or_erroneous_diagnoses_do_not_count(terminology, verification) -> None:
    assert _facts(terminology, twitching(verification=verification)) is None


def test_the_first_status_code_is_read_and_codings_without_a_code_are_passed_over(terminology) -> None:
    resource = twitching()
    resource["clinicalStatus"] = {"coding": [{"system": "http://x.example"}, {"code": "resolved"}, {"code": "active"}]}
    assert _facts(terminology, resource) is None  # "resolved" is the first code
    resource["clinicalStatus"] = {"coding": [{"system": "http://x.example"}, {"code": "active"}, {"code": "resolved"}]}
    assert _facts(terminology, resource).twitching[0].status == "active"


@pytest.mark.parametrize("abatement", [{"abatementPeriod": {}}, {"abatementDateTime": None}])
def test_an_empty_abatement_is_no_abatement(terminology, abatement) -> None:
    assert _facts(terminology, _with(twitching(), **abatement)).twitching


def test_onset_from_a_period_start(terminology) -> None:
    resource = _with(twitching(), onsetPeriod={"start": "2026-01-05"})
    [fact] = _facts(terminology, resource).twitching
    assert fact.onset.isoformat() == "2026-01-05"


def test_codes_keep_only_complete_codings_as_written(terminology) -> None:
    resource = twitching()
    resource["code"]["coding"] = [{"code": "13753008"}, {"system": SNOMED}, {"system": SNOMED, "code": "13753008"}]
    [fact] = _facts(terminology, resource).twitching
    assert fact.codes == ((SNOMED, "13753008"),)


# --- the clinician's label -------------------------------------------------------------------------------------------

def test_a_display_equal_to_the_concept_apart_from_case_and_spaces_is_not_repeated(terminology) -> None:
    resource = twitching()
    resource["code"]["coding"][0]["display"] = "  HEMIFACIAL spasm  "
    assert _facts(terminology, resource).twitching[0].label == "Hemifacial spasm (SNOMED CT 13753008)"


def test_the_own_term_is_stripped(terminology) -> None:
    resource = twitching()
    resource["code"]["text"] = "  left face jumps  "
    assert _facts(terminology, resource).twitching[0].label == "left face jumps — Hemifacial spasm (SNOMED CT 13753008)"


def test_a_coding_display_is_the_own_term_without_text(terminology) -> None:
    resource = twitching()
    resource["code"]["coding"][0]["display"] = "HFS"
    assert _facts(terminology, resource).twitching[0].label == "HFS — Hemifacial spasm (SNOMED CT 13753008)"


def test_the_matched_coding_names_the_concept_not_an_unmatched_one_before_it(terminology) -> None:
    resource = twitching()
    resource["code"]["coding"].insert(0, {"system": SNOMED, "code": "22298006", "display": "Myocardial infarction"})
    assert _facts(terminology, resource).twitching[0].label == (
        "Hemifacial spasm (SNOMED CT 13753008)")


def test_a_finding_is_labelled_with_its_own_text_and_dated_by_its_effective_date_else_issued(terminology) -> None:
    resource = finding("32402008", when="2026-11-01")
    resource["code"]["text"] = "eye flicker"
    [fact] = _facts(terminology, resource).twitching
    assert fact.label == "eye flicker — Facial spasm (SNOMED CT 32402008)"
    assert fact.status == "finding (final)" and fact.recorded.isoformat() == "2026-11-01"
    assert fact.reference.startswith("Observation/")
    issued = finding("32402008")
    del issued["effectiveDateTime"]
    issued["issued"] = "2026-10-01T10:00:00Z"
    assert _facts(terminology, issued).twitching[0].recorded.isoformat() == "2026-10-01"


@pytest.mark.parametrize("status", ["preliminary", "amended", "registered"])
def test_findings_of_other_statuses_count_with_their_status(terminology, status) -> None:
    [fact] = _facts(terminology, finding("32402008", status=status)).twitching
    assert fact.status == f"finding ({status})"


def test_a_finding_without_a_readable_status_does_not_count(terminology) -> None:
    resource = finding("32402008")
    resource["status"] = {"code": "final"}
    assert _facts(terminology, resource) is None


# --- pregnancy ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("dates", "current"), [
    ({"onset": _ago(300)}, True), ({"onset": _ago(301)}, False), ({"recorded": _ago(300)}, True),
    ({"recorded": _ago(301)}, False), ({}, True), ({"onset": _ago(10), "recorded": _ago(400)}, True),
])
def test_a_pregnancy_condition_is_current_for_300_days(terminology, dates, current) -> None:
    assert _facts(terminology, twitching(), condition(PREGNANCY, **dates)).is_pregnant is current


def test_a_current_pregnancy_condition_is_shown_with_its_status(terminology) -> None:
    facts = _facts(terminology, twitching(), condition(PREGNANCY, clinical="recurrence", verification="provisional",
                                                       onset=_ago(20), id="p"))
    assert facts.pregnancy == (BasisRow("Pregnancy (SNOMED CT 77386006)", "current pregnancy (recurrence, provisional)",
                                        "", f"onset {_ago(20)}", "Condition/p"),)


def _pregnancy_test(when: str, answer: str, id: str = "t1"):
    return _with(finding("2106-3", loinc=True, when=when), valueString=answer, id=id)


@pytest.mark.parametrize(("days", "current"), [(0, True), (90, True), (91, False), (-1, False)])
def test_a_positive_test_is_current_for_90_days(terminology, days, current) -> None:
    assert _facts(terminology, twitching(), _pregnancy_test(_ago(days), "positive")).is_pregnant is current


def test_a_positive_test_is_shown_as_positive_with_its_date(terminology) -> None:
    facts = _facts(terminology, twitching(), _pregnancy_test(_ago(5), "positive"))
    assert facts.pregnancy == (BasisRow("Pregnancy test (LOINC 2106-3)", "positive", "", _ago(5), "Observation/t1"),)


def test_the_latest_test_decides_even_when_it_is_positive_and_an_older_one_negative(terminology) -> None:
    facts = _facts(terminology, twitching(), _pregnancy_test(_ago(30), "negative", "old"),
                   _pregnancy_test(_ago(3), "positive", "new"))
    assert [row.source for row in facts.pregnancy] == ["Observation/new"]
    facts = _facts(terminology, twitching(), _pregnancy_test(_ago(30), "positive", "old"),
                   _pregnancy_test(_ago(3), "positive", "new"))
    assert [row.source for row in facts.pregnancy] == ["Observation/new"]  # one row: the latest


def test_a_condition_and_a_test_are_both_shown(terminology) -> None:
    facts = _facts(terminology, twitching(), condition(PREGNANCY, id="p"), _pregnancy_test(_ago(3), "positive"))
    assert [row.source for row in facts.pregnancy] == ["Condition/p", "Observation/t1"]


@pytest.mark.parametrize(("value", "high", "high_unit", "pregnant"), [
    (250, 5, None, True), (5, 5, None, False), (6, 5, None, True), (250, 5, "mIU/mL", False),
])
def test_an_hcg_number_is_judged_by_the_labs_upper_limit_in_the_same_unit(terminology, value, high, high_unit,
                                                                         pregnant) -> None:
    result = lab("19080-1", value, "m[IU]/mL", high=high, range_unit=high_unit, when=_ago(2))
    assert _facts(terminology, twitching(), result).is_pregnant is pregnant


def test_an_hcg_range_without_an_upper_value_or_before_a_usable_one(terminology) -> None:
    result = lab("19080-1", 250, "m[IU]/mL", when=_ago(2))
    result["referenceRange"] = [{"low": {"value": 0}}, {"high": {"unit": "m[IU]/mL"}},
                                {"high": {"value": 5, "unit": "m[IU]/mL"}}]
    assert _facts(terminology, twitching(), result).is_pregnant


def test_an_hcg_upper_limit_in_the_ucum_code_is_compared_by_code(terminology) -> None:
    result = lab("19080-1", 250, "mIU/mL", unit_code="m[IU]/mL", when=_ago(2))
    result["referenceRange"] = [{"high": {"value": 5, "system": "http://unitsofmeasure.org", "code": "m[IU]/mL"}}]
    assert _facts(terminology, twitching(), result).is_pregnant


@pytest.mark.parametrize(("fields", "pregnant"), [
    ({"valueString": "positive", "interpretation": [{"coding": [{"system": INTERPRETATION, "code": "NEG"}]}]}, True),
    ({"valueString": "see note", "interpretation": [{"coding": [{"system": INTERPRETATION, "code": "POS"}]}]}, True),
    ({"valueString": "see note", "interpretation": [{"coding": [{"system": INTERPRETATION, "code": "NEG"}]}]},
     False),
    ({"valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "10828004"}]},
      "dataAbsentReason": {"text": "error"}}, False),
    ({"valueCodeableConcept": {"coding": [{"display": "Positive"}]}}, True),  # a coding display is read as text
    ({"valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "10828004"}], "text": "not detected"}}, False),
])
def test_a_test_answer_is_read_in_order_value_then_interpretation(terminology, fields, pregnant) -> None:
    result = _with(finding("2106-3", loinc=True, when=_ago(2)), **fields)
    assert _facts(terminology, twitching(), result).is_pregnant is pregnant


def test_a_differential_pregnancy_is_not_a_current_pregnancy(terminology) -> None:
    facts = _facts(terminology, twitching(), condition(PREGNANCY, verification="differential"))
    assert facts.pregnancy == ()
    assert facts.conditions_in(Concept.PREGNANCY, including_differential=True)


# --- every coding and every interpretation is read, not just the last ------------------------------------------------

POSITIVE = {"system": SNOMED, "code": "10828004"}  # SNOMED CT Positive (answer-positive)


@pytest.mark.parametrize("value", [
    {"coding": [POSITIVE, {"system": "http://x.example", "code": "other"}]},  # a later unknown coding keeps the answer
    {"coding": [{**POSITIVE, "display": "Result"}]},  # a display naming nothing keeps the coded answer
    {"coding": [{"system": SNOMED}], "text": "positive"},  # a coding without a code is passed over
    {"coding": [{"code": "10828004"}], "text": "positive"},  # so is one without a system
])
def test_a_coded_answer_survives_the_codings_and_displays_beside_it(terminology, value) -> None:
    result = _with(finding("2106-3", loinc=True, when=_ago(2)), valueCodeableConcept=value)
    assert _facts(terminology, twitching(), result).is_pregnant


def test_a_positive_interpretation_survives_a_later_one_naming_nothing(terminology) -> None:
    result = _with(finding("2106-3", loinc=True, when=_ago(2)), valueString="see note",
                   interpretation=[{"coding": [{"system": INTERPRETATION, "code": "POS"}]},
                                   {"coding": [{"system": INTERPRETATION, "code": "H"}], "text": "see comment"}])
    assert _facts(terminology, twitching(), result).is_pregnant


# --- invalid Conditions are validated and counted as skipped, not read as ended ---------------------------------------

def _skipped(terminology, *resources) -> Counter:
    skipped: Counter = Counter()
    read_chart(chart(*resources), terminology, today=TODAY, lab_recency_days=90, thresholds=SHIPPED_THRESHOLDS,
               wording=SHIPPED_WORDING, skipped=skipped)
    return skipped


@pytest.mark.parametrize("status", [
    {"coding": [{"code": 3}, {"code": "active"}]},  # a code that is not text is passed over, and the resource refused
    {"coding": ["junk", {"code": "active"}]},  # a coding that is not an object likewise
])
def test_a_status_with_an_invalid_coding_is_read_past_and_the_condition_counted_as_skipped(terminology,
                                                                                         status) -> None:
    resource = _with(twitching(), clinicalStatus=status)
    assert _skipped(terminology, twitching(), resource) == Counter({"Condition": 1})


def test_an_empty_abatement_string_is_invalid_fhir_counted_as_skipped_not_an_abatement(terminology) -> None:
    resource = _with(twitching(), abatementString="")
    assert _skipped(terminology, twitching(), resource) == Counter({"Condition": 1})
    assert _skipped(terminology, twitching(), _with(twitching(), abatementString="May")) == Counter()


# --- a concept matched by a code family (no reviewed display) ----------------------------------------------------------

def _ms_label(terminology, resource) -> str:
    [fact] = _facts(terminology, twitching(), resource).conditions_in(Concept.MULTIPLE_SCLEROSIS)
    return fact.label


def test_a_family_code_is_named_by_its_coding_display_else_the_text_else_condition(terminology) -> None:
    coded = icd("G35")
    coded["code"]["coding"][0]["display"] = "MS"
    assert _ms_label(terminology, coded) == "MS (ICD-10-CM G35)"
    written = icd("G35")
    written["code"]["text"] = "relapsing MS"
    assert _ms_label(terminology, written) == "relapsing MS (ICD-10-CM G35)"
    assert _ms_label(terminology, icd("G35")) == "Condition (ICD-10-CM G35)"


def test_a_system_without_a_short_name_is_shown_by_its_uri(terminology) -> None:
    resource = twitching()
    resource["code"]["coding"].insert(0, {"system": INTERPRETATION, "code": "POS"})
    label = _facts(terminology, resource).twitching[0].label
    assert label.endswith(f" ({INTERPRETATION} POS)")
