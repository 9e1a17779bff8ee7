"""Children and adolescents: age-appropriate default ranges, and every age-dependent recommendation states its limit.

Intervals as published, written here independently of the knowledge data:
- total calcium (Mayo Clinic Laboratories): < 1 y 8.7-11.0, 1-17 y 9.3-10.6, 18-59 y 8.6-10.0 mg/dL;
- magnesium (RCPA/AACB harmonised): < 1 week 0.6-1.0, 1 week-17 y 0.65-1.1 mmol/L; adults 1.7-2.3 mg/dL
  (0.70-0.95 mmol/L);
- potassium (Davis's Lab & Diagnostic Tests): birth-7 d 3.2-5.5, 8 d-1 mo 3.4-6.0, 1-5 mo 3.5-5.6, 6 mo-1 y
  3.5-6.1 mmol/L; from 1 year 3.5-5.2 (Mayo);
- sodium (Mayo): 135-145 mmol/L from 1 year, none established under 1 year.
Botulinum toxin: BOTOX blepharospasm from 12 years; Xeomin adults; AAN 2019 tics: adolescents and adults.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from builders import TODAY, card_for, draft, lab, orders, patient, patient_view, rule_ids, twitching
from cards import ChartData
from cards.fhir_reading import ResourceReader
from cards.labs import read_lab
from tests.cards.builders import ANALYTES
from cards.thresholds import Age, Analyte

SINCE = TODAY - timedelta(days=90)


def _born(*, years: int = 0, days: int = 0) -> str:
    """A birth date making the patient exactly `years` years (plus `days` days) old on TODAY."""
    birthday = TODAY.replace(year=TODAY.year - years) - timedelta(days=days)
    return birthday.isoformat()


def _result(analyte: Analyte, value: float, unit: str, age: Age | None):
    return read_lab(ANALYTES[analyte], [lab("x", value, unit)], ResourceReader(Counter()), since=SINCE, today=TODAY,
                    age=age).result


def _age(years: int = 0, days: int = 0) -> Age:
    return Age(years, days or years * 365 + 1)


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "age", "low"),
    [
        # total calcium 9.0 mg/dL: normal for an infant (8.7) and an adult (8.6), low for a child (9.3)
        (Analyte.CALCIUM_TOTAL, 9.0, "mg/dL", _age(days=200), False),
        (Analyte.CALCIUM_TOTAL, 9.0, "mg/dL", _age(years=10), True),
        (Analyte.CALCIUM_TOTAL, 9.0, "mg/dL", _age(years=17), True),
        (Analyte.CALCIUM_TOTAL, 9.0, "mg/dL", _age(years=18), False),
        (Analyte.CALCIUM_TOTAL, 8.65, "mg/dL", _age(days=200), True),
        # magnesium 0.68 mmol/L: normal for a child (0.65), low for an adult (0.70)
        (Analyte.MAGNESIUM, 0.68, "mmol/L", _age(years=10), False),
        (Analyte.MAGNESIUM, 0.68, "mmol/L", _age(years=18), True),
        (Analyte.MAGNESIUM, 0.62, "mmol/L", _age(days=6), False),
        (Analyte.MAGNESIUM, 0.62, "mmol/L", _age(days=7), True),
        (Analyte.MAGNESIUM, 0.62, "mmol/L", _age(years=17), True),
        # potassium 3.3: normal in the first week (3.2), low from day 8 (3.4)
        (Analyte.POTASSIUM, 3.3, "mmol/L", _age(days=7), False),
        (Analyte.POTASSIUM, 3.3, "mmol/L", _age(days=8), True),
        (Analyte.POTASSIUM, 3.45, "mmol/L", _age(days=30), False),
        (Analyte.POTASSIUM, 3.45, "mmol/L", _age(days=31), True),
        (Analyte.POTASSIUM, 3.45, "mmol/L", _age(years=5), True),
    ],
)
def test_default_range_follows_age(analyte, value, unit, age, low) -> None:
    assert _result(analyte, value, unit, age).is_low is low


@pytest.mark.parametrize(("days", "high"), [(100, True), (200, False), (400, True)])
def test_infant_potassium_upper_limit_follows_age(days, high) -> None:
    # 5.8 mmol/L: above 5.6 at 1-5 months, within 6.1 at 6-12 months, above 5.2 from 1 year.
    assert _result(Analyte.POTASSIUM, 5.8, "mmol/L", Age(days // 365, days)).is_high is high


def test_unknown_age_takes_the_adult_interval_with_the_lowest_floor() -> None:
    # 8.7 mg/dL is low from 60 years (8.8) and for children (9.3) but not at 18-59 years (8.6).
    assert not _result(Analyte.CALCIUM_TOTAL, 8.7, "mg/dL", None).is_low
    assert not _result(Analyte.MAGNESIUM, 0.71, "mmol/L", None).is_low


@pytest.mark.parametrize(
    ("analyte", "age", "wording"),
    [
        (Analyte.CALCIUM_TOTAL, _age(years=8), "paediatric default 1-17 y, Mayo Clinic Laboratories"),
        (Analyte.CALCIUM_TOTAL, _age(years=30), "adult default 18-59 y"),
        (Analyte.SODIUM, _age(days=100), "adult default: no interval is established under 1 y"),
        (Analyte.SODIUM, _age(years=4), "paediatric default from 1 y"),
        (Analyte.CALCIUM_IONIZED, _age(years=9), "adult default, CMDT (no paediatric interval in our sources)"),
        (Analyte.POTASSIUM, _age(days=3), "paediatric default birth-7 days, Davis's Lab & Diagnostic Tests"),
    ],
)
def test_the_card_says_which_default_was_used(analyte, age, wording) -> None:
    assert wording in _result(analyte, 1.0, "mmol/L", age).basis_row().reference_range


def test_birth_date_gives_age_in_days_for_infant_ranges(knowledge) -> None:
    # Magnesium 0.62 mmol/L in a 5-day-old (0.6-1.0) is normal; in a 3-week-old (0.65-1.1) it is low.
    newborn = patient_view(knowledge, twitching(), lab("2601-3", 0.62, "mmol/L"),
                           patient_resource=patient(birth_date=_born(days=5)))
    older = patient_view(knowledge, twitching(), lab("2601-3", 0.62, "mmol/L"),
                         patient_resource=patient(birth_date=_born(days=21)))
    assert "electrolyte.magnesium.low" not in rule_ids(newborn)
    assert "electrolyte.magnesium.low" in rule_ids(older)


def test_supplement_for_a_child_says_the_dose_is_by_weight(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab("2601-3", 0.5, "mmol/L"),
                                 patient_resource=patient(birth_date=_born(years=9))), "electrolyte.magnesium.low")
    assert "9 years old" in card.detail and "paediatric formulary" in card.detail
    adult = card_for(patient_view(knowledge, twitching(), lab("2601-3", 0.5, "mmol/L")), "electrolyte.magnesium.low")
    assert "paediatric formulary" not in adult.detail


def _refractory(knowledge, birth_date: str | None):
    old = twitching("568005", onset="2026-01-10")  # tic disorder, documented for months
    normal = [lab("19123-9", 2.0, "mg/dL"), lab("2823-3", 4.2, "mmol/L"), lab("2951-2", 140, "mmol/L"),
              lab("17861-6", 9.6, "mg/dL")]
    return card_for(patient_view(knowledge, old, *normal, patient_resource=patient(birth_date=birth_date)),
                    "refractory.botulinum-toxin")


@pytest.mark.parametrize(("years", "below"), [(11, True), (12, False), (40, False)])
def test_botulinum_card_states_age_limits_and_flags_a_child_below_them(knowledge, years, below) -> None:
    card = _refractory(knowledge, _born(years=years))
    assert "licensed for blepharospasm from 12 years" in card.detail and "adolescents and adults" in card.detail
    assert ("below the youngest licensed age" in card.detail) is below
    assert (card.indicator == "warning") is below
    referral = next(s for s in card.suggestions if s.label.startswith("Refer for botulinum"))
    assert bool(referral.is_recommended) is not below


def test_botulinum_card_with_unknown_age_still_states_the_limits(knowledge) -> None:
    card = _refractory(knowledge, None)
    assert "licensed for blepharospasm from 12 years" in card.detail
    assert "below the youngest licensed age" not in card.detail


@pytest.mark.parametrize(("years", "fires"), [(11, True), (12, False)])
def test_botulinum_order_for_a_child_below_the_licensed_age(knowledge, years, fires) -> None:
    xeomin = draft("Xeomin 100 units injection", id="bt-1")
    chart = ChartData(patient_id="p1", patient=patient(birth_date=_born(years=years)), observations=[],
                      conditions=[twitching("568005")], medication_requests=[])
    evaluation = knowledge.evaluate_orders(chart, orders(xeomin), today=TODAY)
    assert ("order.botulinum.under-licensed-age" in rule_ids(evaluation)) is fires
    if fires:
        card = card_for(evaluation, "order.botulinum.under-licensed-age")
        assert "11 years old" in card.detail and card.indicator == "warning"


def test_ms_relapse_dose_is_for_adults_only(knowledge) -> None:
    ms = twitching("24700007", onset="2025-01-01")  # multiple sclerosis
    child = card_for(patient_view(knowledge, twitching(), ms, lab("19123-9", 2.0, "mg/dL"),
                                  patient_resource=patient(birth_date=_born(years=14))), "ms.management")
    adult = card_for(patient_view(knowledge, twitching(), ms, lab("19123-9", 2.0, "mg/dL")), "ms.management")
    assert "0.5 g" not in child.detail and "paediatric neurology" in child.detail
    assert "0.5 g daily for 5 days (NICE, for adults)" in adult.detail
