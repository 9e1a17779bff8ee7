"""Latest usable laboratory result per analyte, in mmol/L, with its reference range and severity.

"Latest" is the latest clinically effective instant (effective[x], else `issued`) compared time-zone aware; results
dated after today are skipped and counted (`Observation:future-dated`); a later version of a result replaces it
(`cards.lab_versions`). "Usable": status final, amended or corrected; dated within the recency window; a numeric
value in a unit we can convert. Candidates are sorted newest first on the raw JSON and validated one at a time, so a
chart with hundreds of old results costs one or two validations per analyte, not hundreds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from fhir.resources.R4B.observation import Observation, ObservationReferenceRange
from fhir.resources.R4B.quantity import Quantity

from .facts import LabNote, LabNoteKind, LabResult, Measurement
from .fhir_reading import ResourceReader, reference
from .instants import effective_text, local_date, parse_instant
from .lab_versions import current_versions
from .terminology import SYSTEM_NAMES
from .thresholds import CANONICAL_UNIT, Age, AnalyteSpec, Severity, normalise_unit

USABLE_STATUSES = frozenset({"final", "amended", "corrected"})
PRELIMINARY_STATUSES = frozenset({"preliminary"})
FUTURE_DATED = "Observation:future-dated"
UNREADABLE_UNIT = "Observation:unreadable-unit"
IMPOSSIBLE_VALUE = "Observation:impossible-value"


_Dated = tuple[datetime, str, Mapping[str, Any]]  # effective instant, as written, the raw result


def _dated_versions(raws: Iterable[Mapping[str, Any]]) -> list[_Dated]:
    """Current versions with their effective instant, newest first (undated results cannot be placed: unused).
    One analyte's history is read twice, for its final and its preliminary results, so this is computed once."""
    dated: list[_Dated] = []
    for raw in current_versions(raws):
        text = effective_text(raw)
        moment = parse_instant(text)
        if text is not None and moment is not None:
            dated.append((moment, text, raw))
    dated.sort(key=itemgetter(0), reverse=True)
    return dated


def _validated(dated: Iterable[_Dated], reader: ResourceReader, *, since: date, until: date | None,
               statuses: frozenset[str]) -> Iterator[tuple[Observation, date]]:
    for moment, text, raw in dated:
        if raw["status"] not in statuses:
            continue
        when = local_date(text, moment)
        if until is not None and when > until:
            reader.skip(FUTURE_DATED)
            continue
        if when < since:
            return
        observation = reader.read(Observation, raw)
        if observation is not None:
            yield observation, when


def newest_first(
    raws: Iterable[Mapping[str, Any]], reader: ResourceReader, *, since: date, until: date | None = None,
    statuses: frozenset[str] = USABLE_STATUSES,
) -> Iterator[tuple[Observation, date]]:
    """Validated Observations with one of `statuses`, newest first, stopping at the first one older than `since`
    (checked on the raw date first, so stale results are never validated). With `until`, results dated later
    (as written) are skipped and counted."""
    return _validated(_dated_versions(raws), reader, since=since, until=until, statuses=statuses)


def code_label(observation: Observation, name: str) -> str:
    """`name (LOINC 2601-3)`: our analyte name and the code the lab used (not the lab's free text)."""
    for coding in observation.code.coding or ():
        if coding.code and coding.system in SYSTEM_NAMES:
            return f"{name} ({SYSTEM_NAMES[coding.system]} {coding.code})"
    return name


def _factor(spec: AnalyteSpec, quantity: Quantity) -> float | None:
    """Conversion factor to mmol/L, trying the UCUM `code` first and then the human `unit`."""
    for candidate in (quantity.code, quantity.unit):
        if candidate:
            factor = spec.unit_factors.get(normalise_unit(candidate))
            if factor is not None:
                return factor
    return None


def _unit_as_sent(quantity: Quantity) -> str:
    return quantity.unit or quantity.code or ""


def _reported(quantity: Quantity) -> str:
    """Value and unit as sent; the value keeps the lab's precision (a Decimal: 2.0 stays "2.0")."""
    return f"{quantity.value} {_unit_as_sent(quantity)}".strip()


@dataclass(frozen=True)
class _Range:
    low: float | None  # mmol/L
    high: float | None
    as_sent: str


def _lab_range(spec: AnalyteSpec, ranges: Iterable[ObservationReferenceRange], value_quantity: Quantity,
               value_factor: float) -> _Range | None:
    """The reporting lab's low/high in mmol/L (a bound without a unit shares the value's) and as written, or None
    if unusable. A range whose bounds carry no value says nothing, and is passed over like a missing one."""
    for item in ranges:
        if all(bound is None or bound.value is None for bound in (item.low, item.high)):
            continue
        bounds: list[float | None] = []
        written: list[str] = []
        unit = ""
        for bound in (item.low, item.high):
            if bound is None or bound.value is None:
                bounds.append(None)
                written.append("?")
                continue
            factor = _factor(spec, bound) if (bound.code or bound.unit) else value_factor
            if factor is None:
                return None
            bounds.append(float(bound.value) * factor)
            written.append(str(bound.value))
            unit = unit or _unit_as_sent(bound) or _unit_as_sent(value_quantity)
        return _Range(bounds[0], bounds[1], f"{written[0]}-{written[1]} {unit}".strip())
    return None


def classify(spec: AnalyteSpec, value: float, low: float | None) -> Severity | None:
    """Severity of a low result: the literature bands decide first (a lab range cannot make K 2.4 normal), and
    anything else below the range's low limit is mild."""
    for severity, floor in spec.canonical_bands:
        if value < floor:
            return severity
    if low is not None and value < low:
        return Severity.MILD
    return None


