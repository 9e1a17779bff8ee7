"""From raw FHIR to facts: who counts as having facial twitching, and lenient, per-resource validation."""

from __future__ import annotations

from collections import Counter

import pytest

from builders import TODAY, chart, condition, finding, icd, lab, medication, patient, twitching
from cards.chart_reader import read_chart
from tests.cards.builders import SHIPPED_THRESHOLDS, SHIPPED_WORDING
from cards.knowledge import KNOWLEDGE_VERSION
from cards.terminology import ICD10CM, SNOMED, Concept, load_terminology
from cards.thresholds import Analyte


@pytest.fixture(scope="module")
def terminology():
    return load_terminology(version=KNOWLEDGE_VERSION)


def _facts(terminology, *resources, patient_resource=None, skipped=None):
    return read_chart(chart(*resources, patient_resource=patient_resource), terminology, today=TODAY,
                      lab_recency_days=90, thresholds=SHIPPED_THRESHOLDS, wording=SHIPPED_WORDING,
                      skipped=skipped if skipped is not None else Counter())


@pytest.mark.parametrize("clinical", ["active", "recurrence", "relapse", None])
def test_active_twitching_condition_admits_the_patient(terminology, clinical) -> None:
    facts = _facts(terminology, twitching(clinical=clinical))
    assert facts is not None and len(facts.twitching) == 1


@pytest.mark.parametrize(
    ("clinical", "verification"),
    [("resolved", None), ("inactive", None), ("remission", None), ("active", "refuted"),
     ("active", "entered-in-error"), (None, "entered-in-error")],
)
def test_inactive_refuted_or_erroneous_twitching_keeps_the_patient_out(terminology, clinical, verification) -> None:
    assert _facts(terminology, twitching(clinical=clinical, verification=verification)) is None


def test_unrelated_conditions_keep_the_patient_out(terminology) -> None:
    assert _facts(terminology, icd("E11.9"), icd("G40.909"), lab("19123-9", 1.0, "mg/dL")) is None


def test_twitching_finding_observation_admits_the_patient(terminology) -> None:
    facts = _facts(terminology, finding("32402008"))
    assert facts is not None
    assert facts.twitching[0].reference.startswith("Observation/")


@pytest.mark.parametrize("resource",
                         [finding("32402008", status="entered-in-error"), finding("32402008", value=False)])
def test_erroneous_or_absent_findings_do_not_count(terminology, resource) -> None:
    assert _facts(terminology, resource) is None


def test_icd_twitching_code_without_dot_admits_the_patient(terminology) -> None:
    facts = _facts(terminology, twitching("G5131", ICD10CM))
    assert facts is not None and Concept.HEMIFACIAL_SPASM in facts.twitching[0].concepts


def test_only_active_conditions_become_facts(terminology) -> None:
    facts = _facts(terminology, twitching(), icd("G40.909", clinical="resolved"), icd("G35.A"))
    assert facts.conditions_in(Concept.EPILEPSY) == ()
    assert len(facts.conditions_in(Concept.MULTIPLE_SCLEROSIS)) == 1


def test_broken_resources_are_skipped_and_counted_per_type(terminology) -> None:
    skipped: Counter = Counter()
    broken_condition = icd("G35.A")
    broken_condition["onsetDateTime"] = "yesterday"
    broken_medication = medication("Lamotrigine 25 MG", rxnorm="28439")
    broken_medication["dosageInstruction"] = "twice daily"
    facts = _facts(terminology, twitching(), broken_condition, broken_medication,
                   patient_resource={"resourceType": "Patient", "birthDate": "03/15/1990"}, skipped=skipped)
    assert facts is not None
    assert skipped == {"Condition": 1, "MedicationRequest": 1, "Patient": 1}
    assert facts.demographics.sex is None


def test_unknown_top_level_fields_are_dropped_and_the_resource_kept(terminology) -> None:
    skipped: Counter = Counter()
    resource = twitching()
    resource["vendorScore"] = 7
    facts = _facts(terminology, resource, skipped=skipped)
    assert facts is not None and not skipped


