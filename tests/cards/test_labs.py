"""Lab facts: unit conversion to mmol/L per analyte, the latest usable result, reference ranges and severity."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from builders import chart, draft, lab, orders, patient, twitching
from cards.fhir_reading import ResourceReader
from cards.labs import read_lab
from tests.cards.builders import ANALYTES
from cards.thresholds import Age, Amount, Analyte, Severity

SINCE = date(2026, 8, 27)
TODAY = date(2026, 11, 25)


def _latest(analyte: Analyte, *raws, age: int | None = 40, skipped: Counter | None = None):
    reader = ResourceReader(skipped if skipped is not None else Counter())
    known = Age(age, age * 365 + 30) if age is not None else None
    return read_lab(ANALYTES[analyte], raws, reader, since=SINCE, today=TODAY, age=known).result


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "expected_mmol"),
    [
        (Analyte.MAGNESIUM, 2.4305, "mg/dL", 1.0),
        (Analyte.MAGNESIUM, 1.6, "mEq/L", 0.8),
        (Analyte.MAGNESIUM, 1.6, "meq/L", 0.8),
        (Analyte.MAGNESIUM, 0.8, "mmol/L", 0.8),
        (Analyte.CALCIUM_TOTAL, 8.0156, "mg/dL", 2.0),
        (Analyte.CALCIUM_TOTAL, 4.0, "mEq/L", 2.0),
        (Analyte.CALCIUM_IONIZED, 2.3, "MEQ/L", 1.15),
        (Analyte.POTASSIUM, 3.2, "mEq/L", 3.2),
        (Analyte.POTASSIUM, 15.6392, "mg/dL", 4.0),
        (Analyte.SODIUM, 140, "MMOL/L", 140),
        (Analyte.SODIUM, 310.365, "mg/dL", 135),
    ],
)
def test_results_convert_to_mmol_per_litre(analyte: Analyte, value: float, unit: str, expected_mmol: float) -> None:
    loinc = {Analyte.MAGNESIUM: "19123-9", Analyte.CALCIUM_TOTAL: "17861-6", Analyte.CALCIUM_IONIZED: "1995-0",
             Analyte.POTASSIUM: "2823-3", Analyte.SODIUM: "2951-2"}[analyte]
    result = _latest(analyte, lab(loinc, value, unit))
    assert result is not None
    assert result.value == pytest.approx(expected_mmol, rel=1e-3)
    assert result.original == f"{value} {unit}"


def test_ucum_code_is_preferred_over_the_display_unit() -> None:
    result = _latest(Analyte.MAGNESIUM, lab("19123-9", 1.2, "milligram per deciliter", unit_code="mg/dL"))
    assert result is not None and result.value == pytest.approx(0.494, abs=1e-3)


def test_unknown_unit_is_skipped_counted_and_the_next_result_used() -> None:
    skipped: Counter = Counter()
    result = _latest(Analyte.MAGNESIUM, lab("19123-9", 1.0, "g/L", when="2026-11-20"),
                     lab("19123-9", 2.0, "mg/dL", when="2026-11-01"), skipped=skipped)
    assert result is not None and result.original == "2.0 mg/dL"
    assert skipped == {"Observation:unreadable-unit": 1}


@pytest.mark.parametrize("impossible", [0, -5])
def test_a_concentration_of_zero_or_less_is_a_data_error_skipped_not_a_critical_low(impossible: float) -> None:
    skipped: Counter = Counter()
    result = _latest(Analyte.MAGNESIUM, lab("19123-9", impossible, "mg/dL", when="2026-11-20"),
                     lab("19123-9", 2.0, "mg/dL", when="2026-11-01"), skipped=skipped)
    assert result is not None and result.original == "2.0 mg/dL"
    assert skipped == {"Observation:impossible-value": 1}


def test_latest_result_wins_regardless_of_list_order() -> None:
    result = _latest(Analyte.POTASSIUM, lab("2823-3", 4.1, "mmol/L", when="2026-10-01"),
                     lab("2823-3", 3.1, "mmol/L", when="2026-11-20T08:30:00Z"),
                     lab("2823-3", 3.9, "mmol/L", when="2026-11-02"))
    assert result is not None and result.value == pytest.approx(3.1)
    assert result.effective == date(2026, 11, 20)


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "preliminary", "registered"])
def test_results_with_unusable_status_are_ignored(status: str) -> None:
    result = _latest(Analyte.SODIUM, lab("2951-2", 120, "mmol/L", when="2026-11-20", status=status),
                     lab("2951-2", 139, "mmol/L", when="2026-11-01", status="amended"))
    assert result is not None and result.value == 139


def test_stale_results_are_ignored() -> None:
    assert _latest(Analyte.SODIUM, lab("2951-2", 120, "mmol/L", when="2026-08-26")) is None


def test_results_without_a_numeric_value_are_ignored() -> None:
    no_value = lab("2951-2", 1, "mmol/L", when="2026-11-20")
    no_value.pop("valueQuantity")
    no_value["valueString"] = "haemolysed"
    result = _latest(Analyte.SODIUM, no_value, lab("2951-2", 131, "mmol/L", when="2026-11-02"))
    assert result is not None and result.value == 131


def test_a_broken_resource_is_skipped_and_counted() -> None:
    skipped: Counter = Counter()
    broken = lab("2951-2", "not-a-number", "mmol/L", when="2026-11-20")
    result = _latest(Analyte.SODIUM, broken, lab("2951-2", 133, "mmol/L", when="2026-11-02"), skipped=skipped)
    assert result is not None and result.value == 133
    assert skipped == {"Observation": 1}


def test_lab_reference_range_is_converted_and_used() -> None:
    result = _latest(Analyte.MAGNESIUM, lab("19123-9", 1.8, "mg/dL", low=1.9, high=2.5))
    assert result is not None
    assert result.low == pytest.approx(1.9 * 0.41144, rel=1e-3)
    assert result.range_origin == "reporting lab"
    assert result.severity is Severity.MILD


def test_reference_range_in_another_unit_is_converted() -> None:
    result = _latest(Analyte.MAGNESIUM, lab("19123-9", 1.65, "mg/dL", low=0.70, high=0.95, range_unit="mmol/L"))
    assert result is not None and result.low == pytest.approx(0.70) and result.is_low


def test_missing_reference_range_falls_back_to_the_documented_default() -> None:
    result = _latest(Analyte.MAGNESIUM, lab("19123-9", 1.6, "mg/dL"))
    assert result is not None
    assert result.low == pytest.approx(ANALYTES[Analyte.MAGNESIUM].to_canonical(Amount(1.7, "mg/dL")))
    assert result.range_origin.startswith("default")
    assert result.severity is Severity.MILD


def test_default_calcium_range_depends_on_age() -> None:
    value = lab("17861-6", 8.7, "mg/dL")
    assert _latest(Analyte.CALCIUM_TOTAL, value, age=40).severity is None
    assert _latest(Analyte.CALCIUM_TOTAL, value, age=70).severity is Severity.MILD


@pytest.mark.parametrize(
    ("value", "severity"),
    [(3.6, None), (3.4, Severity.MILD), (3.0, Severity.MILD), (2.9, Severity.MODERATE), (2.5, Severity.MODERATE),
     (2.4, Severity.SEVERE)],
)
def test_potassium_severity_bands(value: float, severity: Severity | None) -> None:
    assert _latest(Analyte.POTASSIUM, lab("2823-3", value, "mmol/L")).severity is severity


@pytest.mark.parametrize(
    ("value", "severity"),
    [(135, None), (134, Severity.MILD), (130, Severity.MILD), (129, Severity.MODERATE), (124, Severity.SEVERE)],
)
def test_sodium_severity_bands(value: float, severity: Severity | None) -> None:
    assert _latest(Analyte.SODIUM, lab("2951-2", value, "mmol/L")).severity is severity


@pytest.mark.parametrize(
    ("value", "severity"),
    [(1.7, None), (1.6, Severity.MILD), (1.2, Severity.MILD), (1.1, Severity.MODERATE), (0.9, Severity.SEVERE)],
)
def test_magnesium_severity_bands(value: float, severity: Severity | None) -> None:
    assert _latest(Analyte.MAGNESIUM, lab("19123-9", value, "mg/dL")).severity is severity


def test_below_range_but_above_the_mild_floor_is_still_mild() -> None:
    result = _latest(Analyte.POTASSIUM, lab("2823-3", 3.55, "mmol/L", low=3.6, high=5.0))
    assert result.severity is Severity.MILD


def test_a_lab_range_cannot_make_a_severely_low_value_normal() -> None:
    result = _latest(Analyte.POTASSIUM, lab("2823-3", 2.4, "mmol/L", low=2.0, high=5.0))
    assert result.severity is Severity.SEVERE


def test_calcium_total_severe_band_is_below_1_9_mmol() -> None:
    assert _latest(Analyte.CALCIUM_TOTAL, lab("17861-6", 7.5, "mg/dL")).severity is Severity.SEVERE
    assert _latest(Analyte.CALCIUM_TOTAL, lab("17861-6", 8.0, "mg/dL")).severity is Severity.MILD


def test_ionized_calcium_low_below_1_15() -> None:
    assert _latest(Analyte.CALCIUM_IONIZED, lab("1995-0", 1.10, "mmol/L")).severity is Severity.MILD
    assert _latest(Analyte.CALCIUM_IONIZED, lab("1995-0", 1.16, "mmol/L")).severity is None
    assert _latest(Analyte.CALCIUM_IONIZED, lab("1995-0", 0.7, "mmol/L")).severity is Severity.SEVERE


# Independently computed: molar masses Mg 24.305, Ca 40.078, K 39.098, Na 22.99 g/mol (IUPAC standard atomic weights).
@pytest.mark.parametrize(
    ("analyte", "loinc", "value", "unit", "expected_mmol"),
    [
        (Analyte.MAGNESIUM, "19123-9", 19.0, "mg/L", 19.0 / 24.305),
        (Analyte.MAGNESIUM, "2601-3", 820, "umol/L", 0.82),
        (Analyte.MAGNESIUM, "2601-3", 820, "µmol/L", 0.82),
        (Analyte.CALCIUM_TOTAL, "17861-6", 92, "mg/L", 92 / 40.078),
        (Analyte.CALCIUM_TOTAL, "2000-8", 2310, "umol/L", 2.31),
        (Analyte.CALCIUM_IONIZED, "1995-0", 1150, "umol/L", 1.15),
        (Analyte.POTASSIUM, "2823-3", 152.5, "mg/L", 152.5 / 39.098),
        (Analyte.SODIUM, "2951-2", 3104, "mg/L", 3104 / 22.99),
        (Analyte.SODIUM, "2951-2", 138, "meq/L", 138),
    ],
)
def test_every_legal_unit_converts(analyte, loinc, value, unit, expected_mmol) -> None:
    result = _latest(analyte, lab(loinc, value, unit))
    assert result is not None and result.value == pytest.approx(expected_mmol, rel=1e-9)


def test_unit_text_alone_is_enough() -> None:
    result = _latest(Analyte.MAGNESIUM, lab("19123-9", 1.5, "mg/dl"))
    assert result is not None and result.severity is Severity.MILD


def test_reported_precision_is_kept() -> None:
    assert _latest(Analyte.MAGNESIUM, lab("19123-9", 2.0, "mg/dL")).original == "2.0 mg/dL"


def test_range_is_shown_as_the_lab_sent_it_beside_the_conversion() -> None:
    row = _latest(Analyte.MAGNESIUM, lab("19123-9", 1.5, "mg/dL", low=1.70, high=2.30)).basis_row()
    assert row.reference_range == "1.7-2.3 mg/dL (= 0.7-0.95 mmol/L; reporting lab)"


def test_default_range_is_shown_in_its_source_unit_too() -> None:
    row = _latest(Analyte.MAGNESIUM, lab("19123-9", 1.5, "mg/dL")).basis_row()
    assert row.reference_range.startswith("1.7-2.3 mg/dL (= 0.7-0.95 mmol/L; default: adult")


@pytest.mark.parametrize("field, value", [("status", {"code": "final"}), ("status", ["final"]), ("id", {"x": 1})])
def test_results_with_non_string_status_or_id_are_left_out_without_crashing(knowledge, field, value) -> None:
    from builders import chart, twitching
    good = lab("19123-9", 1.1, "mg/dL")
    hostile = {**lab("19123-9", 0.9, "mg/dL", when="2026-11-24"), field: value}
    evaluation = knowledge.evaluate_patient_view(chart(twitching(), good, hostile), today=date(2026, 11, 25))
    card = next(card for card in evaluation.cards if card.rule_id == "electrolyte.magnesium.low")
    assert "1.1 mg/dL" in card.detail and "0.9 mg/dL" not in card.detail


def test_a_range_with_only_a_high_limit_keeps_the_default_low_limit() -> None:
    # Sodium 133 with the lab's "<= 145" only: still below the default 135, so mild, and the card says which
    # limit came from where.
    result = _latest(Analyte.SODIUM, lab("2951-2", 133, "mmol/L", high=145))
    assert result.severity is Severity.MILD and (result.low, result.high) == (135, 145)
    assert "high" not in result.range_origin.split(";")[0] and "low limit from default" in result.range_origin


def test_a_range_with_only_a_low_limit_keeps_the_default_high_limit() -> None:
    # Potassium 5.5 with the lab's ">= 3.6" only: above the default upper limit 5.2, so high.
    result = _latest(Analyte.POTASSIUM, lab("2823-3", 5.5, "mmol/L", low=3.6))
    assert result.is_high and result.low == 3.6 and "high limit from default" in result.range_origin
    below = _latest(Analyte.POTASSIUM, lab("2823-3", 3.55, "mmol/L", low=3.6))
    assert below.severity is Severity.MILD


def test_an_infinite_value_is_impossible_not_high() -> None:
    skipped: Counter = Counter()
    result = _latest(Analyte.POTASSIUM, lab("2823-3", Decimal("1E+999999999"), "mmol/L"), skipped=skipped)
    assert result is None and skipped["Observation:impossible-value"] == 1


def test_an_infinite_egfr_cannot_hide_kidney_disease(knowledge) -> None:
    egfr = [lab("98979-8", 25, "mL/min/{1.73_m2}", when="2026-11-18"),
            lab("98979-8", Decimal("1E+999999999"), "mL/min/{1.73_m2}", when="2026-11-20")]
    evaluation = knowledge.evaluate_orders(chart(twitching(), *egfr, patient_resource=patient()),
                                           orders(draft("Magnesium sulfate 50% injection")), today=TODAY)
    assert "order.magnesium.renal" in [card.rule_id for card in evaluation.cards]
