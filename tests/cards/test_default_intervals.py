"""Every default reference interval, at its limits and its age-band edges, written out from the sources (not read
back from `cards/knowledge/thresholds.yaml`): moving a limit or an age edge in the data fails a test here.

A default interval is used only when the lab sends no range of its own; the card then shows it as
"low-high unit (default: ...)". Sources: RCPA/AACB harmonised intervals (magnesium, children); laboratory
catalogues (adult magnesium 1.7-2.3 mg/dL); Davis's Lab & Diagnostic Tests (infant potassium); Mayo Clinic
Laboratories (potassium from 1 y, sodium, total calcium by age); Severn Pathology (albumin-adjusted calcium); CMDT
(ionized calcium)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from builders import TODAY, card_for, lab, patient, patient_view, rule_ids, twitching

# (analyte rule, LOINC, unit, age as ("d", days) or ("y", years), low, high, step a result goes below low by)
MG, K, NA, CA = ("electrolyte.magnesium.low", "electrolyte.potassium.low", "electrolyte.sodium.low",
                 "electrolyte.calcium.low")
INTERVALS = [
    (MG, "19123-9", "mmol/L", ("d", 0), 0.6, 1.0, 0.01),
    (MG, "19123-9", "mmol/L", ("d", 6), 0.6, 1.0, 0.01),
    (MG, "19123-9", "mmol/L", ("d", 7), 0.65, 1.1, 0.01),
    (MG, "19123-9", "mmol/L", ("y", 17), 0.65, 1.1, 0.01),
    (MG, "19123-9", "mg/dL", ("y", 18), 1.7, 2.3, 0.1),
    (K, "2823-3", "mmol/L", ("d", 0), 3.2, 5.5, 0.1),
    (K, "2823-3", "mmol/L", ("d", 7), 3.2, 5.5, 0.1),
    (K, "2823-3", "mmol/L", ("d", 8), 3.4, 6.0, 0.1),
    (K, "2823-3", "mmol/L", ("d", 30), 3.4, 6.0, 0.1),
    (K, "2823-3", "mmol/L", ("d", 31), 3.5, 5.6, 0.1),
    (K, "2823-3", "mmol/L", ("d", 182), 3.5, 5.6, 0.1),
    (K, "2823-3", "mmol/L", ("d", 183), 3.5, 6.1, 0.1),
    (K, "2823-3", "mmol/L", ("y", 1), 3.5, 5.2, 0.1),
    (K, "2823-3", "mmol/L", ("y", 40), 3.5, 5.2, 0.1),
    (NA, "2951-2", "mmol/L", ("d", 0), 135, 145, 1),
    (NA, "2951-2", "mmol/L", ("y", 1), 135, 145, 1),
    (NA, "2951-2", "mmol/L", ("y", 40), 135, 145, 1),
    (CA, "17861-6", "mg/dL", ("d", 0), 8.7, 11.0, 0.1),
    (CA, "17861-6", "mg/dL", ("y", 1), 9.3, 10.6, 0.1),
    (CA, "17861-6", "mg/dL", ("y", 17), 9.3, 10.6, 0.1),
    (CA, "17861-6", "mg/dL", ("y", 18), 8.6, 10.0, 0.1),
    (CA, "17861-6", "mg/dL", ("y", 59), 8.6, 10.0, 0.1),
    (CA, "17861-6", "mg/dL", ("y", 60), 8.8, 10.2, 0.1),
    (CA, "29265-6", "mmol/L", ("d", 0), 2.0, 2.7, 0.01),
    (CA, "29265-6", "mmol/L", ("d", 27), 2.0, 2.7, 0.01),
    (CA, "29265-6", "mmol/L", ("d", 28), 2.2, 2.7, 0.01),
    (CA, "29265-6", "mmol/L", ("y", 15), 2.2, 2.7, 0.01),
    (CA, "29265-6", "mmol/L", ("y", 16), 2.2, 2.6, 0.01),
    (CA, "1995-0", "mmol/L", ("d", 0), 1.15, 1.35, 0.01),
    (CA, "1995-0", "mmol/L", ("y", 40), 1.15, 1.35, 0.01),
]


def _born(age: tuple[str, int]) -> str:
    kind, amount = age
    if kind == "d":
        return (TODAY - timedelta(days=amount)).isoformat()
    return TODAY.replace(year=TODAY.year - amount).isoformat()  # the birthday is today


def _shown(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _shows_default(detail: str, low: float, high: float, unit: str) -> bool:
    """The reference-range cell: "0.6-1 mmol/L (default: ...)", or in mass units with the molar equivalent,
    "8.6-10 mg/dL (= 2.15-2.5 mmol/L; default: ...)"."""
    cell = re.escape(f"| {_shown(low)}-{_shown(high)} {unit} (")
    return re.search(cell + r"(= [^;|]+; )?default: ", detail) is not None


def _evaluate(knowledge, loinc: str, value: float, unit: str, age: tuple[str, int] | None):
    person = patient(birth_date=_born(age)) if age else None
    return patient_view(knowledge, twitching(), lab(loinc, value, unit, when=TODAY.isoformat()), patient_resource=person)


@pytest.mark.parametrize(("rule", "loinc", "unit", "age", "low", "high", "step"), INTERVALS,
                         ids=[f"{row[1]}-{row[3][0]}{row[3][1]}" for row in INTERVALS])
def test_a_result_at_the_default_low_limit_is_normal(knowledge, rule, loinc, unit, age, low, high, step) -> None:
    assert rule not in rule_ids(_evaluate(knowledge, loinc, low, unit, age))


@pytest.mark.parametrize(("rule", "loinc", "unit", "age", "low", "high", "step"), INTERVALS,
                         ids=[f"{row[1]}-{row[3][0]}{row[3][1]}" for row in INTERVALS])
def test_a_result_just_below_it_is_low_and_the_card_shows_the_interval(knowledge, rule, loinc, unit, age, low, high,
                                                                         step) -> None:
    value = round(low - step, 2)
    card = card_for(_evaluate(knowledge, loinc, value, unit, age), rule)
    assert _shows_default(card.detail, low, high, unit), card.detail


@pytest.mark.parametrize(
    ("loinc", "unit", "low", "high", "step"),
    [("19123-9", "mg/dL", 1.7, 2.3, 0.1), ("2823-3", "mmol/L", 3.5, 5.2, 0.1), ("17861-6", "mg/dL", 8.6, 10.0, 0.1),
     ("29265-6", "mmol/L", 2.2, 2.6, 0.01)],
)
def test_an_unknown_age_takes_the_adult_interval_with_the_lowest_floor(knowledge, loinc, unit, low, high, step) -> None:
    """Total calcium: 8.6 (18-59 y), not 8.8 (from 60 y), so an unknown age never turns a borderline value into a
    card; a child's chart records a birth date."""
    rule = next(row[0] for row in INTERVALS if row[1] == loinc)
    assert rule not in rule_ids(_evaluate(knowledge, loinc, low, unit, None))
    card = card_for(_evaluate(knowledge, loinc, round(low - step, 2), unit, None), rule)
    assert _shows_default(card.detail, low, high, unit), card.detail


@pytest.mark.parametrize(("value", "low"), [(8.6, True), (8.9, False)])
def test_an_adjusted_calcium_in_mass_units_is_converted_with_calciums_molar_mass(knowledge, value, low) -> None:
    """40.078 g/mol (IUPAC): 8.6 mg/dL is 2.15 mmol/L, below the adult 2.2; 8.9 mg/dL is 2.22, within it."""
    evaluation = _evaluate(knowledge, "29265-6", value, "mg/dL", ("y", 40))
    assert (CA in rule_ids(evaluation)) is low
