"""Boundary tests for every laboratory figure the rules use: severity bands, default reference ranges, units.

Each cut-off is tested at the figure, just below it and at about +-10 %, so that moving any shipped number in either
direction makes a test fail. Expected results are written here from the published figures, never computed from
`cards.thresholds`:

| Figure                                   | Value                                  | Source                              |
|------------------------------------------|----------------------------------------|-------------------------------------|
| magnesium severe                         | < 1.0 mg/dL (lab critical value)       | StatPearls: Hypomagnesemia          |
| magnesium moderate                       | < 1.2 mg/dL (symptoms start)           | StatPearls: Hypomagnesemia          |
| magnesium adult default range            | 1.7-2.3 mg/dL                          | laboratory catalogues               |
| potassium severe / moderate              | < 2.5 / < 3.0 mmol/L                   | StatPearls NBK482465                |
| potassium default range (from 1 year)    | 3.5-5.2 mmol/L                         | Mayo Clinic Laboratories (KPS)      |
| sodium profound / moderate               | < 125 / < 130 mmol/L                   | European guideline PMC5404708 tab 2 |
| sodium default range                     | 135-145 mmol/L                         | Mayo Clinic Laboratories (NAS)      |
| calcium (adjusted/total) severe          | < 1.9 mmol/L                           | Society for Endocrinology 2016      |
| total calcium default 18-59 y            | 8.6-10.0 mg/dL                         | Mayo Clinic Laboratories            |
| total calcium default from 60 y          | 8.8-10.2 mg/dL                         | Mayo Clinic Laboratories            |
| unknown age                              | adult interval with the lowest floor   | (service rule: never a borderline card) |
| ionized calcium low / high               | < 1.15 / > 1.35 mmol/L                 | CMDT                                |
| ionized calcium severe                   | < 0.9 mmol/L                           | (service rule mirroring 1.9 total)  |
| lab's adjusted calcium, no range, adult  | 2.20-2.60 mmol/L (from 16 y)           | Severn Pathology                    |

Unit conversions (IUPAC standard atomic weights): Mg 24.305 g/mol, so 1 mg/dL = 0.41144 mmol/L; K 39.098 g/mol,
1 mg/dL = 0.25577 mmol/L; Ca 40.078 g/mol, 1 mg/dL = 0.24951 mmol/L. mEq/L = mmol/L x valence (Mg, Ca 2; K, Na 1).
So: Mg 1.0 mg/dL = 0.4114, 1.2 mg/dL = 0.4937, 1.7 mg/dL = 0.6994 mmol/L; K 2.5 mmol/L = 9.77 mg/dL;
Ca 1.9 mmol/L = 7.58 mg/dL, 8.6 mg/dL = 2.1458 mmol/L; ionized 0.9 mmol/L = 3.607 mg/dL, 1.15 = 4.609 mg/dL,
1.35 = 5.411 mg/dL.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from builders import TODAY, card_for, lab, patient, patient_view, rule_ids, twitching
from cards.fhir_reading import ResourceReader
from cards.labs import read_lab
from tests.cards.builders import ANALYTES
from cards.thresholds import Age, Analyte

MG, K, NA, CA, CA_ADJ, ICA = (Analyte.MAGNESIUM, Analyte.POTASSIUM, Analyte.SODIUM, Analyte.CALCIUM_TOTAL,
                              Analyte.CALCIUM_ADJUSTED, Analyte.CALCIUM_IONIZED)
MG_MASS, MG_MOLAR, K_MOLAR, NA_MOLAR = "19123-9", "2601-3", "2823-3", "2951-2"
CA_MASS, CA_MOLAR, ICA_MOLAR, ICA_MASS = "17861-6", "2000-8", "1995-0", "17864-0"
CA_ADJ_CODE = "29265-6"

MAGNESIUM_CARD, POTASSIUM_CARD, SODIUM_CARD, CALCIUM_CARD = (
    "electrolyte.magnesium.low", "electrolyte.potassium.low", "electrolyte.sodium.low", "electrolyte.calcium.low")
RED_FLAG, PANEL = "redflag.urgent-review", "electrolyte.panel.missing"
SFE = "Society for Endocrinology emergency guidance: acute hypocalcaemia in adults (2016)"

SINCE = TODAY - timedelta(days=90)


def _born(*, years: int, days: int = 0) -> str:
    """A birth date making the patient `years` years old on TODAY (birthday today); `days` more days older, or
    with a negative `days`, that many days short of it."""
    return (TODAY.replace(year=TODAY.year - years) - timedelta(days=days)).isoformat()


def _age(years: int, days: int = 0) -> Age:
    return Age.on(date.fromisoformat(_born(years=years, days=days)), TODAY)


ADULT = _age(36)


def _read(analyte: Analyte, value: float, unit: str, age: Age | None = ADULT, **range_):
    reading = read_lab(ANALYTES[analyte], [lab("x", value, unit, **range_)], ResourceReader(Counter()),
                       since=SINCE, today=TODAY, age=age)
    assert reading.result is not None
    return reading.result


def _severity(result) -> str | None:
    return None if result.severity is None else str(result.severity)


# --- severity bands and default low limits, adult, no lab range --------------------------------------------------

@pytest.mark.parametrize(
    ("analyte", "value", "unit", "expected"),
    [
        # magnesium, mg/dL: severe < 1.0, moderate < 1.2, low < 1.7
        (MG, 0.90, "mg/dL", "severe"), (MG, 0.99, "mg/dL", "severe"), (MG, 1.0, "mg/dL", "moderate"),
        (MG, 1.1, "mg/dL", "moderate"), (MG, 1.08, "mg/dL", "moderate"), (MG, 1.19, "mg/dL", "moderate"),
        (MG, 1.2, "mg/dL", "mild"), (MG, 1.32, "mg/dL", "mild"), (MG, 1.53, "mg/dL", "mild"),
        (MG, 1.69, "mg/dL", "mild"), (MG, 1.7, "mg/dL", None), (MG, 1.87, "mg/dL", None),
        # magnesium, mmol/L: 0.4114 / 0.4937 / 0.6994
        (MG, 0.41, "mmol/L", "severe"), (MG, 0.42, "mmol/L", "moderate"), (MG, 0.49, "mmol/L", "moderate"),
        (MG, 0.50, "mmol/L", "mild"), (MG, 0.69, "mmol/L", "mild"), (MG, 0.70, "mmol/L", None),
        # magnesium, mEq/L (2 x mmol/L)
        (MG, 0.82, "mEq/L", "severe"), (MG, 0.84, "mEq/L", "moderate"), (MG, 0.98, "mEq/L", "moderate"),
        (MG, 1.0, "mEq/L", "mild"), (MG, 1.38, "mEq/L", "mild"), (MG, 1.40, "mEq/L", None),
        # potassium, mmol/L: severe < 2.5, moderate < 3.0, low < 3.5
        (K, 2.25, "mmol/L", "severe"), (K, 2.3, "mmol/L", "severe"), (K, 2.49, "mmol/L", "severe"),
        (K, 2.5, "mmol/L", "moderate"), (K, 2.7, "mmol/L", "moderate"), (K, 2.75, "mmol/L", "moderate"),
        (K, 2.99, "mmol/L", "moderate"), (K, 3.0, "mmol/L", "mild"), (K, 3.15, "mmol/L", "mild"),
        (K, 3.3, "mmol/L", "mild"), (K, 3.49, "mmol/L", "mild"), (K, 3.5, "mmol/L", None), (K, 3.85, "mmol/L", None),
        # potassium, mEq/L (= mmol/L) and mg/dL (x 0.25577)
        (K, 2.49, "mEq/L", "severe"), (K, 2.5, "mEq/L", "moderate"), (K, 2.99, "mEq/L", "moderate"),
        (K, 3.0, "mEq/L", "mild"), (K, 3.49, "mEq/L", "mild"), (K, 3.5, "mEq/L", None),
        (K, 9.7, "mg/dL", "severe"), (K, 9.8, "mg/dL", "moderate"), (K, 11.7, "mg/dL", "moderate"),
        (K, 11.8, "mg/dL", "mild"), (K, 13.6, "mg/dL", "mild"), (K, 13.7, "mg/dL", None),
        # sodium: profound < 125, moderate < 130, low < 135
        (NA, 112, "mmol/L", "severe"), (NA, 124, "mmol/L", "severe"), (NA, 124.9, "mmol/L", "severe"),
        (NA, 125, "mmol/L", "moderate"), (NA, 126, "mmol/L", "moderate"), (NA, 127, "mmol/L", "moderate"),
        (NA, 129, "mmol/L", "moderate"), (NA, 129.9, "mmol/L", "moderate"), (NA, 130, "mmol/L", "mild"),
        (NA, 131, "mmol/L", "mild"), (NA, 122, "mmol/L", "severe"), (NA, 134, "mmol/L", "mild"),
        (NA, 134.9, "mmol/L", "mild"), (NA, 135, "mmol/L", None), (NA, 136, "mmol/L", None),
        (NA, 124, "mEq/L", "severe"), (NA, 125, "mEq/L", "moderate"), (NA, 129, "mEq/L", "moderate"),
        (NA, 130, "mEq/L", "mild"), (NA, 134, "mEq/L", "mild"), (NA, 135, "mEq/L", None),
        # total calcium (18-59 y): severe < 1.9 mmol/L, low < 8.6 mg/dL (2.1458 mmol/L)
        (CA, 1.71, "mmol/L", "severe"), (CA, 1.89, "mmol/L", "severe"), (CA, 1.9, "mmol/L", "mild"),
        (CA, 2.09, "mmol/L", "mild"), (CA, 2.14, "mmol/L", "mild"), (CA, 2.15, "mmol/L", None),
        (CA, 6.84, "mg/dL", "severe"), (CA, 7.5, "mg/dL", "severe"), (CA, 7.7, "mg/dL", "mild"),
        (CA, 8.36, "mg/dL", "mild"), (CA, 8.59, "mg/dL", "mild"), (CA, 8.6, "mg/dL", None),
        (CA, 9.46, "mg/dL", None), (CA, 7.74, "mg/dL", "mild"),
        (CA, 3.78, "mEq/L", "severe"), (CA, 3.82, "mEq/L", "mild"), (CA, 4.28, "mEq/L", "mild"),
        (CA, 4.30, "mEq/L", None),
        # ionized calcium: severe < 0.9, low < 1.15 mmol/L
        (ICA, 0.81, "mmol/L", "severe"), (ICA, 0.89, "mmol/L", "severe"), (ICA, 0.9, "mmol/L", "mild"),
        (ICA, 0.99, "mmol/L", "mild"), (ICA, 1.035, "mmol/L", "mild"), (ICA, 1.14, "mmol/L", "mild"),
        (ICA, 1.15, "mmol/L", None), (ICA, 1.265, "mmol/L", None),
        (ICA, 3.6, "mg/dL", "severe"), (ICA, 3.62, "mg/dL", "mild"), (ICA, 4.6, "mg/dL", "mild"),
        (ICA, 4.62, "mg/dL", None),
        (ICA, 1.78, "mEq/L", "severe"), (ICA, 1.82, "mEq/L", "mild"), (ICA, 2.28, "mEq/L", "mild"),
        (ICA, 2.32, "mEq/L", None),
        # the lab's adjusted calcium (no range sent): severe < 1.9 as for total
        (CA_ADJ, 1.89, "mmol/L", "severe"), (CA_ADJ, 1.9, "mmol/L", "mild"), (CA_ADJ, 1.71, "mmol/L", "severe"),
        (CA_ADJ, 2.09, "mmol/L", "mild"), (CA_ADJ, 2.19, "mmol/L", "mild"), (CA_ADJ, 2.2, "mmol/L", None),
        (CA_ADJ, 1.98, "mmol/L", "mild"), (CA_ADJ, 2.42, "mmol/L", None),
    ],
)
def test_severity_band_and_default_low_limit(analyte, value, unit, expected) -> None:
    assert _severity(_read(analyte, value, unit)) == expected


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "high"),
    [
        (MG, 2.3, "mg/dL", False), (MG, 2.31, "mg/dL", True), (MG, 2.07, "mg/dL", False), (MG, 2.53, "mg/dL", True),
        (K, 5.2, "mmol/L", False), (K, 5.21, "mmol/L", True), (K, 4.68, "mmol/L", False), (K, 5.72, "mmol/L", True),
        (K, 5.21, "mEq/L", True), (K, 5.2, "mEq/L", False),
        (NA, 145, "mmol/L", False), (NA, 145.1, "mmol/L", True), (NA, 146, "mmol/L", True),
        (NA, 144, "mmol/L", False), (NA, 148.5, "mmol/L", True),
        (CA, 10.0, "mg/dL", False), (CA, 10.01, "mg/dL", True), (CA, 9.0, "mg/dL", False), (CA, 11.0, "mg/dL", True),
        (ICA, 1.35, "mmol/L", False), (ICA, 1.36, "mmol/L", True), (ICA, 1.215, "mmol/L", False),
        (ICA, 1.485, "mmol/L", True), (ICA, 5.41, "mg/dL", False), (ICA, 5.42, "mg/dL", True),
        (CA_ADJ, 2.6, "mmol/L", False), (CA_ADJ, 2.61, "mmol/L", True), (CA_ADJ, 2.34, "mmol/L", False),
        (CA_ADJ, 2.86, "mmol/L", True),
    ],
)
def test_default_high_limit(analyte, value, unit, high) -> None:
    result = _read(analyte, value, unit)
    assert result.is_high is high
    assert result.range_origin.startswith("default:")


# --- total calcium: the 60-year boundary and unknown age ----------------------------------------------------------

@pytest.mark.parametrize(
    ("age", "value", "low", "high"),
    [
        (_age(60, days=-1), 8.7, False, False),  # the day before the 60th birthday: 18-59 y, 8.6-10.0
        (_age(59), 8.7, False, False),
        (_age(60), 8.7, True, False),  # 60th birthday: 8.8-10.2
        (_age(54), 8.7, False, False),
        (_age(66), 8.7, True, False),
        (_age(60), 8.79, True, False),
        (_age(60), 8.8, False, False),
        (_age(59), 10.1, False, True),
        (_age(60), 10.1, False, False),
        (_age(60), 10.2, False, False),
        (_age(60), 10.21, False, True),
        (_age(18), 9.0, False, False),  # adult 8.6 from 18 y
        (_age(17), 9.0, True, False),  # child 1-17 y 9.3-10.6
    ],
)
def test_total_calcium_default_range_by_age(age, value, low, high) -> None:
    result = _read(CA, value, "mg/dL", age)
    assert (result.is_low, result.is_high) == (low, high)


@pytest.mark.parametrize(
    ("years", "days", "card"),
    [(59, 0, False), (60, -1, False), (60, 0, True), (61, 0, True)],
)
def test_total_calcium_8_7_mg_dl_is_low_from_the_60th_birthday(knowledge, years, days, card) -> None:
    evaluation = patient_view(knowledge, twitching(), lab(CA_MASS, 8.7, "mg/dL"),
                              patient_resource=patient(birth_date=_born(years=years, days=days)))
    assert (CALCIUM_CARD in rule_ids(evaluation)) is card


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "low", "high"),
    [
        (CA, 8.7, "mg/dL", False, False),  # the 18-59 y floor 8.6, not the 60+ floor 8.8 nor a child's 9.3
        (CA, 8.6, "mg/dL", False, False),
        (CA, 8.59, "mg/dL", True, False),
        (CA, 10.01, "mg/dL", False, True),  # with the 18-59 y upper limit 10.0
        (MG, 0.69, "mmol/L", True, False),  # adult 0.70, not the paediatric 0.65
        (K, 3.49, "mmol/L", True, False),
        (K, 5.21, "mmol/L", False, True),  # adult 5.2, not an infant's 5.5-6.1
    ],
)
def test_unknown_age_takes_the_adult_interval_with_the_lower_floor(analyte, value, unit, low, high) -> None:
    result = _read(analyte, value, unit, age=None)
    assert (result.is_low, result.is_high) == (low, high)


@pytest.mark.parametrize(("value", "card"), [(8.7, False), (8.59, True)])
def test_patient_without_birth_date_gets_the_lower_calcium_floor(knowledge, value, card) -> None:
    evaluation = patient_view(knowledge, twitching(), lab(CA_MASS, value, "mg/dL"),
                              patient_resource=patient(birth_date=None))
    assert (CALCIUM_CARD in rule_ids(evaluation)) is card


# --- reference ranges with one bound -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("analyte", "value", "range_", "severity", "high"),
    [
        # only a high bound: the low limit is the default's
        (K, 3.49, {"high": 5.0}, "mild", False),
        (K, 3.5, {"high": 5.0}, None, False),
        (K, 5.0, {"high": 5.0}, None, False),
        (K, 5.1, {"high": 5.0}, None, True),
        (NA, 134.9, {"high": 148}, "mild", False),
        (NA, 135, {"high": 148}, None, False),
        (NA, 146, {"high": 148}, None, False),
        # only a low bound: the high limit is the default's
        (K, 3.59, {"low": 3.6}, "mild", False),
        (K, 3.6, {"low": 3.6}, None, False),
        (K, 5.2, {"low": 3.6}, None, False),
        (K, 5.21, {"low": 3.6}, None, True),
        (NA, 145.1, {"low": 133}, None, True),
        (NA, 134, {"low": 133}, None, False),
        # a lab range can never make a band value normal
        (K, 2.49, {"low": 2.0, "high": 5.0}, "severe", False),
        (MG, 0.99, {"low": 0.5, "high": 2.5}, "severe", False),
    ],
)
def test_one_sided_lab_range_borrows_the_missing_limit_from_the_default(analyte, value, range_, severity,
                                                                        high) -> None:
    unit = "mg/dL" if analyte is MG else "mmol/L"
    result = _read(analyte, value, unit, **range_)
    assert (_severity(result), result.is_high) == (severity, high)
    if len(range_) == 1:
        missing = "high" if "low" in range_ else "low"
        assert f"{missing} limit from default" in result.range_origin


# --- statuses -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "usable"), [("final", True), ("amended", True), ("corrected", True),
                                                ("preliminary", False), ("registered", False),
                                                ("entered-in-error", False), ("cancelled", False)])
def test_which_statuses_are_usable(knowledge, status, usable) -> None:
    evaluation = patient_view(knowledge, twitching(), lab(MG_MASS, 1.5, "mg/dL", status=status))
    assert (MAGNESIUM_CARD in rule_ids(evaluation)) is usable
    assert (PANEL in rule_ids(evaluation)) is not usable


def test_a_preliminary_severe_result_is_mentioned_but_not_used(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), lab(MG_MASS, 0.99, "mg/dL", status="preliminary"))
    assert MAGNESIUM_CARD not in rule_ids(evaluation)
    assert "newer preliminary result is critically low" in card_for(evaluation, PANEL).detail


# --- indicators and severe-band advice on the cards ----------------------------------------------------------------

SEVERE_CALCIUM = ("Severe: arrange same-day assessment; intravenous calcium with cardiac monitoring is the "
                  "treatment. Oral supplements and diet are not enough.")
SEVERE_MAGNESIUM = ("Severe: arrange same-day assessment; replacement is usually intravenous, with monitoring. "
                    "Oral supplements and diet are not enough.")
SEVERE_POTASSIUM = ("Severe: arrange same-day assessment; check an ECG; intravenous potassium only with cardiac "
                    "monitoring. Oral supplements and diet are not enough.")
EMERGENCY = ("Tetany or severely low calcium or magnesium: emergency replacement with cardiac monitoring; check for "
             "laryngospasm, seizures and QT prolongation.")


def _suggested(card) -> list[str]:
    return [s.key for s in card.suggestions]


@pytest.mark.parametrize(
    "resource",
    [lab(CA_MOLAR, 1.89, "mmol/L"), lab(CA_MASS, 7.5, "mg/dL"), lab(CA_ADJ_CODE, 1.89, "mmol/L"),
     lab(ICA_MOLAR, 0.89, "mmol/L"), lab(ICA_MASS, 3.6, "mg/dL"), lab(ICA_MOLAR, 1.78, "mEq/L")],
)
def test_severe_calcium_gets_emergency_advice_citing_the_society_for_endocrinology(knowledge, resource) -> None:
    evaluation = patient_view(knowledge, twitching(), resource)
    card = card_for(evaluation, CALCIUM_CARD)
    assert card.indicator == "critical" and "(severe)" in card.summary
    assert SEVERE_CALCIUM in card.detail and SFE in card.detail
    assert "calcium-supplement" not in _suggested(card)
    flag = card_for(evaluation, RED_FLAG)
    assert "severely low calcium" in flag.summary and EMERGENCY in flag.detail and SFE in flag.detail


@pytest.mark.parametrize(
    "resource",
    [lab(CA_MOLAR, 1.9, "mmol/L"), lab(CA_MASS, 7.7, "mg/dL"), lab(CA_ADJ_CODE, 1.9, "mmol/L"),
     lab(ICA_MOLAR, 0.9, "mmol/L"), lab(ICA_MASS, 3.62, "mg/dL"), lab(ICA_MOLAR, 1.14, "mmol/L")],
)
def test_calcium_just_above_severe_is_mild_with_an_oral_proposal_and_no_red_flag(knowledge, resource) -> None:
    evaluation = patient_view(knowledge, twitching(), resource)
    card = card_for(evaluation, CALCIUM_CARD)
    assert card.indicator == "info" and "Severe: arrange same-day assessment" not in card.detail
    assert "calcium-supplement" in _suggested(card)
    assert RED_FLAG not in rule_ids(evaluation)


@pytest.mark.parametrize(("resource", "card"), [(lab(ICA_MOLAR, 1.15, "mmol/L"), False),
                                                (lab(ICA_MASS, 4.62, "mg/dL"), False),
                                                (lab(ICA_MASS, 4.6, "mg/dL"), True)])
def test_ionized_calcium_low_limit_on_the_card(knowledge, resource, card) -> None:
    assert (CALCIUM_CARD in rule_ids(patient_view(knowledge, twitching(), resource))) is card


@pytest.mark.parametrize(
    ("resource", "indicator", "red_flag"),
    [(lab(MG_MASS, 0.99, "mg/dL"), "critical", True), (lab(MG_MOLAR, 0.41, "mmol/L"), "critical", True),
     (lab(MG_MASS, 0.82, "mEq/L"), "critical", True), (lab(MG_MASS, 1.0, "mg/dL"), "warning", False),
     (lab(MG_MASS, 1.19, "mg/dL"), "warning", False), (lab(MG_MASS, 1.2, "mg/dL"), "info", False),
     (lab(MG_MASS, 1.69, "mg/dL"), "info", False)],
)
def test_magnesium_card_indicator_and_emergency_advice(knowledge, resource, indicator, red_flag) -> None:
    evaluation = patient_view(knowledge, twitching(), resource)
    card = card_for(evaluation, MAGNESIUM_CARD)
    assert card.indicator == indicator
    assert (SEVERE_MAGNESIUM in card.detail) is red_flag
    assert ("magnesium-supplement" in _suggested(card)) is not red_flag
    assert (RED_FLAG in rule_ids(evaluation)) is red_flag
    if red_flag:
        flag = card_for(evaluation, RED_FLAG)
        assert "severely low magnesium" in flag.summary and EMERGENCY in flag.detail and SFE in flag.detail


def test_magnesium_at_the_default_floor_gets_no_card(knowledge) -> None:
    assert MAGNESIUM_CARD not in rule_ids(patient_view(knowledge, twitching(), lab(MG_MASS, 1.7, "mg/dL")))


@pytest.mark.parametrize(
    ("value", "unit", "indicator"),
    [(2.49, "mmol/L", "critical"), (2.49, "mEq/L", "critical"), (2.5, "mmol/L", "warning"),
     (2.99, "mmol/L", "warning"), (3.0, "mmol/L", "info"), (3.49, "mmol/L", "info"), (3.5, "mmol/L", None)],
)
def test_potassium_card_indicator_and_severe_advice(knowledge, value, unit, indicator) -> None:
    evaluation = patient_view(knowledge, twitching(), lab(K_MOLAR, value, unit))
    if indicator is None:
        assert POTASSIUM_CARD not in rule_ids(evaluation)
        return
    card = card_for(evaluation, POTASSIUM_CARD)
    assert card.indicator == indicator
    severe = indicator == "critical"
    assert (SEVERE_POTASSIUM in card.detail) is severe
    assert ("potassium-supplement" in _suggested(card)) is not severe
    assert RED_FLAG not in rule_ids(evaluation)  # potassium is not one of the red-flag minerals


@pytest.mark.parametrize(
    ("value", "indicator"),
    [(124, "critical"), (124.9, "critical"), (125, "warning"), (129.9, "warning"), (130, "info"),
     (134.9, "info"), (135, None)],
)
def test_sodium_card_indicator_and_profound_advice(knowledge, value, indicator) -> None:
    evaluation = patient_view(knowledge, twitching(), lab(NA_MOLAR, value, "mmol/L"))
    if indicator is None:
        assert SODIUM_CARD not in rule_ids(evaluation)
        return
    card = card_for(evaluation, SODIUM_CARD)
    assert card.indicator == indicator
    assert ("Profound hyponatraemia: assess urgently" in card.detail) is (indicator == "critical")


CORRECTION_LIMITS = ("raise sodium by no more than 8-10 mmol/L in any 24 hours, and by less than 8 mmol/L in "
                     "high-risk patients")
HIGH_RISK = "This patient is high-risk (sodium below 115 mmol/L): keep correction under 8 mmol/L in 24 hours."


@pytest.mark.parametrize(
    ("value", "high_risk"),
    [(103.5, True), (114, True), (114.9, True), (115, False), (116, False), (126.5, False), (134, False)],
)
def test_sodium_over_correction_limits_and_the_below_115_high_risk_sentence(knowledge, value, high_risk) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab(NA_MOLAR, value, "mmol/L")), SODIUM_CARD)
    assert CORRECTION_LIMITS in card.detail
    assert "osmotic demyelination" in card.detail
    assert (HIGH_RISK in card.detail) is high_risk
    assert ("This patient is high-risk" in card.detail) is high_risk  # no other risk on this chart


@pytest.mark.parametrize(("potassium", "high_risk"), [(3.15, True), (3.49, True), (3.5, False), (3.85, False)])
def test_low_potassium_makes_a_sodium_patient_high_risk_at_the_default_floor(knowledge, potassium, high_risk) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab(NA_MOLAR, 128, "mmol/L"),
                                 lab(K_MOLAR, potassium, "mmol/L")), SODIUM_CARD)
    expected = "This patient is high-risk (low potassium): keep correction under 8 mmol/L in 24 hours."
    assert (expected in card.detail) is high_risk
