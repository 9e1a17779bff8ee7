"""Latest usable laboratory result per analyte, in mmol/L, with its reference range and severity.

"Usable": status final, amended or corrected; dated within the recency window; a numeric value in a unit we can
convert. Candidates are sorted newest first on the raw JSON and validated one at a time, so a chart with hundreds of
old results costs one or two validations per analyte, not hundreds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from fhir.resources.R4B.observation import Observation, ObservationReferenceRange
from fhir.resources.R4B.quantity import Quantity

from .facts import LabResult, Measurement
from .fhir_reading import ResourceReader, as_date, raw_effective, reference
from .terminology import SYSTEM_NAMES
from .thresholds import CANONICAL_UNIT, AnalyteSpec, Severity, normalise_unit

USABLE_STATUSES = frozenset({"final", "amended", "corrected"})


def newest_first(
    raws: Iterable[Mapping[str, Any]], reader: ResourceReader, *, since: date
) -> Iterator[tuple[Observation, date]]:
    """Validated Observations with a usable status, newest first, stopping at the first one older than `since`
    (checked on the raw date first, so stale results are never validated)."""
    candidates = sorted((raw for raw in raws if raw.get("status") in USABLE_STATUSES), key=raw_effective,
                        reverse=True)
    oldest = since.isoformat()
    for raw in candidates:
        written = raw_effective(raw)[:10]
        if written and written < oldest:
            return
        observation = reader.read(Observation, raw)
        if observation is None:
            continue
        when = effective_date(observation)
        if when is None:
            continue
        if when < since:
            return
        yield observation, when


def effective_date(observation: Observation) -> date | None:
    period = observation.effectivePeriod
    return as_date(
        observation.effectiveDateTime
        or observation.effectiveInstant
        or (period.end or period.start if period else None)
        or observation.issued
    )


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


def _reported(quantity: Quantity) -> str:
    return f"{quantity.value} {quantity.unit or quantity.code or ''}".strip()


def _lab_range(
    spec: AnalyteSpec, ranges: Iterable[ObservationReferenceRange], value_factor: float
) -> tuple[float | None, float | None] | None:
    """The reporting lab's low/high in mmol/L (a bound without a unit shares the value's), or None if unusable."""
    for item in ranges:
        if item.low is None and item.high is None:
            continue
        bounds: list[float | None] = []
        for bound in (item.low, item.high):
            if bound is None or bound.value is None:
                bounds.append(None)
                continue
            factor = _factor(spec, bound) if (bound.code or bound.unit) else value_factor
            if factor is None:
                return None
            bounds.append(float(bound.value) * factor)
        return bounds[0], bounds[1]
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


def latest_lab(
    spec: AnalyteSpec,
    raws: Iterable[Mapping[str, Any]],
    reader: ResourceReader,
    *,
    since: date,
    age_years: int | None,
) -> LabResult | None:
    """The newest usable result for one analyte; results in unknown units, or with a concentration of zero or
    less (impossible: a data error, not a critically low value), are skipped and counted."""
    for observation, when in newest_first(raws, reader, since=since):
        quantity = observation.valueQuantity
        if quantity is None or quantity.value is None:
            continue
        factor = _factor(spec, quantity)
        if factor is None or quantity.value <= 0:
            reader.skip("Observation")
            continue
        value = float(quantity.value) * factor
        lab_range = _lab_range(spec, observation.referenceRange or (), factor)
        if lab_range is not None:
            low, high = lab_range
            origin = "reporting lab"
        else:
            default = spec.default_range(age_years)
            low, high = spec.to_canonical(default.low), spec.to_canonical(default.high)
            origin = f"default: {default.source}"
        return LabResult(
            analyte=spec.analyte,
            label=code_label(observation, spec.label),
            reference=reference("Observation", observation.id),
            effective=when,
            original=_reported(quantity),
            reported_in_canonical_unit=_factor_is_identity(quantity),
            value=value,
            low=low,
            high=high,
            range_origin=origin,
            severity=classify(spec, value, low),
        )
    return None


def _factor_is_identity(quantity: Quantity) -> bool:
    return any(normalise_unit(u) == normalise_unit(CANONICAL_UNIT) for u in (quantity.code, quantity.unit) if u)


def latest_measurement(
    raws: Iterable[Mapping[str, Any]], reader: ResourceReader, *, since: date, name: str
) -> Measurement | None:
    """The newest usable numeric result, as reported (no unit conversion)."""
    for observation, when in newest_first(raws, reader, since=since):
        quantity = observation.valueQuantity
        if quantity is None or quantity.value is None:
            continue
        return Measurement(
            label=code_label(observation, name),
            reference=reference("Observation", observation.id),
            effective=when,
            value=float(quantity.value),
            shown=_reported(quantity),
        )
    return None

