"""The rule catalogue a CDS committee reviews, generated from what runs: the rules, the reviewed description of what
each fires on and reads (`rules.json`), the loaded value sets and the site's modes. It cannot disagree with the
service, because nothing in it is written twice."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..knowledge import Knowledge
from ..terminology import SYSTEM_NAMES, Concept

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
class RuleEntry:
    rule_id: str
    title: str
    hook: str  # "patient-view" or "order-select, order-sign"
    trigger: str
    mode: str
    may_silence: bool
    value_sets: tuple[ValueSetEntry, ...]
    scenarios: tuple[str, ...]  # golden scenarios that expect this rule (empty outside a source checkout)


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
            trigger=entry["trigger"],
            mode=knowledge.site.mode(rule.rule_id).value,
            may_silence=rule.may_silence,
            value_sets=tuple(value_sets),
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


def as_json(entries: Sequence[RuleEntry]) -> list[dict[str, Any]]:
    return [asdict(entry) for entry in entries]


def as_text(entries: Sequence[RuleEntry]) -> str:
    lines = []
    for entry in entries:
        lines += [f"{entry.rule_id} [{entry.mode}{'' if entry.may_silence else ', cannot be silenced'}] "
                  f"({entry.hook})", f"  {entry.title}", f"  Fires: {entry.trigger}"]
        for value_set in entry.value_sets:
            codes = "; ".join(f"{c.system} {c.code} {c.display}".strip() for c in value_set.codes[:6])
            more = f"; +{len(value_set.codes) - 6} more" if len(value_set.codes) > 6 else ""
            lines.append(f"  Reads {value_set.id}: {codes or 'code families and text terms only'}{more}")
        if entry.scenarios:
            lines.append(f"  Scenarios: {', '.join(entry.scenarios)}")
        lines.append("")
    return "\n".join(lines)
