"""A result's clinically effective time (cards/instants.py), pinned so that mutation testing (README, Mutation
testing) notices any change to which element it is read from.

The expected order is written here, not read back from `cards` (FHIR R4 Observation.effective[x] and issued):
effectiveDateTime, else effectiveInstant, else effectivePeriod (its end, else its start), else issued.
"""

from __future__ import annotations

from datetime import date

import pytest

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
