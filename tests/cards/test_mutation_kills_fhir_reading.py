"""Validating single resources and reading FHIR dates (cards/fhir_reading.py), pinned so that mutation testing
(README, Mutation testing) notices any change to how a resource is skipped or counted, or a date is read.

The expected readings are written here, not read back from `cards` (FHIR R4 datatypes, date and dateTime: "YYYY",
"YYYY-MM", "YYYY-MM-DD", or a dateTime with a time and an offset). fhir.resources R4B gives a full date as a
`date`, a dateTime with a time as a `datetime`, and a year or a year and month as the text itself:

| Written                      | Expected calendar date | Why                                          |
|------------------------------|------------------------|----------------------------------------------|
| 2010                         | 2010-01-01             | a year: its first day                        |
| 2010-07                      | 2010-07-01             | a month: its first day                       |
| 2010-12                      | 2010-12-01             | the month is not the year's 12th day         |
| 2010-07-19                   | 2010-07-19             | a full date as written                       |
| 2026-11-20T23:30:00-08:00    | 2026-11-20             | the date as written (07:30 UTC on the 21st)  |
| 2016-12-31T23:59:60Z         | 2016-12-31             | a leap second (kept as text): its date       |
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from cards.fhir_reading import ResourceReader, as_date, reference


@pytest.mark.parametrize(("written", "expected"), [
    ("2010", date(2010, 1, 1)),
    ("2010-07", date(2010, 7, 1)),
    ("2010-12", date(2010, 12, 1)),
    ("1999-02", date(1999, 2, 1)),
    ("2010-07-19", date(2010, 7, 19)),
])
def test_a_birth_date_is_read_as_its_calendar_date_and_a_partial_one_as_its_first_day(written, expected) -> None:
    born = Patient.model_validate({"resourceType": "Patient", "birthDate": written}).birthDate
    assert as_date(born) == expected


@pytest.mark.parametrize(("written", "expected"), [
    ("2026-11", date(2026, 11, 1)),
    ("2025", date(2025, 1, 1)),
    ("2026-11-20T23:30:00-08:00", date(2026, 11, 20)),
    ("2026-11-21T01:00:00+09:00", date(2026, 11, 21)),
    ("2016-12-31T23:59:60Z", date(2016, 12, 31)),
    ("2015-06-30T23:59:60+09:00", date(2015, 6, 30)),
])
def test_a_condition_onset_is_read_as_the_date_written(written, expected) -> None:
    condition = Condition.model_validate({"resourceType": "Condition", "subject": {"reference": "Patient/p"},
                                          "onsetDateTime": written, "recordedDate": written})
    assert as_date(condition.onsetDateTime) == expected
    assert as_date(condition.recordedDate) == expected


def test_no_date_is_no_date() -> None:
    assert as_date(None) is None


def _observation(**extra) -> dict:
    return {"resourceType": "Observation", "id": "mg1", "status": "final", "code": {"text": "Magnesium"}, **extra}


def test_every_skipped_resource_is_counted_by_type() -> None:
    skipped: Counter[str] = Counter()
    reader = ResourceReader(skipped)
    assert reader.read(Observation, _observation(code="Magnesium")) is None  # a code is a CodeableConcept
    assert reader.read(Observation, {"resourceType": "Observation", "id": "x"}) is None  # no status, no code
    assert reader.read(Patient, {"resourceType": "Patient", "birthDate": "yesterday"}) is None
    assert skipped == {"Observation": 2, "Patient": 1}


@pytest.mark.parametrize("resource_id", ["mg 1", "mg/1", "mg\t1"])
def test_a_resource_whose_id_holds_a_space_or_slash_is_skipped(resource_id: str) -> None:
    # So every reference a card names is "Type/id" with no space, or "Type (no id)" (suggestions._reasons relies on it).
    skipped: Counter[str] = Counter()
    assert ResourceReader(skipped).read(Observation, _observation(id=resource_id)) is None
    assert skipped == {"Observation": 1}


def test_an_unknown_top_level_field_is_dropped_and_the_resource_kept() -> None:
    skipped: Counter[str] = Counter()
    read = ResourceReader(skipped).read(Observation, _observation(vendorScore=7, effectiveDateTime="2026-11-20"))
    assert read is not None and read.id == "mg1" and read.status == "final"
    assert as_date(read.effectiveDateTime) == date(2026, 11, 20)
    assert skipped == Counter()


def test_an_unknown_field_beside_a_real_error_still_skips_the_resource() -> None:
    skipped: Counter[str] = Counter()
    assert ResourceReader(skipped).read(Observation, _observation(vendorScore=7, code="Magnesium")) is None
    assert skipped == {"Observation": 1}


def test_a_reference_names_the_type_and_id_or_says_there_is_no_id() -> None:
    assert reference("Observation", "abc") == "Observation/abc"
    assert reference("Condition", None) == "Condition (no id)"
    assert reference("Condition", "") == "Condition (no id)"
