"""Validating single FHIR resources with fhir.resources R4B, leniently, and small readers of raw JSON.

Each resource stands alone: a broken one is counted and skipped, never sinks the request. Validation is the
expensive step (~0.1 ms per resource), so callers filter raw dicts by type and code first and validate only what a
rule will read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

ResourceT = TypeVar("ResourceT", bound=Resource)


class ResourceReader:
    """Validates raw resources into R4B models and counts what it had to skip, by resource type."""

    def __init__(self, skipped: Counter[str]) -> None:
        self.skipped = skipped

    def read(self, model: type[ResourceT], raw: Mapping[str, Any]) -> ResourceT | None:
        """The validated resource, or None (counted). Unknown top-level fields (e.g. another FHIR version's
        elements or vendor additions) are dropped and validation retried once, because the rules never read them."""
        try:
            return model.model_validate(raw)
        except ValidationError as error:
            unknown = _unknown_top_level_fields(error)
            if unknown:
                try:
                    return model.model_validate({key: value for key, value in raw.items() if key not in unknown})
                except (ValidationError, ValueError, TypeError):
                    pass
        except (ValueError, TypeError):
            pass
        self.skip(model.get_resource_type())
        return None

    def skip(self, resource_type: str) -> None:
        self.skipped[resource_type] += 1


def _unknown_top_level_fields(error: ValidationError) -> set[str]:
    """The top-level names pydantic rejected as extra, or an empty set when any other error is present."""
    names: set[str] = set()
    for item in error.errors(include_input=False, include_url=False):
        location = item["loc"]
        if item["type"] != "extra_forbidden" or len(location) != 1:
            return set()
        names.add(str(location[0]))
    return names


def reference(resource_type: str, resource_id: str | None) -> str:
    """A relative reference naming where a fact came from (`Observation/abc`); never patient-identifying text."""
    return f"{resource_type}/{resource_id}" if resource_id else f"{resource_type} (no id)"


def as_date(value: date | datetime | str | None) -> date | None:
    """A validated FHIR date/dateTime as a calendar date; datetimes keep the date as written (the recording site's
    local date). fhir.resources keeps as text what Python's types cannot hold, already checked against the FHIR
    pattern and the calendar: a partial date ("2026", "2026-11"), read as the period's first day, and a dateTime at
    a leap second ("2016-12-31T23:59:60Z"), read as its date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        year, month, day = (value[:10].split("-") + ["01", "01"])[:3]
        return date(int(year), int(month), int(day))
    return None
