"""A result's clinically effective time (cards/instants.py), pinned so that mutation testing (README, Mutation
testing) notices any change to which element it is read from.

The expected order is written here, not read back from `cards` (FHIR R4 Observation.effective[x] and issued):
effectiveDateTime, else effectiveInstant, else effectivePeriod (its end, else its start), else issued.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from builders import card_for, lab, patient_view, rule_ids, twitching
from cards.instants import effective_text, local_date, parse_instant


@pytest.mark.parametrize(("raw", "text"), [
    ({"effectiveDateTime": "2026-11-20", "issued": "2026-11-21T00:00:00Z"}, "2026-11-20"),
    ({"effectiveInstant": "2026-11-20T08:00:00Z", "issued": "2026-11-21T00:00:00Z"}, "2026-11-20T08:00:00Z"),
    ({"effectivePeriod": {"start": "2026-11-19", "end": "2026-11-20"}, "issued": "2026-11-21"}, "2026-11-20"),
    ({"effectivePeriod": {"start": "2026-11-19"}, "issued": "2026-11-21"}, "2026-11-19"),
    ({"effectivePeriod": {}, "issued": "2026-11-21"}, "2026-11-21"),
    ({"issued": "2026-11-21"}, "2026-11-21"),
    ({}, None),
])
def test_the_effective_time_is_read_in_order(raw, text) -> None:
    assert effective_text(raw) == text


@pytest.mark.parametrize(("text", "written"), [
    ("2026-11-20T23:30:00-08:00", date(2026, 11, 20)),  # 07:30 UTC on the 21st: the date as written
    ("2026-11-21T01:00:00+09:00", date(2026, 11, 21)),  # 16:00 UTC on the 20th
    ("2026-11-20", date(2026, 11, 20)),
    ("2026-11", date(2026, 11, 1)),
    ("2026", date(2026, 1, 1)),
])
def test_the_local_date_is_the_date_as_written_and_a_partial_date_its_first_day(text, written) -> None:
    assert local_date(text, parse_instant(text)) == written


def test_text_that_is_no_date_has_no_instant_so_no_local_date_is_asked_for() -> None:
    assert parse_instant("not a date") is None


# A leap second (FHIR's time pattern allows ":60"; the last one was 2016-12-31T23:59:60Z) is the last microsecond of
# the second before: after 23:59:59, before the next minute, on the date as written.
@pytest.mark.parametrize(("text", "instant"), [
    ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ("2016-12-31T23:59:60.5Z", datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ("2017-01-01T00:59:60+01:00", datetime(2017, 1, 1, 0, 59, 59, 999999, tzinfo=timezone(timedelta(hours=1)))),
])
def test_a_leap_second_is_the_end_of_the_second_before(text, instant) -> None:
    assert parse_instant(text) == instant
    assert parse_instant("2016-12-31T23:59:59Z") < parse_instant(text) < parse_instant("2017-01-01T00:01:00Z")
    assert local_date(text, parse_instant(text)) == date.fromisoformat(text[:10])


@pytest.mark.parametrize("text", ["2016-12-31T23:59:61Z", "2016-12-31T23:60:00Z", "2016-12-31T24:59:60Z",
                                  "2016-12-32T23:59:60Z"])
def test_only_a_sixtieth_second_is_a_leap_second(text) -> None:
    assert parse_instant(text) is None


def test_a_magnesium_taken_at_a_leap_second_is_read_and_dated_as_written(knowledge) -> None:
    # Two results of the same day: the later one (at the leap second, 1.9 mg/dL, in range) decides, so no card.
    earlier = lab("19123-9", 1.2, "mg/dL", when="2026-11-20T23:59:59Z")
    at_leap = lab("19123-9", 1.9, "mg/dL", when="2026-11-20T23:59:60Z")
    assert "electrolyte.magnesium.low" not in rule_ids(patient_view(knowledge, twitching(), earlier, at_leap))
    card = card_for(patient_view(knowledge, twitching(), lab("19123-9", 1.2, "mg/dL", when="2026-11-20T23:59:60Z")),
                    "electrolyte.magnesium.low")
    assert "2026-11-20" in card.detail
