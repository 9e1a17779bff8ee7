"""What the chart says, as plain facts the pathways read: no FHIR models, no HTTP, nothing to parse.

Every fact keeps the reference of the resource it came from and can describe itself as a basis row, so each card
can show exactly which value, unit, date and range it rests on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .markdown import escape_markdown
from .terminology import Concept
from .thresholds import CANONICAL_UNIT, ADULT, Age, Analyte, Limit, Severity, Thresholds
from .wording import Wording


@dataclass(frozen=True)
class BasisRow:
    """One line of a card's basis table."""

    item: str
    value: str
    reference_range: str
    when: str
    source: str


@dataclass(frozen=True)
class LabResult:
    """The latest usable result for one analyte, converted to mmol/L, with the range it was judged against."""

    analyte: Analyte
    label: str  # e.g. "Magnesium (LOINC 19123-9)"
    reference: str
    effective: date
    original: str  # value and unit as reported, with the lab's precision, e.g. "2.0 mg/dL"
    reported_in_canonical_unit: bool
    value: float  # mmol/L
    low: float | None  # mmol/L
    high: float | None  # mmol/L
    range_origin: str  # "reporting lab" or "default: <source>"
    severity: Severity | None  # None: not low
    range_as_sent: str = ""  # the range in the unit it was written in, e.g. "1.7-2.3 mg/dL"
    derivation: str = ""  # chart text, unescaped: what a calculated value was calculated from; "" when measured

    @property
    def is_low(self) -> bool:
        return self.severity is not None

    @property
    def is_high(self) -> bool:
        return self.high is not None and self.value > self.high

    def basis_row(self) -> BasisRow:
        shown = self.original
        if not self.reported_in_canonical_unit:
            shown += f" (= {format_number(self.value)} {CANONICAL_UNIT})"
        if self.derivation:
            shown += f", calculated {self.derivation}"
        if self.severity is not None:
            shown += f", low ({self.severity.value})"
        elif self.is_high:
            shown += ", high"
        canonical = f"{_bound(self.low)}-{_bound(self.high)} {CANONICAL_UNIT}"
        if self.low is None and self.high is None:
            reference_range = self.range_origin
        elif self.range_as_sent and self.range_as_sent != canonical:
            reference_range = f"{self.range_as_sent} (= {canonical}; {self.range_origin})"
        else:
            reference_range = f"{canonical} ({self.range_origin})"
        return BasisRow(
            item=self.label,
            value=shown,
            reference_range=reference_range,
            when=self.effective.isoformat(),
            source=self.reference,
        )


def _bound(value: float | None) -> str:
    return format_number(value) if value is not None else "?"


class LabNoteKind(StrEnum):
    UNREADABLE_UNIT = "unreadable-unit"
    PRELIMINARY_CRITICAL = "preliminary-critical"


@dataclass(frozen=True)
class LabNote:
    """A result that was not used but must not go unmentioned: a unit we cannot read, or a preliminary critical
    value newer than the final result used (all fields as the lab sent them)."""

    kind: LabNoteKind
    analyte: Analyte
    label: str
    value: str
    unit: str
    when: str
    reference: str

    def sentence(self) -> str:
        """Markdown (chart text escaped)."""
        sent = escape_markdown(f"{self.label}: value {self.value}, unit {self.unit or '(none)'}, dated "
                               f"{self.when}, {self.reference}")
        if self.kind is LabNoteKind.UNREADABLE_UNIT:
            return f"A result could not be read because its unit is not one we can interpret ({sent}): check it " \
                   "in the laboratory report."
        return f"A newer preliminary result is critically low ({sent}): it is not final and was not used for this " \
               "advice; check the final result urgently."


@dataclass(frozen=True)
class Measurement:
    """A numeric result shown as reported (albumin, eGFR): the rules compare it, never convert it."""

    label: str
    reference: str
    effective: date
    value: float
    shown: str  # value and unit as reported
    units: tuple[str, ...] = ()  # the UCUM code and the unit text, as sent

    def basis_row(self, reference_range: str = "") -> BasisRow:
        return BasisRow(self.label, self.shown, reference_range, self.effective.isoformat(), self.reference)


@dataclass(frozen=True)
class CodedFact:
    """An active Condition, finding Observation, or medication matched to value sets."""

    reference: str
    concepts: frozenset[Concept]
    label: str  # e.g. "twitchy left eye — Facial myokymia (SNOMED CT 1070000)": the chart's own term first
    codes: tuple[tuple[str, str], ...] = ()  # (system, code as written) of the resource's codings
    onset: date | None = None
    recorded: date | None = None
    status: str = "active"
    verification: str | None = None  # Condition.verificationStatus code when it is not a plain confirmation

    @property
    def is_differential(self) -> bool:
        """Recorded only as one of the possibilities under consideration: safety checks only, never treatment."""
        return self.verification == "differential"

    @property
    def is_unconfirmed(self) -> bool:
        """Provisional, unconfirmed or differential: counted, but the card must say it is not confirmed."""
        return self.verification in UNCONFIRMED_VERIFICATION

    @property
    def documented_since(self) -> date | None:
        """Onset if known, else the recorded date."""
        return self.onset or self.recorded

    def basis_row(self, value: str | None = None) -> BasisRow:
        dates = []
        if self.onset:
            dates.append(f"onset {self.onset.isoformat()}")
        if self.recorded:
            dates.append(f"recorded {self.recorded.isoformat()}")
        return BasisRow(self.label, value or self.status, "", ", ".join(dates) or "date not recorded",
                        self.reference)


