"""FHIR date/dateTime/instant strings as time-zone-aware instants, so "latest" compares moments, not strings.

"2026-11-20T23:30:00-08:00" is later than "2026-11-21T01:00:00Z" although it sorts first as text. Parsing is the
standard library's ISO reader on the raw string (no model validation), cheap enough to run on every candidate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

# A partial date ("2026", "2026-11") or a date without time means the start of that period; FHIR requires an offset
# whenever a time is given, so a time without one (non-conformant) is read as UTC rather than dropped.
_PARTIAL_DATE_SUFFIXES = {4: "-01-01", 7: "-01"}
# FHIR's time pattern allows a leap second (":60"), which `datetime` cannot hold: it is read as the last microsecond
# of the second before, so it still sorts after that second and before the next minute, on the date as written.
_LEAP_SECOND = re.compile(r"(T\d\d:\d\d:)60(\.\d+)?")


def parse_instant(text: Any) -> datetime | None:
    """The instant a FHIR date/dateTime/instant string names, time-zone aware; None when it is not one."""
    if not isinstance(text, str) or len(text) < 4:
        return None
    written = text + _PARTIAL_DATE_SUFFIXES.get(len(text), "")
    try:
        moment = datetime.fromisoformat(written)
    except ValueError:
        leap = _LEAP_SECOND.sub(r"\g<1>59.999999", written)  # only here: every other time parses first
        if leap == written:
            return None
        return parse_instant(leap)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def effective_text(raw: Mapping[str, Any]) -> str | None:
    """A raw Observation's clinically effective time as written: effective[x] (a period by its end, else start),
    else `issued` (when the lab released it)."""
    for key in ("effectiveDateTime", "effectiveInstant"):
        if isinstance(raw.get(key), str):
            return raw[key]
    period = raw.get("effectivePeriod")
    if isinstance(period, Mapping):
        for key in ("end", "start"):
            if isinstance(period.get(key), str):
                return period[key]
    issued = raw.get("issued")
    return issued if isinstance(issued, str) else None


def local_date(text: str, moment: datetime) -> date:
    """The calendar date as written in `text` (the recording site's local date), whose instant `parse_instant`
    found to be `moment`; partial dates take the period's first day."""
    return date.fromisoformat(text[:10]) if len(text) >= 10 else moment.date()
