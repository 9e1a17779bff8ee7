"""The knowledge folder (`cards/knowledge/`): the files a knowledge owner reviews, read and validated at start-up.

Each file has a strict schema (unknown keys are refused, so a typo cannot be silently ignored); any problem stops
the start with one line naming the file, the field and what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .thresholds import (
    Age,
    AgeFrom,
    Amount,
    Analyte,
    AnalyteBasis,
    AnalyteSpec,
    DefaultRange,
    Limit,
    Parameter,
    Severity,
    Thresholds,
    ThresholdsError,
    normalise_unit,
)
from .model import OverrideReason
from .wording import RuleWording, Wording, WordingError

KNOWLEDGE_FILES = Path(__file__).parent / "knowledge"
SHARED_PREFIX = "shared."  # wording groups used by several rules, e.g. `shared.valproate`


class KnowledgeFileError(ValueError):
    """A knowledge file cannot be used: `file: field: problem`."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _ParameterEntry(_Strict):
    value: float
    unit: str = Field(min_length=1)
    bounds: tuple[float, float]
    source: str = Field(min_length=1)
    rules: tuple[str, ...] = Field(min_length=1)


class _AgeEntry(_Strict):
    years: int = Field(default=0, ge=0)
    days: int = Field(default=0, ge=0)


class _RangeEntry(_Strict):
    applies_from: _AgeEntry = Field(alias="from")
    low: float = Field(gt=0)
    high: float = Field(gt=0)
    unit: str
    paediatric: bool = False
    source: str = Field(min_length=1)


class _AnalyteEntry(_Strict):
    label: str = Field(min_length=1)
    molar_mass: float = Field(gt=0)
    valence: int = Field(ge=1)
    bands: dict[Severity, Limit]
    default_ranges: tuple[_RangeEntry, ...] = Field(min_length=1)


class _PayneEntry(_Strict):
    reference_albumin_g_per_l: float = Field(alias="reference-albumin-g-per-l", gt=0)
    mmol_per_g_albumin: float = Field(alias="mmol-per-g-albumin", gt=0)