UNCONFIRMED_VERIFICATION = frozenset({"provisional", "unconfirmed", "differential"})


def unconfirmed_notes(facts: Iterable[CodedFact]) -> list[str]:
    """A basis note per diagnosis that is not confirmed, so no card presents a tentative diagnosis as settled."""
    return [f"{escape_markdown(fact.label)} is recorded as {fact.verification}, not confirmed: confirm it before "
            "acting on it." for fact in facts if fact.is_unconfirmed]


@dataclass(frozen=True)
class Demographics:
    """Sex and age from Patient; `None` when the Patient (or the element) was not available."""

    reference: str | None
    sex: str | None
    age_years: int | None
    age_days: int | None = None  # days since birth, for infant reference intervals

    @property
    def age(self) -> Age | None:
        if self.age_years is None:
            return None
        return Age(self.age_years, self.age_days if self.age_days is not None else self.age_years * 365)

    @property
    def is_child(self) -> bool:
        """Under 18, by recorded birth date; unknown age is not assumed to be a child."""
        return self.age_years is not None and self.age_years < ADULT.years

    def could_become_pregnant(self, low: int, high: int) -> tuple[bool, str]:
        """(answer, why) — female aged `low`-`high` inclusive; unknown sex or age is treated as yes (the safer
        error)."""
        if self.sex not in ("female", "male"):
            return True, "sex not recorded as female or male: treated as able to become pregnant"
        if self.sex == "male":
            return False, "recorded sex male"
        if self.age_years is None:
            return True, "female, age unknown: treated as able to become pregnant"
        if low <= self.age_years <= high:
            return True, f"female, age {self.age_years} (within {low}-{high})"
        return False, f"female, age {self.age_years} (outside {low}-{high})"

    def basis_row(self) -> BasisRow:
        sex = self.sex or "not recorded"
        age = f"{self.age_years} years" if self.age_years is not None else "age not recorded"
        return BasisRow("Sex, age", f"{sex}, {age}", "", "", self.reference or "Patient not available")


@dataclass(frozen=True)
class KidneyFunction:
    ckd: bool
    severe: bool
    evidence: tuple[BasisRow, ...] = ()


@dataclass(frozen=True)
class ChartFacts:
    """Everything the pathways may read about one patient on one day."""

    patient_id: str
    today: date
    lab_recency_days: int
    demographics: Demographics
    twitching: tuple[CodedFact, ...]
    conditions: tuple[CodedFact, ...]
    medications: tuple[CodedFact, ...]
    labs: Mapping[Analyte, LabResult]
    albumin: Measurement | None
    kidney: KidneyFunction
    pregnancy: tuple[BasisRow, ...]  # evidence of a current pregnancy; empty when none
    thresholds: Thresholds  # the figures the chart was read with; the rules use the same ones
    wording: Wording  # the sentences the rules write their cards in
    lab_notes: tuple[LabNote, ...] = ()  # lab results not used that a card must mention
    calcium_adjustment_problem: str = ""  # Markdown: why an albumin on the chart did not adjust total calcium

    @property
    def is_pregnant(self) -> bool:
        return bool(self.pregnancy)

    def could_become_pregnant(self) -> tuple[bool, str]:
        """(answer, why) for the childbearing ages of these thresholds (unknown sex or age: yes)."""
        return self.demographics.could_become_pregnant(self.thresholds.whole(Limit.CHILDBEARING_FROM_AGE_YEARS),
                                                       self.thresholds.whole(Limit.CHILDBEARING_TO_AGE_YEARS))

    def conditions_in(self, *concepts: Concept, including_differential: bool = False) -> tuple[CodedFact, ...]:
        """Conditions in these value sets; differential diagnoses only when asked (red flags and safety checks)."""
        return tuple(fact for fact in _having(self.conditions, concepts)
                     if including_differential or not fact.is_differential)

    def twitching_of(self, *kinds: Concept) -> tuple[CodedFact, ...]:
        return _having(self.twitching, kinds)

    def medications_in(self, *concepts: Concept) -> tuple[CodedFact, ...]:
        return _having(self.medications, concepts)

    def twitching_rows(self) -> list[BasisRow]:
        return [fact.basis_row() for fact in self.twitching]


def _having(facts: Iterable[CodedFact], concepts: Iterable[Concept]) -> tuple[CodedFact, ...]:
    wanted = frozenset(concepts)
    return tuple(fact for fact in facts if fact.concepts & wanted)


def format_number(value: float) -> str:
    """Numbers as a clinician writes them: up to 2 decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"
