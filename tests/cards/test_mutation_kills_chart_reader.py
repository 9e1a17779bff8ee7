"""Chart reading, pinned so that mutation testing (README, Mutation testing) notices any change: what counts as
documented twitching, how age is read (a birth date in the future, a birth today), what an unreadable Patient gives,
which resources are read from which list, and the kidney-function window when the lab window is longer.

| Figure / rule                         | Value                                                | Source              |
|---------------------------------------|------------------------------------------------------|---------------------|
| kidney-function window                | 365 days, or the lab window when that is longer      | service rule        |
| eGFR cut-offs shown in the basis      | CKD below 60, severe below 30 mL/min/1.73 m2         | KDIGO staging       |
| valproate start restriction           | anyone under 55                                      | MHRA DSU Jan 2024   |
| could become pregnant                 | female aged 12-55; unknown age counts as yes         | MHRA 2024           |
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from builders import (
    SHIPPED_THRESHOLDS,
    SHIPPED_WORDING,
    TODAY,
    card_for,
    chart,
    condition,
    draft,
    icd,
    lab,
    orders,
    patient,
    patient_view,
    rule_ids,
    twitching,
)
from cards import ChartData
from cards.chart_reader import read_chart

EGFR, EGFR_UNIT, K = "62238-1", "mL/min/{1.73_m2}", "2823-3"
VALPROATE_PREGNANCY, VALPROATE_UNDER_55 = "order.valproate.pregnancy", "order.valproate.under-55"
POTASSIUM_ORDER = "order.potassium.hyperkalemia-risk"
VALPROATE = "Valproic Acid 250 MG Oral Capsule"


def _orders(knowledge, order, *resources, person=None, lab_recency_days=90):
    return knowledge.evaluate_orders(chart(twitching(), *resources, patient_resource=person), orders(order),
                                     today=TODAY, lab_recency_days=lab_recency_days)


def test_twitching_only_in_the_differential_is_not_documented_twitching(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(verification="differential"), lab("19123-9", 0.8, "mg/dL"))
    assert evaluation.cards == []


def test_twitching_provisional_is_documented(knowledge) -> None:
    assert patient_view(knowledge, twitching(verification="provisional"), lab("19123-9", 0.8, "mg/dL")).cards


def test_a_patient_born_today_is_0_years_old(knowledge) -> None:
    """Age 0 is known (a newborn cannot become pregnant), so the under-55 restriction applies, not pregnancy."""
    evaluation = _orders(knowledge, draft(VALPROATE), person=patient("female", TODAY.isoformat()))
    card = card_for(evaluation, VALPROATE_UNDER_55)
    assert "| Sex, age | female, 0 years | - | - | Patient/p1 |" in card.detail
    assert VALPROATE_PREGNANCY not in rule_ids(evaluation)


def test_a_birth_date_in_the_future_is_an_unknown_age(knowledge) -> None:
    evaluation = _orders(knowledge, draft(VALPROATE),
                         person=patient("female", (TODAY + timedelta(days=1)).isoformat()))
    card = card_for(evaluation, VALPROATE_PREGNANCY)
    assert "| Sex, age | female, age not recorded | - | - | Patient/p1 |" in card.detail
    assert "Could become pregnant: female, age unknown: treated as able to become pregnant." in card.detail


def test_an_unreadable_patient_is_treated_as_unknown(knowledge) -> None:
    bad = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "not a date"}
    card = card_for(_orders(knowledge, draft(VALPROATE), person=bad), VALPROATE_PREGNANCY)
    assert "| Sex, age | not recorded, age not recorded | - | - | Patient not available |" in card.detail
    assert ("Could become pregnant: sex not recorded as female or male: treated as able to become pregnant."
            in card.detail)


def test_a_patient_that_is_not_an_object_is_treated_as_unknown(knowledge) -> None:
    data = ChartData(patient_id="p1", patient="Patient/p1", conditions=[twitching()])  # type: ignore[arg-type]
    card = card_for(knowledge.evaluate_orders(data, orders(draft(VALPROATE)), today=TODAY), VALPROATE_PREGNANCY)
    assert "| Sex, age | not recorded, age not recorded | - | - | Patient not available |" in card.detail


def test_resources_are_read_only_from_their_own_list(knowledge) -> None:
    """A Condition among the Observations (or anything that is not an object) is not read as one."""
    data = ChartData(patient_id="p1", patient=patient(), observations=[twitching(), "Condition/x", 7],
                     conditions=["not a resource", None])
    assert knowledge.evaluate_patient_view(data, today=TODAY).cards == []


def test_a_twitching_finding_observation_counts(knowledge) -> None:
    finding = {"resourceType": "Observation", "id": "f1", "status": "final", "effectiveDateTime": "2026-11-01",
               "code": {"coding": [{"system": "http://snomed.info/sct", "code": "13753008"}]}}
    data = ChartData(patient_id="p1", patient=patient(), observations=[finding, lab("19123-9", 0.8, "mg/dL")])
    card = card_for(knowledge.evaluate_patient_view(data, today=TODAY), "electrolyte.magnesium.low")
    assert "Observation/f1" in card.detail


def test_the_egfr_row_states_both_cut_offs(knowledge) -> None:
    card = card_for(_orders(knowledge, draft("Potassium Chloride 20 MEQ"), lab(K, 4.0, "mmol/L"),
                            lab(EGFR, 45, EGFR_UNIT, id="egfr")), POTASSIUM_ORDER)
    [row] = [line for line in card.detail.split("\n") if "Observation/egfr" in line]
    assert "CKD below 60, severe below 30" in row


def test_an_old_egfr_counts_when_the_lab_window_is_longer_than_a_year(knowledge) -> None:
    """The kidney window is max(365 days, the lab window): with a 500-day lab window a 400-day-old eGFR counts."""
    old = lab(EGFR, 45, EGFR_UNIT, when=(TODAY - timedelta(days=400)).isoformat())
    assert POTASSIUM_ORDER in rule_ids(_orders(knowledge, draft("Potassium Chloride 20 MEQ"), old,
                                               lab(K, 4.0, "mmol/L"), lab_recency_days=500))
    assert POTASSIUM_ORDER not in rule_ids(_orders(knowledge, draft("Potassium Chloride 20 MEQ"), old,
                                                   lab(K, 4.0, "mmol/L")))


def test_a_severe_ckd_condition_is_also_ckd(knowledge) -> None:
    card = card_for(_orders(knowledge, draft("Potassium Chloride 20 MEQ"), icd("N18.5", id="ckd5"),
                            lab(K, 4.0, "mmol/L")), POTASSIUM_ORDER)
    assert "chronic kidney disease" in card.summary and "Condition/ckd5" in card.detail


def test_no_calcium_means_no_calcium_adjustment_problem(terminology) -> None:
    facts = read_chart(chart(twitching(), lab("19123-9", 2.0, "mg/dL"), patient_resource=patient()), terminology,
                       today=TODAY, lab_recency_days=90, thresholds=SHIPPED_THRESHOLDS, wording=SHIPPED_WORDING,
                       skipped=Counter())
    assert facts.calcium_adjustment_problem == ""


def test_junk_before_a_finding_does_not_stop_the_chart_from_being_read(knowledge) -> None:
    finding = {"resourceType": "Observation", "id": "f1", "status": "final", "effectiveDateTime": "2026-11-01",
               "code": {"coding": [{"system": "http://snomed.info/sct", "code": "13753008"}]}}
    data = ChartData(patient_id="p1", patient=patient(), observations=["junk", finding, lab("19123-9", 0.8, "mg/dL")])
    assert "electrolyte.magnesium.low" in rule_ids(knowledge.evaluate_patient_view(data, today=TODAY))


def test_a_facial_myokymia_finding_with_multiple_sclerosis_asks_for_an_mri(knowledge) -> None:
    """Jacobs 1994: continuous facial myokymia in MS points to a brainstem lesion (SNOMED CT 1070000)."""
    finding = {"resourceType": "Observation", "id": "myo", "status": "final", "effectiveDateTime": "2026-11-01",
               "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1070000"}]}}
    data = ChartData(patient_id="p1", patient=patient(), observations=[finding],
                     conditions=[condition("24700007")])
    card = card_for(knowledge.evaluate_patient_view(data, today=TODAY), "ms.management")
    assert [s.key for s in card.suggestions][0] == "mri-brain"


def test_the_egfr_row_is_labelled_egfr_with_its_code(knowledge) -> None:
    card = card_for(_orders(knowledge, draft("Potassium Chloride 20 MEQ"), lab(K, 4.0, "mmol/L"),
                            lab(EGFR, 45, EGFR_UNIT, id="egfr")), POTASSIUM_ORDER)
    [row] = [line for line in card.detail.split("\n") if "Observation/egfr" in line]
    assert row.startswith("| eGFR (LOINC 62238-1) | 45 mL/min/{1.73\\_m2} | CKD below 60, severe below 30 |")


def test_a_future_dated_egfr_is_skipped(knowledge) -> None:
    future = lab(EGFR, 45, EGFR_UNIT, when=(TODAY + timedelta(days=1)).isoformat())
    evaluation = _orders(knowledge, draft("Potassium Chloride 20 MEQ"), future, lab(K, 4.0, "mmol/L"))
    assert POTASSIUM_ORDER not in rule_ids(evaluation)
    assert evaluation.skipped_resources["Observation:future-dated"] == 1
