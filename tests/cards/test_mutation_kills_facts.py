"""The plain facts every card rests on (cards/facts.py), pinned so that mutation testing (README, Mutation testing)
notices any change to how a fact shows itself in a card's basis.

The expected text is written here, not read back from `cards`:

| Item                  | Expected                                                                        |
|-----------------------|---------------------------------------------------------------------------------|
| a number              | up to 2 decimals, no trailing zeros, "-0" written "0"                           |
| a lab value           | as reported, "(= x mmol/L)" when converted, ", calculated ...", ", low (sev)"    |
|                       | or ", high"                                                                    |
| a lab range           | "lo-hi mmol/L (origin)"; as sent first when it differs; "?" for a missing bound |
| a child               | under 18 by recorded birth date; unknown age is not a child                     |
| could become pregnant | female aged low-high inclusive; unknown sex or age: yes (the safer error)       |
"""

from __future__ import annotations

from datetime import date

import pytest

from cards.facts import (
    BasisRow,
    CodedFact,
    Demographics,
    LabNote,
    LabNoteKind,
    LabResult,
    format_number,
    unconfirmed_notes,
)
from cards.thresholds import Age, Analyte, Severity


@pytest.mark.parametrize(("value", "text"), [(2.0, "2"), (0.82, "0.82"), (0.825, "0.82"), (0.826, "0.83"),
                                             (1.5, "1.5"), (140.0, "140"), (0.0, "0"), (-0.001, "0"), (-0.5, "-0.5"),
                                             (10.10, "10.1"), (100.0, "100")])
def test_numbers_are_written_as_a_clinician_writes_them(value, text) -> None:
    assert format_number(value) == text


def _result(**changes) -> LabResult:
    fields = dict(analyte=Analyte.MAGNESIUM, label="Magnesium (LOINC 19123-9)", reference="Observation/m1",
                  effective=date(2026, 11, 20), original="1.5 mg/dL", reported_in_canonical_unit=False, value=0.617,
                  low=0.7, high=0.95, range_origin="reporting lab", severity=Severity.MODERATE)
    fields.update(changes)
    return LabResult(**fields)


def test_a_converted_low_result_shows_both_units_and_its_severity() -> None:
    assert _result(range_as_sent="1.7-2.3 mg/dL").basis_row() == BasisRow(
        "Magnesium (LOINC 19123-9)", "1.5 mg/dL (= 0.62 mmol/L), low (moderate)",
        "1.7-2.3 mg/dL (= 0.7-0.95 mmol/L; reporting lab)", "2026-11-20", "Observation/m1")


def test_a_result_in_the_canonical_unit_with_its_range_as_sent_in_that_unit() -> None:
    row = _result(original="0.6 mmol/L", reported_in_canonical_unit=True, value=0.6,
                  range_as_sent="0.7-0.95 mmol/L", severity=Severity.MILD).basis_row()
    assert (row.value, row.reference_range) == ("0.6 mmol/L, low (mild)", "0.7-0.95 mmol/L (reporting lab)")


def test_a_high_result_without_a_range_as_sent() -> None:
    result = _result(original="1.2 mmol/L", reported_in_canonical_unit=True, value=1.2, severity=None,
                     range_origin="default: adult")
    assert result.is_high and not result.is_low
    assert (result.basis_row().value, result.basis_row().reference_range) == (
        "1.2 mmol/L, high", "0.7-0.95 mmol/L (default: adult)")


def test_a_value_at_the_upper_limit_is_not_high() -> None:
    result = _result(original="0.95 mmol/L", reported_in_canonical_unit=True, value=0.95, severity=None)
    assert not result.is_high
    assert result.basis_row().value == "0.95 mmol/L"
    assert not _result(high=None, value=5.0, severity=None).is_high


def test_a_calculated_value_says_what_it_was_calculated_from() -> None:
    row = _result(original="2.1 mmol/L", reported_in_canonical_unit=True, value=2.1, severity=Severity.MILD,
                  derivation="from total calcium 2.0 and albumin 35 g/L").basis_row()
    assert row.value == "2.1 mmol/L, calculated from total calcium 2.0 and albumin 35 g/L, low (mild)"


def test_a_missing_bound_is_a_question_mark_and_no_bounds_shows_the_origin_alone() -> None:
    assert _result(low=None).basis_row().reference_range == "?-0.95 mmol/L (reporting lab)"
    assert _result(high=None).basis_row().reference_range == "0.7-? mmol/L (reporting lab)"
    assert _result(low=None, high=None, range_origin="no range").basis_row().reference_range == "no range"
    assert _result(low=0.0).basis_row().reference_range == "0-0.95 mmol/L (reporting lab)"


