"""Boundary tests for the rules' non-laboratory figures: kidney function, time windows, ages, order checks.

Each figure is tested at the cut-off, on the other side of it by one unit (day, year, mL/min) and at about +-10 %.
Expected results are written here from the sources, never computed from `cards.thresholds`:

| Figure                               | Value                                       | Source                            |
|--------------------------------------|---------------------------------------------|-----------------------------------|
| eGFR chronic kidney disease          | < 60 mL/min/1.73 m2 (stage 3 or worse)      | KDIGO staging                     |
| eGFR severe kidney disease           | < 30 mL/min/1.73 m2 (stage 4-5)             | KDIGO staging                     |
| potassium default upper limit        | 5.2 mmol/L                                  | Mayo Clinic Laboratories (KPS)    |
| lab recency window                   | 90 days (a result 90 days old counts)       | service default                   |
| kidney function window               | 365 days                                    | service rule (CKD changes slowly) |
| positive pregnancy test window       | 90 days                                     | service rule                      |
| pregnancy Condition window           | 300 days (pregnancy lasts at most ~42 wk)   | service rule                      |
| "new" seizure (recent onset)         | onset at most 30 days ago                   | service rule                      |
| refractory twitching                 | documented 90 days or more                  | Duodecim ("persists for months")  |
| could become pregnant                | female aged 12-55 inclusive                 | MHRA 2024; menarche from 12       |
| valproate start restriction          | anyone under 55                             | MHRA Drug Safety Update Jan 2024  |
| botulinum toxin youngest licensed age| 12 years (BOTOX blepharospasm)              | openFDA product labels            |
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from builders import (
    TODAY,
    card_for,
    chart,
    condition,
    draft,
    finding,
    icd,
    lab,
    medication,
    orders,
    patient,
    patient_view,
    rule_ids,
    twitching,
)

EGFR, K_MOLAR, MG_MASS, NA_MOLAR, CA_MASS, PREGNANCY_TEST = (
    "62238-1", "2823-3", "19123-9", "2951-2", "17861-6", "2106-3")
EGFR_UNIT = "mL/min/{1.73_m2}"
PREGNANCY, EPILEPSY = "77386006", "84757009"

POTASSIUM_CARD, MAGNESIUM_CARD, PANEL = ("electrolyte.potassium.low", "electrolyte.magnesium.low",
                                         "electrolyte.panel.missing")
RED_FLAG, REFRACTORY = "redflag.urgent-review", "refractory.botulinum-toxin"
VALPROATE_CARD = "epilepsy.valproate.pregnancy-prevention"
ORDER_POTASSIUM, ORDER_MAGNESIUM = "order.potassium.hyperkalemia-risk", "order.magnesium.renal"
ORDER_VALPROATE_PREGNANCY, ORDER_VALPROATE_UNDER_55 = "order.valproate.pregnancy", "order.valproate.under-55"
ORDER_BOTULINUM_CHILD = "order.botulinum.under-licensed-age"

NORMAL_LABS = (lab(MG_MASS, 2.0, "mg/dL"), lab(K_MOLAR, 4.2, "mmol/L"), lab(NA_MOLAR, 140, "mmol/L"),
               lab(CA_MASS, 9.6, "mg/dL"))


def _ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def _born(*, years: int) -> str:
    """Exactly `years` years old on TODAY (birthday today)."""
    return TODAY.replace(year=TODAY.year - years).isoformat()


def _person(gender: str = "female", years: int = 36):
    return patient(gender=gender, birth_date=_born(years=years))


def _orders(knowledge, order, *resources, patient_resource=None):
    return knowledge.evaluate_orders(chart(twitching(), *resources, patient_resource=patient_resource or _person()),
                                     orders(order), today=TODAY)


def _suggested(card) -> list[str]:
    return [s.key for s in card.suggestions]


def _egfr(value: float, days_ago: int = 5):
    return lab(EGFR, value, EGFR_UNIT, when=_ago(days_ago))


# --- eGFR 60 (CKD) and 30 (severe) ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("egfr", "ckd"), [(54, True), (59, True), (59.9, True), (60, False), (61, False),
                                          (66, False)])
def test_egfr_below_60_withholds_the_potassium_supplement(knowledge, egfr, ckd) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab(K_MOLAR, 3.2, "mmol/L"), _egfr(egfr)), POTASSIUM_CARD)
    assert ("potassium-supplement" in _suggested(card)) is not ckd
    assert ("No potassium supplement is proposed because of chronic kidney disease" in card.detail) is ckd


@pytest.mark.parametrize(
    ("egfr", "supplement", "reduced", "severely_reduced"),
    [(27, False, False, True), (29, False, False, True), (30, True, True, False), (33, True, True, False),
     (54, True, True, False), (59, True, True, False), (60, True, False, False), (66, True, False, False)],
)
def test_egfr_decides_the_magnesium_supplement_and_its_kidney_advice(knowledge, egfr, supplement, reduced,
                                                                    severely_reduced) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab(MG_MASS, 1.5, "mg/dL"), _egfr(egfr)), MAGNESIUM_CARD)
    assert ("magnesium-supplement" in _suggested(card)) is supplement
    assert ("Kidney function is reduced: start low" in card.detail) is reduced
    assert ("Kidney function is severely reduced" in card.detail) is severely_reduced


@pytest.mark.parametrize(("egfr", "warned"), [(54, True), (59, True), (60, False), (66, False)])
def test_potassium_order_is_warned_about_below_egfr_60(knowledge, egfr, warned) -> None:
    evaluation = _orders(knowledge, draft("Potassium Chloride 20 MEQ"), lab(K_MOLAR, 4.1, "mmol/L"), _egfr(egfr))
    assert (ORDER_POTASSIUM in rule_ids(evaluation)) is warned
    if warned:
        card = card_for(evaluation, ORDER_POTASSIUM)
        assert card.indicator == "warning" and "chronic kidney disease" in card.summary
        assert "use the lowest effective dose and recheck potassium and kidney function" in card.detail


@pytest.mark.parametrize(("egfr", "warned"), [(27, True), (29, True), (30, False), (33, False), (59, False)])
def test_magnesium_order_is_warned_about_below_egfr_30(knowledge, egfr, warned) -> None:
    evaluation = _orders(knowledge, draft(rxnorm="6585"), _egfr(egfr))
    assert (ORDER_MAGNESIUM in rule_ids(evaluation)) is warned
    if warned:
        assert "reduced dose, with magnesium levels monitored" in card_for(evaluation, ORDER_MAGNESIUM).detail


# --- potassium order check with the default range (no lab range) ----------------------------------------------------

ABOVE_RANGE = "Potassium is already above the range: do not give potassium; review why it was ordered."
MEASURE_FIRST = "There is no recent potassium result: measure it before giving potassium."


@pytest.mark.parametrize(("value", "unit", "above"), [(4.68, "mmol/L", False), (5.2, "mmol/L", False),
                                                      (5.21, "mmol/L", True), (5.3, "mEq/L", True),
                                                      (5.72, "mmol/L", True), (5.2, "mEq/L", False)])
def test_potassium_order_above_the_default_upper_limit_says_do_not_give(knowledge, value, unit, above) -> None:
    evaluation = _orders(knowledge, draft("Potassium Chloride 20 MEQ"), lab(K_MOLAR, value, unit))
    assert (ORDER_POTASSIUM in rule_ids(evaluation)) is above  # no other risk on this chart
    if above:
        card = card_for(evaluation, ORDER_POTASSIUM)
        assert card.indicator == "critical" and "potassium above range" in card.summary
        assert ABOVE_RANGE in card.detail and MEASURE_FIRST not in card.detail


@pytest.mark.parametrize(("range_", "value", "above"), [({"high": 5.0}, 5.0, False), ({"high": 5.0}, 5.1, True),
                                                        ({"low": 3.6}, 5.2, False), ({"low": 3.6}, 5.21, True),
                                                        ({"low": 3.5, "high": 5.5}, 5.4, False)])
def test_potassium_order_with_a_one_sided_lab_range(knowledge, range_, value, above) -> None:
    evaluation = _orders(knowledge, draft("Potassium Chloride 20 MEQ"), lab(K_MOLAR, value, "mmol/L", **range_))
    assert (ORDER_POTASSIUM in rule_ids(evaluation)) is above


@pytest.mark.parametrize(("days_ago", "measured"), [(81, True), (90, True), (91, False), (99, False)])
def test_potassium_order_without_a_recent_potassium_says_measure_it_first(knowledge, days_ago, measured) -> None:
    evaluation = _orders(knowledge, draft("Potassium Chloride 20 MEQ"), icd("N18.3"),
                         lab(K_MOLAR, 4.1, "mmol/L", when=_ago(days_ago)))
    card = card_for(evaluation, ORDER_POTASSIUM)
    assert (MEASURE_FIRST in card.detail) is not measured
    assert "contraindicated in hyperkalaemia" in card.detail


# --- time windows -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("days_ago", "used"), [(0, True), (81, True), (89, True), (90, True), (91, False),
                                                (99, False)])
def test_lab_recency_window_is_90_days_inclusive(knowledge, days_ago, used) -> None:
    evaluation = patient_view(knowledge, twitching(), lab(MG_MASS, 1.5, "mg/dL", when=_ago(days_ago)))
    assert (MAGNESIUM_CARD in rule_ids(evaluation)) is used
    assert (PANEL in rule_ids(evaluation)) is not used


@pytest.mark.parametrize(("days_ago", "counts"), [(300, True), (329, True), (364, True), (365, True),
                                                  (366, False), (401, False)])
def test_kidney_function_window_is_365_days(knowledge, days_ago, counts) -> None:
    evaluation = _orders(knowledge, draft(rxnorm="6585"), _egfr(25, days_ago))
    assert (ORDER_MAGNESIUM in rule_ids(evaluation)) is counts


def _positive_test(days_ago: int):
    return finding(PREGNANCY_TEST, loinc=True, value=True, when=_ago(days_ago))  # valueBoolean true


PREGNANT_DO_NOT_START = "Pregnant: do not start valproate; arrange urgent specialist review"


@pytest.mark.parametrize(("days_ago", "pregnant"), [(0, True), (81, True), (90, True), (91, False), (99, False)])
def test_positive_pregnancy_test_counts_for_90_days(knowledge, days_ago, pregnant) -> None:
    evaluation = _orders(knowledge, draft("Depakote 250 MG"), _positive_test(days_ago))
    card = card_for(evaluation, ORDER_VALPROATE_PREGNANCY)
    assert card.indicator == ("critical" if pregnant else "warning")
    assert (PREGNANT_DO_NOT_START in card.detail) is pregnant
    assert card.summary.startswith("Valproate ordered during pregnancy") is pregnant


@pytest.mark.parametrize("value", [True, False])
def test_pregnancy_test_as_value_boolean(knowledge, value) -> None:
    # A 60-year-old woman cannot become pregnant by age: only the test can make the valproate card pregnant.
    evaluation = _orders(knowledge, draft("Depakote 250 MG"),
                         finding(PREGNANCY_TEST, loinc=True, value=value, when=_ago(3)),
                         patient_resource=_person(years=60))
    assert (ORDER_VALPROATE_PREGNANCY in rule_ids(evaluation)) is value


@pytest.mark.parametrize(
    ("dates", "pregnant"),
    [({"onset": _ago(270)}, True), ({"onset": _ago(299)}, True), ({"onset": _ago(300)}, True),
     ({"onset": _ago(301)}, False), ({"onset": _ago(330)}, False),
     ({"recorded": _ago(300)}, True), ({"recorded": _ago(301)}, False),
     ({"onset": _ago(301), "recorded": _ago(10)}, False)],  # onset decides when present
)
def test_pregnancy_condition_counts_for_300_days(knowledge, dates, pregnant) -> None:
    evaluation = patient_view(knowledge, twitching(), *NORMAL_LABS, condition(PREGNANCY, **dates),
                              medication(rxnorm="11118"))
    card = card_for(evaluation, VALPROATE_CARD)
    assert (card.indicator == "critical") is pregnant
    assert ("Pregnant on valproate: urgent specialist review" in card.detail) is pregnant


@pytest.mark.parametrize(
    ("dates", "flag"),
    [({"onset": _ago(0)}, True), ({"onset": _ago(27)}, True), ({"onset": _ago(30)}, True),
     ({"onset": _ago(31)}, False), ({"onset": _ago(33)}, False),
     ({"recorded": _ago(30)}, True), ({"recorded": _ago(31)}, False)],
)
def test_epilepsy_is_a_new_seizure_red_flag_for_30_days(knowledge, dates, flag) -> None:
    evaluation = patient_view(knowledge, twitching(), *NORMAL_LABS, condition(EPILEPSY, **dates))
    assert (RED_FLAG in rule_ids(evaluation)) is flag
    if flag:
        card = card_for(evaluation, RED_FLAG)
        assert "new seizure" in card.summary and "urgent neurology review" in card.detail


@pytest.mark.parametrize(
    ("dates", "refractory"),
    [({"onset": _ago(81)}, False), ({"onset": _ago(89)}, False), ({"onset": _ago(90)}, True),
     ({"onset": _ago(99)}, True), ({"recorded": _ago(89)}, False), ({"recorded": _ago(90)}, True)],
)
def test_twitching_is_refractory_from_90_days(knowledge, dates, refractory) -> None:
    evaluation = patient_view(knowledge, twitching("568005", **dates), *NORMAL_LABS)
    assert (REFRACTORY in rule_ids(evaluation)) is refractory
    if refractory:
        assert "documented for 90 days or more" in card_for(evaluation, REFRACTORY).detail


# --- ages: childbearing 12-55, valproate under 55, botulinum 12 ------------------------------------------------------

@pytest.mark.parametrize(("years", "card"), [(10, False), (11, False), (12, True), (13, True), (50, True),
                                             (55, True), (56, False), (61, False)])
def test_valproate_pregnancy_prevention_card_for_women_aged_12_to_55(knowledge, years, card) -> None:
    evaluation = patient_view(knowledge, twitching(), *NORMAL_LABS, medication(rxnorm="11118"),
                              patient_resource=_person(years=years))
    assert (VALPROATE_CARD in rule_ids(evaluation)) is card
    if card:
        found = card_for(evaluation, VALPROATE_CARD)
        assert f"female, age {years} (within 12-55)" in found.detail


@pytest.mark.parametrize(
    ("gender", "years", "expected"),
    [("female", 11, {ORDER_VALPROATE_UNDER_55}), ("female", 12, {ORDER_VALPROATE_PREGNANCY}),
     ("female", 13, {ORDER_VALPROATE_PREGNANCY}), ("female", 50, {ORDER_VALPROATE_PREGNANCY}),
     ("female", 55, {ORDER_VALPROATE_PREGNANCY}), ("female", 56, set()), ("female", 61, set()),
     ("male", 49, {ORDER_VALPROATE_UNDER_55}), ("male", 54, {ORDER_VALPROATE_UNDER_55}), ("male", 55, set()),
     ("male", 56, set()), ("male", 61, set())],
)
def test_valproate_order_checks_by_sex_and_age(knowledge, gender, years, expected) -> None:
    evaluation = _orders(knowledge, draft("Depakote 250 MG"), patient_resource=_person(gender, years))
    valproate = {r for r in rule_ids(evaluation) if r.startswith("order.valproate.")}
    assert valproate == expected
    if ORDER_VALPROATE_UNDER_55 in expected:
        assert ("Valproate must not be started in anyone younger than 55 unless two specialists independently"
                in card_for(evaluation, ORDER_VALPROATE_UNDER_55).detail)


def test_valproate_order_during_pregnancy_says_do_not_start(knowledge) -> None:
    evaluation = _orders(knowledge, draft("Depakote 250 MG"), condition(PREGNANCY, onset=_ago(60)))
    card = card_for(evaluation, ORDER_VALPROATE_PREGNANCY)
    assert card.indicator == "critical" and PREGNANT_DO_NOT_START in card.detail


@pytest.mark.parametrize(("years", "fires"), [(10, True), (11, True), (12, False), (13, False)])
def test_botulinum_order_below_the_licensed_age_of_12(knowledge, years, fires) -> None:
    evaluation = _orders(knowledge, draft("Botox 100 UNT"), patient_resource=_person(years=years))
    assert (ORDER_BOTULINUM_CHILD in rule_ids(evaluation)) is fires
    if fires:
        card = card_for(evaluation, ORDER_BOTULINUM_CHILD)
        assert f"{years} years old, below the youngest licensed age (12 years)" in card.detail


@pytest.mark.parametrize(("years", "below"), [(10, True), (11, True), (12, False), (13, False)])
def test_refractory_card_flags_a_child_below_12(knowledge, years, below) -> None:
    evaluation = patient_view(knowledge, twitching("568005", onset=_ago(200)), *NORMAL_LABS,
                              patient_resource=_person(years=years))
    card = card_for(evaluation, REFRACTORY)
    assert ("below the youngest licensed age" in card.detail) is below


# --- medication names found only in a coding's display --------------------------------------------------------------

def _display_only(name: str) -> dict:
    return {"coding": [{"system": "http://example.org/local-formulary", "code": "LOCAL-1", "display": name}]}


def test_valproate_on_the_list_named_only_in_a_coding_display(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), *NORMAL_LABS,
                              medication(medicationCodeableConcept=_display_only("Depakote 500 MG")))
    assert VALPROATE_CARD in rule_ids(evaluation)


def test_draft_orders_named_only_in_a_coding_display(knowledge) -> None:
    potassium = _orders(knowledge, draft(medicationCodeableConcept=_display_only("Potassium Chloride 20 MEQ")),
                        lab(K_MOLAR, 5.3, "mmol/L"))
    assert ABOVE_RANGE in card_for(potassium, ORDER_POTASSIUM).detail
    valproate = _orders(knowledge, draft(medicationCodeableConcept=_display_only("Depakote 250 MG")))
    assert ORDER_VALPROATE_PREGNANCY in rule_ids(valproate)


# --- the upper edge of every window: today ----------------------------------------------------------------------------

def test_an_electrolyte_dated_after_today_is_not_used(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), lab(MG_MASS, 1.5, "mg/dL", when=_ago(-1)))
    assert MAGNESIUM_CARD not in rule_ids(evaluation) and PANEL in rule_ids(evaluation)
    assert evaluation.skipped_resources["Observation:future-dated"] == 1


def test_a_future_dated_egfr_does_not_hide_a_current_one(knowledge) -> None:
    evaluation = _orders(knowledge, draft(rxnorm="6585"), _egfr(25, days_ago=5), _egfr(90, days_ago=-30))
    assert ORDER_MAGNESIUM in rule_ids(evaluation)


def test_a_future_dated_negative_pregnancy_test_does_not_hide_a_current_positive(knowledge) -> None:
    evaluation = _orders(knowledge, draft("Depakote 250 MG"), _positive_test(5),
                         finding(PREGNANCY_TEST, loinc=True, value=False, when=_ago(-30)))
    card = card_for(evaluation, ORDER_VALPROATE_PREGNANCY)
    assert card.indicator == "critical" and PREGNANT_DO_NOT_START in card.detail