class _ReasonEntry(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    display: str = Field(min_length=1)
    snooze_days: int = Field(ge=0, le=3650)


class _ReasonsFile(_Strict):
    reasons: tuple[_ReasonEntry, ...] = Field(min_length=1)

    @field_validator("reasons")
    @classmethod
    def _unique(cls, reasons: tuple[_ReasonEntry, ...]) -> tuple[_ReasonEntry, ...]:
        codes = [reason.code for reason in reasons]
        if duplicated := sorted({code for code in codes if codes.count(code) > 1}):
            raise ValueError(f"code {duplicated[0]} is listed twice")
        return reasons


class _ThresholdsFile(_Strict):
    parameters: dict[Limit, _ParameterEntry]
    ordering: tuple[tuple[Limit, Limit], ...] = ()
    payne: _PayneEntry
    analytes: dict[Analyte, _AnalyteEntry]

    @field_validator("parameters", "analytes")
    @classmethod
    def _complete(cls, entries: dict[Any, Any], info: Any) -> dict[Any, Any]:
        expected = Limit if info.field_name == "parameters" else Analyte
        if missing := [member.value for member in expected if member not in entries]:
            raise ValueError(f"missing {', '.join(missing)}")
        return entries


Model = TypeVar("Model", bound=BaseModel)


def read_yaml(path: Path, error: type[ValueError] = KnowledgeFileError) -> Any:
    """`path` parsed as YAML, or `error("file: line N: not valid YAML")` (or "cannot be read")."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise error(f"{path}: file: cannot be read ({problem.strerror})") from None
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        raise error(f"{path}: {f'line {mark.line + 1}' if mark else 'file'}: not valid YAML") from None


def read_file(path: Path, model: type[Model]) -> Model:
    """`path` parsed as YAML and validated against `model`, or `KnowledgeFileError` naming file, field, problem."""
    document = read_yaml(path)
    try:
        return model.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise KnowledgeFileError(f"{path}: {where}: {first['msg']}") from None


def _ranges(analyte: Analyte, entry: _AnalyteEntry, spec: AnalyteSpec) -> tuple[DefaultRange, ...]:
    ranges = tuple(DefaultRange(Amount(r.low, r.unit), Amount(r.high, r.unit),
                                AgeFrom(r.applies_from.years, r.applies_from.days), r.source, r.paediatric)
                   for r in entry.default_ranges)
    where = f"analytes.{analyte}.default_ranges"
    for index, interval in enumerate(ranges):
        for amount in (interval.low, interval.high):
            if normalise_unit(amount.unit) not in spec.unit_factors:
                raise ThresholdsError(f"{where}.{index}.unit: {amount.unit!r} is not a unit of {analyte}")
        if not spec.to_canonical(interval.low) < spec.to_canonical(interval.high):
            raise ThresholdsError(f"{where}.{index}: low must be below high")
    if ranges[0].applies_from != AgeFrom():
        raise ThresholdsError(f"{where}.0.from: the first interval must apply from birth (from: {{}})")
    starts = [Age(r.applies_from.years, max(r.applies_from.days, r.applies_from.years * 365)) for r in ranges]
    if starts != sorted(starts, key=lambda age: (age.days, age.years)):
        raise ThresholdsError(f"{where}: intervals must be listed youngest first")
    if all(r.paediatric for r in ranges):
        raise ThresholdsError(f"{where}: needs an adult interval (paediatric: false) for patients of unknown age")
    return ranges


def load_thresholds(path: Path = KNOWLEDGE_FILES / "thresholds.yaml") -> Thresholds:
    """The shipped thresholds: every `Limit` and every `Analyte` defined, each value within its own bounds, units
    readable, intervals ordered from birth, the ordering constraints met."""
    data = read_file(path, _ThresholdsFile)
    try:
        parameters = {
            limit: Parameter(limit, entry.value, entry.unit, entry.bounds, entry.source, entry.rules,
                             shipped=entry.value).checked(f"parameters.{limit}")
            for limit, entry in data.parameters.items()
        }
        bases = {}
        for analyte, entry in data.analytes.items():
            probe = AnalyteSpec(analyte, entry.label, entry.molar_mass, entry.valence, (), ())
            for severity, limit in entry.bands.items():
                if normalise_unit(parameters[limit].unit) not in probe.unit_factors:
                    raise ThresholdsError(f"analytes.{analyte}.bands.{severity}: {limit} is in "
                                          f"{parameters[limit].unit}, not a unit of {analyte}")
            bases[analyte] = AnalyteBasis(entry.label, entry.molar_mass, entry.valence,
                                          _ranges(analyte, entry, probe), MappingProxyType(dict(entry.bands)))
        return Thresholds(MappingProxyType(parameters), MappingProxyType(bases), data.ordering,
                          data.payne.reference_albumin_g_per_l, data.payne.mmol_per_g_albumin)
    except ThresholdsError as error:
        raise KnowledgeFileError(f"{path}: {error}") from None


def parameter_rules(thresholds: Thresholds) -> Mapping[str, tuple[Parameter, ...]]:
    """For the catalogue: the parameters each rule depends on, by rule id."""
    by_rule: dict[str, list[Parameter]] = {}
    for parameter in thresholds.parameters.values():
        for rule_id in parameter.rules:
            by_rule.setdefault(rule_id, []).append(parameter)
    return MappingProxyType({rule_id: tuple(found) for rule_id, found in by_rule.items()})



def load_override_reasons(path: Path = KNOWLEDGE_FILES / "override-reasons.yaml") -> tuple[OverrideReason, ...]:
    """The override reasons every card offers, each with its default snooze in days."""
    return tuple(OverrideReason(r.code, r.display, r.snooze_days) for r in read_file(path, _ReasonsFile).reasons)


def load_wording(folder: Path = KNOWLEDGE_FILES / "wording") -> Wording:
    """Every rule's sentences from the pathway files in `folder` (`rule id -> key -> text`); a rule's sentences
    sit in one file only."""
    rules: dict[str, RuleWording] = {}
    for path in sorted(folder.glob("*.yaml")):
        document = read_yaml(path)
        if not isinstance(document, dict):
            raise KnowledgeFileError(f"{path}: file: must map rule ids to their sentences")
        for rule_id, sentences in document.items():
            if not isinstance(sentences, dict) or not sentences:
                raise KnowledgeFileError(f"{path}: {rule_id}: must map sentence keys to text")
            if rule_id in rules:
                raise KnowledgeFileError(f"{path}: {rule_id}: already worded in another file")
            try:
                rules[rule_id] = RuleWording.parse(str(rule_id), sentences)
            except WordingError as error:
                raise KnowledgeFileError(f"{path}: {error}") from None
    return Wording.of(rules)


def check_rule_references(thresholds: Thresholds, wording: Wording, rule_ids: Iterable[str]) -> None:
    """Every rule a threshold names exists, and every rule has its wording (`KnowledgeFileError` otherwise)."""
    known = set(rule_ids)
    for parameter in thresholds.parameters.values():
        if unknown := sorted(set(parameter.rules) - known):
            raise KnowledgeFileError(f"thresholds.yaml: parameters.{parameter.limit}.rules: no such rule {unknown[0]}")
    if unknown := sorted(rule_id for rule_id in set(wording.rules) - known if not rule_id.startswith(SHARED_PREFIX)):
        raise KnowledgeFileError(f"wording: {unknown[0]}: no such rule (sentences several rules use sit under "
                                 f"`{SHARED_PREFIX}<topic>`)")
    if unworded := sorted(known - set(wording.rules)):
        raise KnowledgeFileError(f"wording: {unworded[0]}: the rule has no wording")
