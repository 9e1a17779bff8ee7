"""Every number the rules use, as data: units, default reference ranges, severity bands, time windows.

The figures live in `cards/knowledge/thresholds.yaml`, written in the unit of their source (e.g. "1.2 mg/dL") with
the source beside each, so a reviewer checks them against the cited text without reading Python. They are
converted once, at load, into the one canonical unit per analyte (mmol/L). The tunable ones (`Limit`) carry the
bounds a site may move them within (site file, `thresholds:`); everything is validated when the service starts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from enum import StrEnum
from types import MappingProxyType

CANONICAL_UNIT = "mmol/L"


class Analyte(StrEnum):
    """The electrolytes the rules read, each with its own value set `lab-<value>`."""

    MAGNESIUM = "magnesium"
    POTASSIUM = "potassium"
    SODIUM = "sodium"
    CALCIUM_TOTAL = "calcium-total"
    CALCIUM_ADJUSTED = "calcium-adjusted"
    CALCIUM_IONIZED = "calcium-ionized"


class Severity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


@dataclass(frozen=True)
class Amount:
    """A figure as its source states it."""

    value: float
    unit: str


@dataclass(frozen=True)
class Age:
    """A patient's age as completed years and as days since birth (infant intervals change within weeks)."""

    years: int
    days: int

    @classmethod
    def on(cls, born: date, today: date) -> Age:
        years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        return cls(years, (today - born).days)


@dataclass(frozen=True)
class AgeFrom:
    """The youngest age an interval applies to: `years` completed years and at least `days` days old."""

    years: int = 0
    days: int = 0

    def reached(self, age: Age) -> bool:
        return age.years >= self.years and age.days >= self.days


ADULT = AgeFrom(years=18)


@dataclass(frozen=True)
class DefaultRange:
    """A reference interval used when the reporting lab sent none; applies from `applies_from` upward (until the
    next interval). `source` is shown on the card, and says plainly when an adult interval stands in for a
    missing paediatric one."""

    low: Amount
    high: Amount
    applies_from: AgeFrom
    source: str
    paediatric: bool = False  # for children (even when an adult interval stands in): never used for unknown age


@dataclass(frozen=True)
class Band:
    """Results below `below` are at least `severity` (bands are checked from the most severe down)."""

    severity: Severity
    below: Amount


@dataclass(frozen=True)
class AnalyteSpec:
    analyte: Analyte
    label: str
    molar_mass: float  # g/mol, standard atomic weight (IUPAC)
    valence: int
    default_ranges: tuple[DefaultRange, ...]  # ordered by min_age_years ascending
    bands: tuple[Band, ...]  # most severe first

    @cached_property
    def unit_factors(self) -> Mapping[str, float]:
        """Normalised UCUM code or unit text -> factor to mmol/L, derived from the molar mass M (g/mol) and the
        valence: mg/dL x 10/M, mg/L x 1/M, umol/L / 1000, mEq/L / valence (Mg, Ca: mEq/L = 2 x mmol/L).
        A table, not a units library: mass-to-molar and equivalents need M and the valence per analyte anyway."""
        return MappingProxyType({
            "mmol/l": 1.0,
            "umol/l": 0.001,
            "meq/l": 1.0 / self.valence,
            "mg/dl": 10.0 / self.molar_mass,
            "mg/l": 1.0 / self.molar_mass,
        })

    @cached_property
    def canonical_bands(self) -> tuple[tuple[Severity, float], ...]:
        """(severity, mmol/L floor) pairs, most severe first."""
        return tuple((band.severity, self.to_canonical(band.below)) for band in self.bands)

    def to_canonical(self, amount: Amount) -> float:
        return amount.value * self.unit_factors[normalise_unit(amount.unit)]

    def default_range(self, age: Age | None) -> DefaultRange:
        """The interval for this age. An unknown age takes the adult interval with the lowest floor, so an unknown
        age never turns a borderline value into a card (a child's chart records a birth date)."""
        if age is None:
            adults = [r for r in self.default_ranges if not r.paediatric]
            return min(adults, key=lambda r: self.to_canonical(r.low))
        chosen = self.default_ranges[0]
        for candidate in self.default_ranges:
            if candidate.applies_from.reached(age):
                chosen = candidate
        return chosen


def normalise_unit(unit: str) -> str:
    """UCUM codes and unit texts vary (`mEq/L`, `meq/L`, `µmol/L`, `mg/dl`): compare case-insensitively, without
    spaces, with the micro sign (U+00B5) or Greek mu (U+03BC) read as UCUM's `u`."""
    return unit.strip().replace(" ", "").replace("\u00b5", "u").replace("\u03bc", "u").lower()