def test_resources_the_rules_do_not_use_are_never_validated(terminology) -> None:
    skipped: Counter = Counter()
    unrelated = [{"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "44054006"}]},
                  "subject": "not-a-reference"} for _ in range(5)]
    facts = _facts(terminology, twitching(), *unrelated, skipped=skipped)
    assert facts is not None and not skipped


def test_active_medications_only(terminology) -> None:
    facts = _facts(terminology, twitching(), medication("Lamotrigine 25 MG"),
                   medication("Valproic acid 250 MG", status="stopped"))
    assert [m.label for m in facts.medications] == ["Lamotrigine 25 MG"]


def test_age_and_sex_from_patient(terminology) -> None:
    facts = _facts(terminology, twitching(), patient_resource=patient("female", "1971-11-26"))
    assert (facts.demographics.sex, facts.demographics.age_years) == ("female", 54)


@pytest.mark.parametrize(
    ("gender", "birth", "expected"),
    [("female", "1990-01-01", True), ("female", "1971-11-25", True), ("female", "1970-11-25", False),
     ("female", "2014-11-25", True), ("female", "2015-01-01", False), ("male", "1990-01-01", False),
     ("unknown", "1990-01-01", True), ("female", None, True)],
)
def test_could_become_pregnant(terminology, gender, birth, expected) -> None:
    facts = _facts(terminology, twitching(), patient_resource=patient(gender, birth))
    assert facts.could_become_pregnant()[0] is expected


def test_no_patient_is_treated_as_could_become_pregnant(terminology) -> None:
    could, why = _facts(terminology, twitching()).could_become_pregnant()
    assert could and "treated as able to become pregnant" in why


@pytest.mark.parametrize(
    ("resources", "pregnant"),
    [
        ((condition("77386006"),), True),
        ((icd("Z33.1"),), True),
        ((finding("2106-3", loinc=True, value="Positive", when="2026-11-10"),), True),
        ((finding("82810-3", loinc=True, value={"coding": [{"system": SNOMED, "code": "77386006"}]}),), True),
        ((finding("2118-8", loinc=True, value="Negative"),), False),
        ((finding("82810-3", loinc=True, value="Not pregnant"),), False),
        ((finding("2106-3", loinc=True, value="Positive", when="2026-06-01"),), False),
        ((finding("2106-3", loinc=True, value="Positive", when="2026-10-01"),
          finding("2106-3", loinc=True, value="Negative", when="2026-11-15")), False),
    ],
)
def test_pregnancy_from_condition_or_latest_recent_test(terminology, resources, pregnant) -> None:
    assert _facts(terminology, twitching(), *resources).is_pregnant is pregnant


@pytest.mark.parametrize(
    ("resources", "ckd", "severe"),
    [
        ((), False, False),
        ((icd("N18.3"),), True, False),
        ((icd("N18.6"),), True, True),
        ((condition("433146000"),), True, True),
        ((lab("98979-8", 45, "mL/min/{1.73_m2}"),), True, False),
        ((lab("62238-1", 25, "mL/min/{1.73_m2}", when="2026-03-01"),), True, True),
        ((lab("98979-8", 75, "mL/min/{1.73_m2}"),), False, False),
    ],
)
def test_kidney_disease_from_codes_or_egfr(terminology, resources, ckd, severe) -> None:
    kidney = _facts(terminology, twitching(), *resources).kidney
    assert (kidney.ckd, kidney.severe) == (ckd, severe)


def test_labs_become_canonical_facts(terminology) -> None:
    facts = _facts(terminology, twitching(), lab("19123-9", 1.1, "mg/dL"), lab("2823-3", 4.0, "mmol/L"))
    assert set(facts.labs) == {Analyte.MAGNESIUM, Analyte.POTASSIUM}
    assert facts.labs[Analyte.MAGNESIUM].is_low and not facts.labs[Analyte.POTASSIUM].is_low