def _note(kind: LabNoteKind, spec: AnalyteSpec, observation: Observation, quantity: Quantity,
          when: date) -> LabNote:
    return LabNote(kind, spec.analyte, code_label(observation, spec.label), str(quantity.value),
                   _unit_as_sent(quantity), when.isoformat(), reference("Observation", observation.id))


@dataclass(frozen=True)
class LabReading:
    """One analyte's latest usable result (if any) and the results a card must mention instead of dropping."""

    result: LabResult | None
    notes: tuple[LabNote, ...] = ()


def _result(spec: AnalyteSpec, observation: Observation, quantity: Quantity, factor: float, when: date,
            age: Age | None) -> LabResult:
    value = float(quantity.value) * factor
    lab_range = _lab_range(spec, observation.referenceRange or (), quantity, factor)
    default = spec.default_range(age)
    if lab_range is None:
        low, high = spec.to_canonical(default.low), spec.to_canonical(default.high)
        lab_range = _Range(low, high, f"{default.low.value:g}-{default.high.value:g} {default.low.unit}")
        origin = f"default: {default.source}"
    elif lab_range.low is None or lab_range.high is None:
        # A one-sided range ("<= 145") says nothing about the other side: that limit comes from the default, so
        # a low value is still judged against a low limit.
        missing = "low" if lab_range.low is None else "high"
        lab_range = _Range(
            lab_range.low if lab_range.low is not None else spec.to_canonical(default.low),
            lab_range.high if lab_range.high is not None else spec.to_canonical(default.high),
            lab_range.as_sent,
        )
        origin = f"reporting lab; {missing} limit from default: {default.source}"
    else:
        origin = "reporting lab"
    return LabResult(
        analyte=spec.analyte,
        label=code_label(observation, spec.label),
        reference=reference("Observation", observation.id),
        effective=when,
        original=_reported(quantity),
        reported_in_canonical_unit=_factor_is_identity(quantity),
        value=value,
        low=lab_range.low,
        high=lab_range.high,
        range_origin=origin,
        severity=classify(spec, value, lab_range.low),
        range_as_sent=lab_range.as_sent,
    )


def read_lab(
    spec: AnalyteSpec,
    raws: Iterable[Mapping[str, Any]],
    reader: ResourceReader,
    *,
    since: date,
    today: date,
    age: Age | None,
) -> LabReading:
    """The newest usable result for one analyte. Results in units we cannot read are skipped, counted and kept as
    notes; a concentration of zero or less (impossible: a data error, not a critically low value) is skipped and
    counted; a newer preliminary critically low result is kept as a note."""
    dated = _dated_versions(raws)
    notes: list[LabNote] = []
    found: LabResult | None = None
    for observation, when in _validated(dated, reader, since=since, until=today, statuses=USABLE_STATUSES):
        quantity = observation.valueQuantity
        if quantity is None or quantity.value is None:
            continue
        factor = _factor(spec, quantity)
        if factor is None:
            reader.skip(UNREADABLE_UNIT)
            notes.append(_note(LabNoteKind.UNREADABLE_UNIT, spec, observation, quantity, when))
            continue
        if quantity.value <= 0 or not math.isfinite(quantity.value):  # 1e999 decodes as a Decimal, not an error
            reader.skip(IMPOSSIBLE_VALUE)
            continue
        found = _result(spec, observation, quantity, factor, when, age)
        break
    preliminary = _preliminary_critical(spec, dated, reader, since=found.effective if found else since,
                                        today=today, age=age)
    return LabReading(found, (*notes, *preliminary))


def _preliminary_critical(spec: AnalyteSpec, dated: list[_Dated], reader: ResourceReader,
                          *, since: date, today: date, age: Age | None) -> tuple[LabNote, ...]:
    """The newest preliminary result, when it is severely low and not older than the final result used."""
    for observation, when in _validated(dated, ResourceReader(reader.skipped.copy()), since=since, until=None,
                                        statuses=PRELIMINARY_STATUSES):
        if when > today:
            continue
        quantity = observation.valueQuantity
        factor = _factor(spec, quantity) if quantity is not None and quantity.value is not None else None
        if factor is None or quantity.value <= 0:
            return ()
        result = _result(spec, observation, quantity, factor, when, age)
        if result.severity is Severity.SEVERE:
            return (_note(LabNoteKind.PRELIMINARY_CRITICAL, spec, observation, quantity, when),)
        return ()
    return ()


def _factor_is_identity(quantity: Quantity) -> bool:
    return any(normalise_unit(u) == normalise_unit(CANONICAL_UNIT) for u in (quantity.code, quantity.unit) if u)


def latest_measurement(
    raws: Iterable[Mapping[str, Any]], reader: ResourceReader, *, since: date, name: str,
    today: date | None = None,
) -> Measurement | None:
    """The newest usable numeric result, as reported (no unit conversion)."""
    for observation, when in newest_first(raws, reader, since=since, until=today):
        quantity = observation.valueQuantity
        if quantity is None or quantity.value is None:
            continue
        if not math.isfinite(quantity.value):
            reader.skip(IMPOSSIBLE_VALUE)
            continue
        return Measurement(
            label=code_label(observation, name),
            reference=reference("Observation", observation.id),
            effective=when,
            value=float(quantity.value),
            shown=_reported(quantity),
            units=tuple(unit for unit in (quantity.code, quantity.unit) if unit),
        )
    return None