class Limit(StrEnum):
    """The tunable figures, by their id in the knowledge file and the site file."""

    MAGNESIUM_SEVERE_BELOW = "magnesium.severe-below"
    MAGNESIUM_MODERATE_BELOW = "magnesium.moderate-below"
    POTASSIUM_SEVERE_BELOW = "potassium.severe-below"
    POTASSIUM_MODERATE_BELOW = "potassium.moderate-below"
    SODIUM_SEVERE_BELOW = "sodium.severe-below"
    SODIUM_MODERATE_BELOW = "sodium.moderate-below"
    CALCIUM_SEVERE_BELOW = "calcium.severe-below"
    CALCIUM_IONIZED_SEVERE_BELOW = "calcium-ionized.severe-below"
    EGFR_CKD_BELOW = "egfr.ckd-below"
    EGFR_SEVERE_CKD_BELOW = "egfr.severe-ckd-below"
    KIDNEY_FUNCTION_WINDOW_DAYS = "kidney-function.window-days"
    PREGNANCY_TEST_WINDOW_DAYS = "pregnancy-test.window-days"
    PREGNANCY_CONDITION_WINDOW_DAYS = "pregnancy-condition.window-days"
    RECENT_ONSET_DAYS = "recent-onset.window-days"
    REFRACTORY_AFTER_DAYS = "refractory.after-days"
    ALBUMIN_UNRELIABLE_BELOW_G_PER_L = "albumin.adjustment-unreliable-below"
    ALBUMIN_PAIRING_DAYS = "albumin.pairing-days"
    BOTULINUM_MIN_AGE_YEARS = "botulinum.min-age-years"
    CHILDBEARING_FROM_AGE_YEARS = "childbearing.from-age-years"
    CHILDBEARING_TO_AGE_YEARS = "childbearing.to-age-years"
    VALPROATE_START_RESTRICTED_BELOW_AGE = "valproate.start-restricted-below-age-years"
    SODIUM_CORRECTION_MAX = "sodium.correction-max"
    SODIUM_CORRECTION_HIGH_RISK_MAX = "sodium.correction-high-risk-max"
    SODIUM_HIGH_RISK_BELOW = "sodium.high-risk-below"


_WHOLE_UNITS = frozenset({"d", "a"})  # days and years are counted in whole numbers


@dataclass(frozen=True)
class Parameter:
    """One tunable figure: its value in `unit`, the bounds a site may set it within, its source, and the rules it
    decides. `shipped` is the knowledge's own value, so a catalogue shows what a site changed."""

    limit: Limit
    value: float
    unit: str
    bounds: tuple[float, float]
    source: str
    rules: tuple[str, ...]
    shipped: float

    def checked(self, where: str) -> Parameter:
        """This parameter, or `ThresholdsError` when its value is outside its bounds or not a whole number of days
        or years."""
        low, high = self.bounds
        if not low <= high:
            raise ThresholdsError(f"{where}.bounds: the lower bound is above the upper one")
        if not math.isfinite(self.value) or not low <= self.value <= high:
            raise ThresholdsError(f"{where}: {self.value:g} {self.unit} is outside the safe bounds "
                                  f"{low:g}-{high:g} {self.unit} stated by the knowledge")
        if self.unit in _WHOLE_UNITS and self.value != int(self.value):
            raise ThresholdsError(f"{where}: must be a whole number of {'days' if self.unit == 'd' else 'years'}")
        return self


class ThresholdsError(ValueError):
    """The thresholds cannot be used; the message names the field and the problem (the caller adds the file)."""


@dataclass(frozen=True)
class AnalyteBasis:
    """What is fixed about an analyte (physics and default intervals) and which parameters grade it."""

    label: str
    molar_mass: float
    valence: int
    default_ranges: tuple[DefaultRange, ...]
    bands: Mapping[Severity, Limit]


_MOST_SEVERE_FIRST = (Severity.SEVERE, Severity.MODERATE, Severity.MILD)


@dataclass(frozen=True)
class Thresholds:
    """The figures one deployment runs with: the shipped knowledge, with any site overrides applied."""

    parameters: Mapping[Limit, Parameter]
    bases: Mapping[Analyte, AnalyteBasis]
    ordering: tuple[tuple[Limit, Limit], ...]  # (first, second): first must stay below second
    payne_reference_albumin_g_per_l: float
    payne_mmol_per_g_albumin: float
    analytes: Mapping[Analyte, AnalyteSpec] = field(init=False)

    def __post_init__(self) -> None:
        for first, second in self.ordering:
            if not self[first] < self[second]:
                raise ThresholdsError(f"{first}: must stay below {second} ({self[first]:g} is not below "
                                      f"{self[second]:g})")
        analytes = {
            analyte: AnalyteSpec(analyte, basis.label, basis.molar_mass, basis.valence, basis.default_ranges,
                                 tuple(Band(severity, Amount(self[basis.bands[severity]],
                                                             self.parameters[basis.bands[severity]].unit))
                                       for severity in _MOST_SEVERE_FIRST if severity in basis.bands))
            for analyte, basis in self.bases.items()
        }
        object.__setattr__(self, "analytes", MappingProxyType(analytes))

    def __getitem__(self, limit: Limit) -> float:
        return self.parameters[limit].value

    def whole(self, limit: Limit) -> int:
        """A window or an age, as the whole number of days or years it is stated in (checked at load)."""
        return int(self.parameters[limit].value)

    def with_overrides(self, overrides: Mapping[Limit, float]) -> Thresholds:
        """These thresholds with a site's values, each checked against its bounds and the ordering."""
        parameters = dict(self.parameters)
        for limit, value in overrides.items():
            parameters[limit] = replace(parameters[limit], value=float(value)).checked(limit)
        return replace(self, parameters=MappingProxyType(parameters))