def test_lab_notes_say_why_a_result_was_not_used() -> None:
    fields = dict(analyte=Analyte.POTASSIUM, label="Potassium *K*", value="2.1", unit="", when="2026-11-24",
                  reference="Observation/k9")
    assert LabNote(LabNoteKind.UNREADABLE_UNIT, **fields).sentence() == (
        "A result could not be read because its unit is not one we can interpret (Potassium \\*K\\*: value 2.1, "
        "unit (none), dated 2026-11-24, Observation/k9): check it in the laboratory report.")
    assert LabNote(LabNoteKind.PRELIMINARY_CRITICAL, **{**fields, "unit": "mmol/L"}).sentence() == (
        "A newer preliminary result is critically low (Potassium \\*K\\*: value 2.1, unit mmol/L, dated 2026-11-24, "
        "Observation/k9): it is not final and was not used for this advice; check the final result urgently.")


def test_a_coded_fact_shows_its_dates_or_says_there_are_none() -> None:
    fact = CodedFact("Condition/c1", frozenset(), "Label", onset=date(2026, 1, 2), recorded=date(2026, 2, 3))
    assert fact.basis_row() == BasisRow("Label", "active", "", "onset 2026-01-02, recorded 2026-02-03", "Condition/c1")
    assert fact.basis_row("current pregnancy").value == "current pregnancy"
    assert CodedFact("Condition/c1", frozenset(), "L", recorded=date(2026, 2, 3)).basis_row().when == (
        "recorded 2026-02-03")
    assert CodedFact("Condition/c1", frozenset(), "L").basis_row().when == "date not recorded"
    assert fact.documented_since == date(2026, 1, 2)
    assert CodedFact("c", frozenset(), "L", recorded=date(2026, 2, 3)).documented_since == date(2026, 2, 3)


@pytest.mark.parametrize(("verification", "unconfirmed", "differential"), [
    (None, False, False), ("confirmed", False, False), ("provisional", True, False), ("unconfirmed", True, False),
    ("differential", True, True), ("refuted", False, False)])
def test_which_verifications_are_unconfirmed(verification, unconfirmed, differential) -> None:
    fact = CodedFact("Condition/c1", frozenset(), "A *b*", verification=verification)
    assert fact.is_unconfirmed is unconfirmed and fact.is_differential is differential
    assert unconfirmed_notes([fact]) == ([f"A \\*b\\* is recorded as {verification}, not confirmed: confirm it "
                                          "before acting on it."] if unconfirmed else [])


@pytest.mark.parametrize(("years", "child"), [(None, False), (0, True), (17, True), (18, False),
                                              (40, False)])
def test_a_child_is_under_18(years, child) -> None:
    assert Demographics("Patient/p1", "female", years).is_child is child


def test_age_uses_the_days_when_known_else_whole_years() -> None:
    assert Demographics("Patient/p1", "female", 2, 800).age == Age(2, 800)
    assert Demographics("Patient/p1", "female", 2).age == Age(2, 730)
    assert Demographics("Patient/p1", "female", 0, 0).age == Age(0, 0)
    assert Demographics("Patient/p1", "female", None, 30).age is None


@pytest.mark.parametrize(("sex", "years", "answer"), [
    (None, 30, (True, "sex not recorded as female or male: treated as able to become pregnant")),
    ("other", 30, (True, "sex not recorded as female or male: treated as able to become pregnant")),
    ("male", 30, (False, "recorded sex male")),
    ("female", None, (True, "female, age unknown: treated as able to become pregnant")),
    ("female", 12, (True, "female, age 12 (within 12-55)")),
    ("female", 55, (True, "female, age 55 (within 12-55)")),
    ("female", 11, (False, "female, age 11 (outside 12-55)")),
    ("female", 56, (False, "female, age 56 (outside 12-55)")),
])
def test_who_could_become_pregnant(sex, years, answer) -> None:
    assert Demographics("Patient/p1", sex, years).could_become_pregnant(12, 55) == answer


def test_sex_and_age_in_the_basis() -> None:
    assert Demographics("Patient/p1", "female", 36).basis_row() == BasisRow("Sex, age", "female, 36 years", "", "",
                                                                            "Patient/p1")
    assert Demographics("Patient/p1", None, None).basis_row() == BasisRow(
        "Sex, age", "not recorded, age not recorded", "", "", "Patient/p1")
    assert Demographics(None, "male", 0).basis_row() == BasisRow("Sex, age", "male, 0 years", "", "",
                                                                 "Patient not available")
