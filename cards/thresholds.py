"""Every number the rules use, in one reviewed table: units, default reference ranges, severity bands, time windows.

Amounts are written in the unit of their source (e.g. "1.2 mg/dL") and converted once, at import, into the one
canonical unit per analyte (mmol/L), so a reviewer can check each figure against the cited text. Sources are the
sources named beside each figure (laboratory catalogues, StatPearls, guidelines; see `cards/citations.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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


_RCPA = "RCPA/AACB harmonised intervals"
_DAVIS = "Davis's Lab & Diagnostic Tests"
_SEVERN = "Severn Pathology"

# Mayo: under 1 year 8.7-11.0, 1-17 years 9.3-10.6, 18-59 years 8.6-10.0, from 60 years 8.8-10.2 mg/dL.
_TOTAL_CALCIUM_RANGES = (
    DefaultRange(Amount(8.7, "mg/dL"), Amount(11.0, "mg/dL"), AgeFrom(),
                 "paediatric default under 1 y, Mayo Clinic Laboratories", paediatric=True),
    DefaultRange(Amount(9.3, "mg/dL"), Amount(10.6, "mg/dL"), AgeFrom(years=1),
                 "paediatric default 1-17 y, Mayo Clinic Laboratories", paediatric=True),
    DefaultRange(Amount(8.6, "mg/dL"), Amount(10.0, "mg/dL"), ADULT,
                 "adult default 18-59 y, Mayo Clinic Laboratories"),
    DefaultRange(Amount(8.8, "mg/dL"), Amount(10.2, "mg/dL"), AgeFrom(years=60),
                 "adult default from 60 y, Mayo Clinic Laboratories"),
)
# Severe: adjusted calcium < 1.9 mmol/L (7.6 mg/dL): symptoms typically start below it and the guideline treats it
# (or any symptoms: tetany, laryngospasm, seizures) as an emergency for IV calcium. The guideline uses no moderate
# class, so neither do we; anything else below range is mild. Total calcium without albumin is graded the same way.
_ADJUSTED_CALCIUM_BANDS = (Band(Severity.SEVERE, Amount(1.9, "mmol/L")),)

ANALYTES: Mapping[Analyte, AnalyteSpec] = MappingProxyType(
    {
        Analyte.MAGNESIUM: AnalyteSpec(
            analyte=Analyte.MAGNESIUM,
            label="Magnesium",
            molar_mass=24.305,
            valence=2,
            # Children: RCPA/AACB harmonised intervals (Alfred Pathology handbook): under 1 week 0.6-1.0, 1 week to
            # under 18 years 0.65-1.1 mmol/L. Adults: several catalogues 1.7-2.3 mg/dL (= 0.70-0.95 mmol/L).
            default_ranges=(
                DefaultRange(Amount(0.6, "mmol/L"), Amount(1.0, "mmol/L"), AgeFrom(),
                             f"paediatric default under 1 week, {_RCPA}", paediatric=True),
                DefaultRange(Amount(0.65, "mmol/L"), Amount(1.1, "mmol/L"), AgeFrom(days=7),
                             f"paediatric default 1 week-17 y, {_RCPA}", paediatric=True),
                DefaultRange(Amount(1.7, "mg/dL"), Amount(2.3, "mg/dL"), ADULT,
                             "adult default, laboratory catalogues"),
            ),
            # No single standard. Lab critical value < 1.0 mg/dL [V]; symptoms usually appear
            # below 1.2 mg/dL (0.5 mmol/L) [V]; anything else below the range is mild.
            bands=(
                Band(Severity.SEVERE, Amount(1.0, "mg/dL")),
                Band(Severity.MODERATE, Amount(1.2, "mg/dL")),
            ),
        ),
        Analyte.POTASSIUM: AnalyteSpec(
            analyte=Analyte.POTASSIUM,
            label="Potassium",
            molar_mass=39.098,
            valence=1,
            # Infants run high (Davis's Lab & Diagnostic Tests): birth-7 d 3.2-5.5, 8 d-1 mo 3.4-6.0, 1-5 mo
            # 3.5-5.6, 6 mo-1 y 3.5-6.1 mmol/L (months taken as 31 and 183 days). From 1 year Mayo KPS 3.5/3.6-5.2
            # mmol/L; the lower floor is used.
            default_ranges=(
                DefaultRange(Amount(3.2, "mmol/L"), Amount(5.5, "mmol/L"), AgeFrom(),
                             f"paediatric default birth-7 days, {_DAVIS}", paediatric=True),
                DefaultRange(Amount(3.4, "mmol/L"), Amount(6.0, "mmol/L"), AgeFrom(days=8),
                             f"paediatric default 8 days-1 month, {_DAVIS}", paediatric=True),
                DefaultRange(Amount(3.5, "mmol/L"), Amount(5.6, "mmol/L"), AgeFrom(days=31),
                             f"paediatric default 1-5 months, {_DAVIS}", paediatric=True),
                DefaultRange(Amount(3.5, "mmol/L"), Amount(6.1, "mmol/L"), AgeFrom(days=183),
                             f"paediatric default 6 months-1 y, {_DAVIS}", paediatric=True),
                DefaultRange(Amount(3.5, "mmol/L"), Amount(5.2, "mmol/L"), AgeFrom(years=1),
                             "paediatric default from 1 y, Mayo Clinic Laboratories", paediatric=True),
                DefaultRange(Amount(3.5, "mmol/L"), Amount(5.2, "mmol/L"), ADULT,
                             "adult default, Mayo Clinic Laboratories"),
            ),
            # StatPearls NBK482465: mild 3.0-3.4, moderate 2.5-3.0, severe < 2.5 mmol/L.
            bands=(
                Band(Severity.SEVERE, Amount(2.5, "mmol/L")),
                Band(Severity.MODERATE, Amount(3.0, "mmol/L")),
            ),
        ),
        Analyte.SODIUM: AnalyteSpec(
            analyte=Analyte.SODIUM,
            label="Sodium",
            molar_mass=22.99,
            valence=1,
            # Mayo NAS: 135-145 mmol/L from 1 year; no interval established under 1 year, so the adult one
            # stands in and the card says so.
            default_ranges=(
                DefaultRange(Amount(135, "mmol/L"), Amount(145, "mmol/L"), AgeFrom(),
                             "adult default: no interval is established under 1 y (Mayo Clinic Laboratories)",
                             paediatric=True),
                DefaultRange(Amount(135, "mmol/L"), Amount(145, "mmol/L"), AgeFrom(years=1),
                             "paediatric default from 1 y, Mayo Clinic Laboratories", paediatric=True),
                DefaultRange(Amount(135, "mmol/L"), Amount(145, "mmol/L"), ADULT,
                             "adult default, Mayo Clinic Laboratories"),
            ),
            # European hyponatraemia guideline (PMC5404708, table 2): mild 130-135, moderate 125-129,
            # profound < 125 mmol/L. "Profound" is this table's severe band.
            bands=(
                Band(Severity.SEVERE, Amount(125, "mmol/L")),
                Band(Severity.MODERATE, Amount(130, "mmol/L")),
            ),
        ),
        Analyte.CALCIUM_TOTAL: AnalyteSpec(
            analyte=Analyte.CALCIUM_TOTAL,
            label="Calcium (total)",
            molar_mass=40.078,
            valence=2,
            default_ranges=_TOTAL_CALCIUM_RANGES,
            bands=_ADJUSTED_CALCIUM_BANDS,
        ),
        Analyte.CALCIUM_ADJUSTED: AnalyteSpec(
            analyte=Analyte.CALCIUM_ADJUSTED,
            label="Calcium (albumin-adjusted)",
            molar_mass=40.078,
            valence=2,
            # Reported by the lab (LOINC 29265-6) without a range: Severn Pathology's adjusted-calcium intervals,
            # 0-4 weeks 2.00-2.70, 4 weeks-16 years 2.20-2.70, adults 2.20-2.60 mmol/L (adult taken from 16 y).
            # A calculated adjusted calcium is judged against the total-calcium interval instead (the formula
            # estimates the total calcium at a normal albumin).
            default_ranges=(
                DefaultRange(Amount(2.0, "mmol/L"), Amount(2.7, "mmol/L"), AgeFrom(),
                             f"paediatric default 0-4 weeks, {_SEVERN}", paediatric=True),
                DefaultRange(Amount(2.2, "mmol/L"), Amount(2.7, "mmol/L"), AgeFrom(days=28),
                             f"paediatric default 4 weeks-16 y, {_SEVERN}", paediatric=True),
                DefaultRange(Amount(2.2, "mmol/L"), Amount(2.6, "mmol/L"), AgeFrom(years=16),
                             f"adult default, {_SEVERN}"),
            ),
            bands=_ADJUSTED_CALCIUM_BANDS,
        ),
        Analyte.CALCIUM_IONIZED: AnalyteSpec(
            analyte=Analyte.CALCIUM_IONIZED,
            label="Calcium (ionized)",
            molar_mass=40.078,
            valence=2,
            # True hypocalcaemia: ionized < 1.15 mmol/L (CMDT); upper limit 1.35 mmol/L (5.43 mg/dL, CMDT).
            default_ranges=(
                DefaultRange(Amount(1.15, "mmol/L"), Amount(1.35, "mmol/L"), AgeFrom(),
                             "adult default, CMDT (no paediatric interval in our sources)", paediatric=True),
                DefaultRange(Amount(1.15, "mmol/L"), Amount(1.35, "mmol/L"), ADULT, "adult default, CMDT"),
            ),
            # Severe: < 0.9 mmol/L. No guideline we cite grades ionized calcium, so this mirrors the total
            # calcium cut-off above: about half of plasma calcium is ionized, so adjusted calcium 1.9 mmol/L
            # corresponds to ionized ~0.9-1.0 mmol/L; 0.9 mmol/L is also where intravenous replacement is
            # commonly started. (The laboratory critical value, 0.75 mmol/L, is too late a cut-off for a patient
            # whose twitching may already be a symptom.) No moderate class, as for total calcium.
            bands=(Band(Severity.SEVERE, Amount(0.9, "mmol/L")),),
        ),
    }
)

# --- time windows -------------------------------------------------------------------------------------------------
# Kidney function changes slowly and a missed CKD is the unsafe error (potassium, magnesium), so an eGFR counts for
# a year, not just for the lab recency window.
KIDNEY_FUNCTION_WINDOW_DAYS = 365
# A positive pregnancy test counts as "currently pregnant" for 90 days; longer-running pregnancies are expected on
# the problem list (pregnancy Condition).
PREGNANCY_TEST_WINDOW_DAYS = 90
# A pregnancy Condition counts only if its onset (else recorded date) is at most this many days old: a pregnancy
# lasts at most ~42 weeks (294 days), and pregnancy codes stay on problem lists after delivery.
PREGNANCY_CONDITION_WINDOW_DAYS = 300
# "New": a diagnosis whose onset (else recorded date) is at most this many days before today.
RECENT_ONSET_DAYS = 30
# Twitching documented at least this long counts as persisting despite first-line measures (botulinum toxin).
REFRACTORY_AFTER_DAYS = 90

# --- albumin-adjusted calcium -------------------------------------------------------------------------------------
# Payne et al., BMJ 1973: adjusted Ca (mmol/L) = total Ca (mmol/L) + 0.02 x (40 - albumin g/L); in mass units
# + 0.8 x (4.0 - albumin g/dL), the same line. An estimate: unreliable with albumin below 20 g/L (then not
# calculated), in critical illness, acid-base disturbance, kidney failure and paraproteinaemia (ionized calcium is
# preferred). The albumin must be from the same day as the calcium, or the day before or after.
PAYNE_REFERENCE_ALBUMIN_G_PER_L = 40.0
PAYNE_MMOL_PER_G_ALBUMIN = 0.02
ALBUMIN_ADJUSTMENT_UNRELIABLE_BELOW_G_PER_L = 20.0
ALBUMIN_PAIRING_DAYS = 1
# Albumin units to g/L (UCUM codes and unit texts, normalised by `normalise_unit`).
ALBUMIN_G_PER_L = MappingProxyType({"g/l": 1.0, "g/dl": 10.0, "mg/dl": 0.01, "mg/l": 0.001})

# --- kidney function ----------------------------------------------------------------------------------------------
# eGFR mL/min/1.73 m2: < 60 chronic kidney disease (stage 3 or worse), < 30 severe (stage 4-5).
EGFR_CKD_BELOW = 60.0
EGFR_SEVERE_CKD_BELOW = 30.0

# --- botulinum toxin age limits -----------------------------------------------------------------------------------
# BOTOX (onabotulinumtoxinA) is labelled for blepharospasm from 12 years; Xeomin (incobotulinumtoxinA) for
# blepharospasm in adults; the AAN 2019 tic guideline offers onabotulinumtoxinA to adolescents and adults only.
BOTULINUM_MIN_AGE_YEARS = 12

# --- could become pregnant --------------------------------------------------------------------------------------
# Patient.gender female and age 12-55 inclusive (MHRA 2024 valproate restriction applies under 55; menarche from 12
# is the conventional lower bound). Unknown sex or age counts as "could become pregnant" (the safer error).
CHILDBEARING_AGE_YEARS = (12, 55)

# --- sodium correction limits ---------------------------------------------------------------------------------------
# Kidney360 2021 (PMC8786124): osmotic demyelination even at <= 10 mmol/L per 24 h; keep < 8 in high-risk patients
# (sodium < 115, alcohol use disorder, hypokalaemia, liver disease, malnutrition).
SODIUM_CORRECTION_MAX = 10  # mmol/L per 24 h, the upper end of "8-10"
SODIUM_CORRECTION_HIGH_RISK_BELOW = 8  # mmol/L per 24 h
SODIUM_HIGH_RISK_BELOW_MMOL = 115.0
