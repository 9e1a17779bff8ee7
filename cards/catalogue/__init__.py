"""The rule catalogue a CDS committee reviews, generated from what runs: the rules, the reviewed description of what
each fires on and reads (`rules.json`), the loaded value sets, thresholds, wording and override reasons, and the
site's modes and overrides. It cannot disagree with the service, because nothing in it is written twice: a figure
in a trigger is written as its threshold id (`[refractory.after-days]`) and shown with the value that runs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..knowledge import Knowledge
from ..knowledge_files import SHARED_PREFIX, parameter_rules
from ..terminology import SYSTEM_NAMES, Concept
from ..thresholds import Limit, Parameter

RULES_FILE = Path(__file__).parent / "rules.json"
# The golden scenarios, in a source checkout (an installed package has none: the catalogue then lists none).
SOURCE_SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"


class CatalogueError(ValueError):
    """`rules.json` disagrees with the rules that exist; the message names the rule and the problem."""


@dataclass(frozen=True)
class Code:
    system: str  # "LOINC", "SNOMED CT", ... (or the system URI when we have no short name)
    code: str
    display: str


@dataclass(frozen=True)
class ValueSetEntry:
    id: str
    codes: tuple[Code, ...]  # the explicitly listed codes; families and text terms are in the value set file


@dataclass(frozen=True)
class ThresholdEntry:
    id: str
    value: float
    unit: str
    shipped: float  # the knowledge's own value; differs from `value` when the site file changed it
    bounds: tuple[float, float]  # what a site may set it to
    source: str


@dataclass(frozen=True)
class SentenceEntry:
    key: str
    text: str  # the template, {slots} and all, as this deployment runs it
    site_changed: bool


@dataclass(frozen=True)
class ReasonEntry:
    code: str
    display: str
    snooze_days: int


@dataclass(frozen=True)
class RuleEntry:
    rule_id: str
    title: str
    hook: str  # "patient-view" or "order-select, order-sign"
    trigger: str
    indicator: str
    mode: str
    may_silence: bool
    value_sets: tuple[ValueSetEntry, ...]
    thresholds: tuple[ThresholdEntry, ...]
    sentences: tuple[SentenceEntry, ...]
    override_reasons: tuple[ReasonEntry, ...]
    scenarios: tuple[str, ...]  # golden scenarios that expect this rule (empty outside a source checkout)


_FIGURE = re.compile(r"\[([a-z0-9.-]+)\]")


def shown(parameter: Parameter, value: float | None = None) -> str:
    """A figure as a reader says it: "90 days", "12 years", "1.2 mg/dL"."""
    number = f"{parameter.value if value is None else value:g}"
    return {"d": f"{number} days", "a": f"{number} years"}.get(parameter.unit, f"{number} {parameter.unit}")


def _trigger(text: str, knowledge: Knowledge, where: str) -> str:
    def figure(match: re.Match[str]) -> str:
        try:
            return shown(knowledge.thresholds.parameters[Limit(match.group(1))])
        except ValueError:
            raise CatalogueError(f"{where}: no threshold [{match.group(1)}]") from None
    return _FIGURE.sub(figure, text)


def _thresholds(parameters: Sequence[Parameter]) -> tuple[ThresholdEntry, ...]:
    return tuple(ThresholdEntry(p.limit.value, p.value, p.unit, p.shipped, p.bounds, p.source) for p in parameters)


def _sentences(knowledge: Knowledge, group: str) -> tuple[SentenceEntry, ...]:
    running, shipped = knowledge.wording.rules[group].templates, knowledge.wording.shipped[group].templates
    return tuple(SentenceEntry(key, template.text, template is not shipped[key]) for key, template in running.items())


def _described(path: Path) -> Mapping[str, Any]:
    document = json.loads(path.read_text())
    return document["rules"]


def build_catalogue(knowledge: Knowledge, *, scenarios_dir: Path | None = SOURCE_SCENARIOS,
                    rules_file: Path = RULES_FILE) -> tuple[RuleEntry, ...]:
    described = _described(rules_file)
    rules = knowledge.rules()
    known = {rule.rule_id for rule in rules}
    if missing := sorted(known - set(described)):
        raise CatalogueError(f"{rules_file.name}: {missing[0]}: rule not described")
    if unknown := sorted(set(described) - known):
        raise CatalogueError(f"{rules_file.name}: {unknown[0]}: no such rule")
    expected = _scenarios_by_rule(scenarios_dir)
    order_rules = {rule.rule_id for rule in knowledge.order_rules()}
    figures = parameter_rules(knowledge.thresholds)
    reasons = tuple(ReasonEntry(r.code, r.display, r.snooze_days) for r in knowledge.override_reasons)
    entries = []
    for rule in rules:
        entry = described[rule.rule_id]
        value_sets = []
        for name in entry["reads"]:
            try:
                concept = Concept(name)
            except ValueError:
                raise CatalogueError(f"{rules_file.name}: {rule.rule_id}.reads: no value set {name!r}") from None
            codes = tuple(Code(SYSTEM_NAMES.get(system, system), code, knowledge.display(system, code) or "")
                          for system, code in knowledge.listed_codings((concept,)))
            value_sets.append(ValueSetEntry(name, codes))
        entries.append(RuleEntry(
            rule_id=rule.rule_id,
            title=rule.title,
            hook="order-select, order-sign" if rule.rule_id in order_rules else "patient-view",
            trigger=_trigger(entry["trigger"], knowledge, f"{rules_file.name}: {rule.rule_id}.trigger"),
            indicator=entry["indicator"],
            mode=knowledge.site.mode(rule.rule_id).value,
            may_silence=rule.may_silence,
            value_sets=tuple(value_sets),
            thresholds=_thresholds(figures.get(rule.rule_id, ())),
            sentences=_sentences(knowledge, rule.rule_id),
            override_reasons=reasons,
            scenarios=expected.get(rule.rule_id, ()),
        ))
    return tuple(entries)


@cache
def _scenarios_by_rule(scenarios_dir: Path | None) -> Mapping[str, tuple[str, ...]]:
    """Read once per process: the scenarios are fixtures of the checkout, not something that changes while it runs."""
    found: dict[str, list[str]] = {}
    if scenarios_dir is None or not scenarios_dir.is_dir():
        return {}
    for expected in sorted(scenarios_dir.glob("*/expected.json")):
        for card in json.loads(expected.read_text()).get("cards", ()):
            names = found.setdefault(card["rule_id"], [])
            if expected.parent.name not in names:
                names.append(expected.parent.name)
    return {rule: tuple(names) for rule, names in found.items()}


def shared_sentences(knowledge: Knowledge) -> Mapping[str, tuple[SentenceEntry, ...]]:
    """Sentences several rules use (`shared.<topic>` groups), by group."""
    return {group: _sentences(knowledge, group) for group in sorted(knowledge.wording.rules)
            if group.startswith(SHARED_PREFIX)}


def as_json(entries: Sequence[RuleEntry]) -> list[dict[str, Any]]:
    return [asdict(entry) for entry in entries]


def catalogue_document(knowledge: Knowledge, entries: Sequence[RuleEntry]) -> dict[str, Any]:
    """The whole catalogue as JSON (`/rules.json`, `facial-twitch-cds rules --json`)."""
    return {"knowledge_version": knowledge.version, "rules": as_json(entries),
            "shared_wording": {group: [asdict(s) for s in sentences]
                               for group, sentences in shared_sentences(knowledge).items()}}


def as_text(entries: Sequence[RuleEntry], shared: Mapping[str, Sequence[SentenceEntry]]) -> str:
    lines = []
    for entry in entries:
        lines += [f"{entry.rule_id} [{entry.mode}{'' if entry.may_silence else ', cannot be silenced'}] "
                  f"({entry.hook})", f"  {entry.title}", f"  Fires: {entry.trigger}",
                  f"  Indicator: {entry.indicator}"]
        for value_set in entry.value_sets:
            codes = "; ".join(f"{c.system} {c.code} {c.display}".strip() for c in value_set.codes[:6])
            more = f"; +{len(value_set.codes) - 6} more" if len(value_set.codes) > 6 else ""
            lines.append(f"  Reads {value_set.id}: {codes or 'code families and text terms only'}{more}")
        for figure in entry.thresholds:
            changed = f" (site; shipped {figure.shipped:g})" if figure.value != figure.shipped else ""
            lines.append(f"  Threshold {figure.id} = {figure.value:g} {figure.unit}{changed}, may be set "
                         f"{figure.bounds[0]:g}-{figure.bounds[1]:g} ({figure.source})")
        sentences = ", ".join(s.key + (" (site)" if s.site_changed else "") for s in entry.sentences)
        lines.append(f"  Sentences: {sentences}")
        if entry.scenarios:
            lines.append(f"  Scenarios: {', '.join(entry.scenarios)}")
        lines.append("")
    for group, sentences in shared.items():
        lines.append(f"{group} (sentences several rules use): "
                     f"{', '.join(s.key + (' (site)' if s.site_changed else '') for s in sentences)}")
    return "\n".join(lines)
