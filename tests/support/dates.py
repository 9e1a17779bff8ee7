"""Moving a scenario in time: real processes use the real date, so their data is shifted to stay as recent as
the scenario says (a lab "5 days old" stays 5 days old, and an age stays the same age)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

# FHIR R4 elements holding a date or dateTime in the resources our scenarios use.
DATE_ELEMENTS = frozenset(
    {"effectiveDateTime", "issued", "onsetDateTime", "abatementDateTime", "recordedDate", "authoredOn", "birthDate"}
)


def _shift(value: str, delta: timedelta) -> str:
    if len(value) == 10:
        return (date.fromisoformat(value) + delta).isoformat()
    if len(value) < 10:  # a partial date (year or year-month) is too coarse to move by days
        return value
    moved = datetime.fromisoformat(value.replace("Z", "+00:00")) + delta
    return moved.isoformat().replace("+00:00", "Z")


def shift_dates(data: Any, delta: timedelta) -> Any:
    """A copy of FHIR JSON with every date element moved by `delta`."""
    if isinstance(data, dict):
        return {
            key: _shift(value, delta) if key in DATE_ELEMENTS and isinstance(value, str) else shift_dates(value, delta)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [shift_dates(item, delta) for item in data]
    return data
