"""Site tuning by the people who own the clinical content: each rule's mode, from one YAML file, without Python.

A rule is `active` (its cards are returned), `silent` (evaluated and recorded as "would have fired", never
returned: a rule is tried out before clinicians see it) or `off` (the kill switch). The file, named by the setting
`FTCDS_SITE_KNOWLEDGE`, is validated against the rules that exist when the service starts; any problem stops the
start with one line naming the file, the field and what is wrong. Rules whose silence could hide an emergency
(`RuleInfo.may_silence` is false) refuse any mode but `active`.

    rules:
      order.lamotrigine.valproate: {mode: silent}
      stress.relaxation: {mode: off}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .drafting import RuleInfo


class Mode(StrEnum):
    ACTIVE = "active"
    SILENT = "silent"
    OFF = "off"


class SiteKnowledgeError(ValueError):
    """The site file cannot be used; the message names the file, the field and the problem."""


@dataclass(frozen=True)
class SiteKnowledge:
    """Modes by rule id; a rule not named is active."""

    modes: Mapping[str, Mode] = field(default_factory=lambda: MappingProxyType({}))
    source: str = "(built-in defaults)"

    def mode(self, rule_id: str) -> Mode:
        return self.modes.get(rule_id, Mode.ACTIVE)


def _fail(path: Path, where: str, problem: str) -> SiteKnowledgeError:
    return SiteKnowledgeError(f"{path}: {where}: {problem}")


def load_site(path: Path | None, rules: Iterable[RuleInfo]) -> SiteKnowledge:
    """The site file at `path` checked against `rules`; no file means every rule is active."""
    if path is None:
        return SiteKnowledge()
    try:
        document: Any = yaml.safe_load(path.read_text())
    except OSError as error:
        raise _fail(path, "file", f"cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        raise _fail(path, where, "not valid YAML") from None
    document = document or {}
    if not isinstance(document, dict):
        raise _fail(path, "file", "must be a mapping with a `rules` key")
    if unknown := sorted(set(document) - {"rules"}):
        raise _fail(path, unknown[0], "unknown key (known: rules)")
    entries = document.get("rules") or {}
    if not isinstance(entries, dict):
        raise _fail(path, "rules", "must map rule ids to settings, e.g. `stress.relaxation: {mode: silent}`")
    known = {rule.rule_id: rule for rule in rules}
    modes: dict[str, Mode] = {}
    for rule_id, settings in entries.items():
        where = f"rules.{rule_id}"
        rule = known.get(rule_id) if isinstance(rule_id, str) else None
        if rule is None:
            raise _fail(path, where, "no such rule (see `facial-twitch-cds rules`)")
        if not isinstance(settings, dict) or set(settings) - {"mode"}:
            raise _fail(path, where, "must be a mapping with the key `mode`")
        value = settings.get("mode")
        if value is False:  # YAML 1.1 reads a bare `off` as false: the owner wrote the kill switch
            value = Mode.OFF.value
        try:
            mode = Mode(value)
        except ValueError:
            raise _fail(path, f"{where}.mode", f"must be one of {', '.join(m.value for m in Mode)}") from None
        if mode is not Mode.ACTIVE and not rule.may_silence:
            raise _fail(path, f"{where}.mode", "this rule can warn of an emergency and cannot be silenced or "
                                              "switched off")
        modes[rule_id] = mode
    return SiteKnowledge(MappingProxyType(modes), str(path))
