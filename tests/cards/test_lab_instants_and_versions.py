"""Which result is latest and current: instants across time zones, future dates, corrected and withdrawn versions."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from builders import card_for, lab, patient_view, twitching
from cards.fhir_reading import ResourceReader
from cards.instants import parse_instant
from cards.lab_versions import current_versions
from cards.labs import read_lab
from tests.cards.builders import ANALYTES
from cards.thresholds import Age, Analyte

SINCE, TODAY = date(2026, 8, 27), date(2026, 11, 25)


def _read(*raws, skipped: Counter | None = None):
    reader = ResourceReader(skipped if skipped is not None else Counter())
    return read_lab(ANALYTES[Analyte.MAGNESIUM], raws, reader, since=SINCE, today=TODAY, age=Age(40, 40 * 365 + 30))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T23:30:00-08:00", datetime(2026, 11, 21, 7, 30, tzinfo=UTC)),
        ("2026-11-21T01:00:00Z", datetime(2026, 11, 21, 1, 0, tzinfo=UTC)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("2026-11", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026", datetime(2026, 1, 1, tzinfo=UTC)),
        ("not a date", None),
        (None, None),
    ],
)
def test_fhir_times_parse_to_aware_instants(text, expected) -> None:
    assert parse_instant(text) == expected


def test_latest_compares_instants_not_strings() -> None:
    later_in_california = lab("19123-9", 1.5, "mg/dL", when="2026-11-20T23:30:00-08:00", id="late")
    earlier_utc = lab("19123-9", 2.1, "mg/dL", when="2026-11-21T01:00:00Z", id="early")
    assert _read(earlier_utc, later_in_california).result.reference == "Observation/late"


def test_future_dated_result_is_skipped_and_counted_with_a_reason() -> None:
    skipped: Counter = Counter()
    reading = _read(lab("19123-9", 0.8, "mg/dL", when="2026-11-26T08:00:00Z"),
                    lab("19123-9", 2.0, "mg/dL", when="2026-11-20"), skipped=skipped)
    assert reading.result.original == "2.0 mg/dL"
    assert skipped == {"Observation:future-dated": 1}


def _versioned(value, *, version, updated, status="final", id="mg-1", **extra):
    raw = lab("19123-9", value, "mg/dL", status=status, id=id)
    raw["meta"] = {"versionId": version, "lastUpdated": updated}
    return {**raw, **extra}


def test_a_newer_version_of_the_same_id_supersedes_the_older() -> None:
    original = _versioned(1.1, version="1", updated="2026-11-20T09:00:00Z")
    corrected = _versioned(1.9, version="2", updated="2026-11-20T15:00:00+01:00", status="corrected")
    assert _read(corrected, original).result.original == "1.9 mg/dL"
    assert _read(original, corrected).result.original == "1.9 mg/dL"


def test_version_number_decides_when_last_updated_is_absent() -> None:
    first, second = _versioned(1.1, version="9", updated=None), _versioned(1.8, version="10", updated=None)
    for raw in (first, second):
        raw["meta"].pop("lastUpdated")
    assert current_versions([second, first]) == [second]


def test_a_shared_identifier_supersedes_across_resource_ids() -> None:
    accession = [{"system": "urn:lab:accession", "value": "A77-MG"}]
    original = lab("19123-9", 1.1, "mg/dL", id="a", when="2026-11-20T08:00:00Z")
    amended = lab("19123-9", 1.8, "mg/dL", id="b", when="2026-11-20T08:00:00Z", status="amended")
    original["identifier"] = amended["identifier"] = accession
    original["issued"], amended["issued"] = "2026-11-20T10:00:00Z", "2026-11-21T10:00:00Z"
    assert current_versions([amended, original]) == [amended]


def test_a_correction_naming_the_original_in_derived_from_replaces_it() -> None:
    original = lab("19123-9", 1.1, "mg/dL", id="orig", when="2026-11-20T08:00:00Z")
    corrected = lab("19123-9", 1.9, "mg/dL", id="fix", when="2026-11-20T08:00:00Z", status="corrected")
    corrected["derivedFrom"] = [{"reference": "Observation/orig"}]
    assert _read(original, corrected).result.reference == "Observation/fix"


def test_an_entered_in_error_re_issue_withdraws_the_original() -> None:
    original = _versioned(0.9, version="1", updated="2026-11-20T09:00:00Z")
    withdrawn = _versioned(0.9, version="2", updated="2026-11-20T12:00:00Z", status="entered-in-error")
    older = lab("19123-9", 2.0, "mg/dL", when="2026-11-01")
    assert _read(original, withdrawn, older).result.original == "2.0 mg/dL"


def test_a_newer_preliminary_critical_value_is_noted_never_used() -> None:
    reading = _read(lab("19123-9", 0.7, "mg/dL", when="2026-11-22", status="preliminary", id="pre"),
                    lab("19123-9", 1.9, "mg/dL", when="2026-11-20"))
    assert reading.result.original == "1.9 mg/dL"
    assert [note.reference for note in reading.notes] == ["Observation/pre"]


def test_an_older_or_non_critical_preliminary_value_is_not_noted() -> None:
    assert _read(lab("19123-9", 0.7, "mg/dL", when="2026-11-10", status="preliminary"),
                 lab("19123-9", 1.9, "mg/dL", when="2026-11-20")).notes == ()
    assert _read(lab("19123-9", 1.5, "mg/dL", when="2026-11-22", status="preliminary"),
                 lab("19123-9", 1.9, "mg/dL", when="2026-11-20")).notes == ()


def test_preliminary_critical_value_newer_than_a_normal_final_reaches_a_card(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(),
                              lab("19123-9", 0.7, "mg/dL", when="2026-11-22", status="preliminary", id="pre"),
                              lab("19123-9", 1.9, "mg/dL", when="2026-11-20"))
    card = card_for(evaluation, "electrolyte.panel.missing")
    assert "preliminary result is critically low" in card.detail and "Observation/pre" in card.detail


def test_a_version_id_of_non_ascii_digits_ranks_as_no_number_instead_of_crashing() -> None:
    # "²" is a digit to str.isdigit() but not to int(); FHIR's id type allows only [A-Za-z0-9\-\.].
    odd, numbered = _versioned(1.1, version="²", updated=None), _versioned(1.8, version="1", updated=None)
    for raw in (odd, numbered):
        raw["meta"].pop("lastUpdated")
    assert current_versions([odd, numbered]) == [numbered]
    assert current_versions([numbered, odd]) == [numbered]


def test_only_results_that_share_an_identity_are_ranked() -> None:
    alone = [_versioned(1.0 + n / 10, version="1", updated="2026-11-20T09:00:00Z", id=f"mg-{n}") for n in range(3)]
    older = _versioned(1.1, version="1", updated="2026-11-19T09:00:00Z", id="shared")
    newer = _versioned(1.9, version="2", updated="2026-11-20T09:00:00Z", id="shared")
    assert current_versions([*alone, newer, older]) == [*alone, newer]
    assert current_versions([older, *alone, newer]) == [*alone, newer]


def test_the_same_identifier_value_in_two_systems_names_two_results() -> None:
    """A business identifier is its system and value together: accession 42 of one lab is not accession 42 of another."""
    lab_a = _versioned(1.1, version="1", updated="2026-11-19T09:00:00Z", id="a",
                       identifier=[{"system": "urn:lab:north", "value": "42"}])
    lab_b = _versioned(1.9, version="2", updated="2026-11-20T09:00:00Z", id="b",
                       identifier=[{"system": "urn:lab:south", "value": "42"}])
    other = _versioned(1.5, version="1", updated="2026-11-18T09:00:00Z", id="c",
                       identifier=[{"system": "urn:lab:north", "value": "43"}])
    assert current_versions([lab_a, lab_b, other]) == [lab_a, lab_b, other]
    assert current_versions([lab_b, other, lab_a]) == [lab_b, other, lab_a]


def test_an_identifier_entry_that_is_not_an_object_is_passed_over() -> None:
    raw = _versioned(1.1, version="1", updated="2026-11-19T09:00:00Z", id="a",
                     identifier=["accession-42", {"system": "urn:lab:north", "value": "42"}])
    assert current_versions([raw]) == [raw]


def test_a_result_dated_by_month_only_is_read_as_of_that_month_s_first_day() -> None:
    reading = _read(lab("19123-9", 1.2, "mg/dL", when="2026-11"))
    assert reading.result.original == "1.2 mg/dL"
    assert reading.result.effective == date(2026, 11, 1)


@pytest.mark.parametrize("odd", ["Observation/mg-1", {"display": "the first result"}, {"reference": 7}],
                         ids=["not-an-object", "no-reference", "reference-not-text"])
def test_a_derived_from_entry_that_names_nothing_is_passed_over(odd) -> None:
    original = _versioned(1.1, version="1", updated="2026-11-19T09:00:00Z", id="mg-1")
    corrected = _versioned(1.9, version="1", updated="2026-11-20T09:00:00Z", id="mg-2", status="corrected",
                           derivedFrom=[odd, {"reference": "Observation/mg-1"}])
    assert current_versions([original, corrected]) == [corrected]
