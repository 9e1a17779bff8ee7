"""Site tuning by the people who own the clinical content, from one YAML file, without Python.

The file, named by the setting `FTCDS_SITE_KNOWLEDGE`, may hold three keys:

    rules:                      # each rule's mode
      order.lamotrigine.valproate: {mode: silent}
      stress.relaxation: {mode: off}
    thresholds:                 # a figure, in the unit the catalogue states, within its safe bounds
      refractory.after-days: 120
    wording:                    # a rule's sentence, keeping every {slot} of the shipped one
      stress.relaxation:
        summary: "Twitching with stress or poor sleep: relaxation and sleep first"

A rule is `active` (its cards are returned), `silent` (evaluated and recorded as "would have fired", never
returned: a rule is tried out before clinicians see it) or `off` (the kill switch). Rules whose silence could hide
an emergency (`RuleInfo.may_silence` is false) refuse any mode but `active`. The file is validated against the
knowledge when the service starts; any problem stops the start with one line naming the file, the field and what
is wrong.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .drafting import RuleInfo
from .knowledge_files import read_yaml
from .thresholds import Limit, Thresholds, ThresholdsError
from .wording import Wording, WordingError

_KEYS = ("rules", "thresholds", "wording")


class Mode(StrEnum):
    ACTIVE = "active"
    SILENT = "silent"
    OFF = "off"


class SiteKnowledgeError(ValueError):
    """The site file cannot be used; the message names the file, the field and the problem."""


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class SiteKnowledge:
    """Modes by rule id (a rule not named is active), figures by `Limit`, and sentences by (rule id, key)."""

    modes: Mapping[str, Mode] = field(default_factory=_empty)
    thresholds: Mapping[Limit, float] = field(default_factory=_empty)
    wording: Mapping[tuple[str, str], str] = field(default_factory=_empty)
    source: str = "(built-in defaults)"

    def mode(self, rule_id: str) -> Mode:
        return self.modes.get(rule_id, Mode.ACTIVE)

    @property
    def digest(self) -> str:
        """8 hex digits naming what this site changes ("" when nothing): part of the knowledge version, so
        outcomes under different site settings are told apart in analytics."""
        if not (self.modes or self.thresholds or self.wording):
            return ""
        changes = {"rules": dict(sorted(self.modes.items())), "thresholds": dict(sorted(self.thresholds.items())),
                   "wording": {f"{rule}/{key}": text for (rule, key), text in sorted(self.wording.items())}}
        return hashlib.sha256(json.dumps(changes, sort_keys=True).encode()).hexdigest()[:8]


def _fail(path: Path, where: str, problem: str) -> SiteKnowledgeError:
    return SiteKnowledgeError(f"{path}: {where}: {problem}")


def _read(path: Path) -> dict[str, Any]:
    document = read_yaml(path, SiteKnowledgeError) or {}
    if not isinstance(document, dict):
        raise _fail(path, "file", f"must be a mapping with the keys {', '.join(_KEYS)}")
    if unknown := sorted(str(key) for key in set(document) - set(_KEYS)):
        raise _fail(path, unknown[0], f"unknown key (known: {', '.join(_KEYS)})")
    return document


def _section(path: Path, document: dict[str, Any], key: str, example: str) -> dict[Any, Any]:
    entries = document.get(key) or {}
    if not isinstance(entries, dict):
        raise _fail(path, key, f"must be a mapping, e.g. `{example}`")
    return entries


def _modes(path: Path, entries: dict[Any, Any], rules: Iterable[RuleInfo]) -> dict[str, Mode]:
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
    return modes


def _thresholds(path: Path, entries: dict[Any, Any], shipped: Thresholds) -> dict[Limit, float]:
    figures: dict[Limit, float] = {}
    for key, value in entries.items():
        where = f"thresholds.{key}"
        try:
            limit = Limit(key)
        except ValueError:
            raise _fail(path, where, "no such threshold (see `facial-twitch-cds rules`)") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            unit = shipped.parameters[limit].unit
            raise _fail(path, where, f"must be a number in {unit}, e.g. `{key}: {shipped[limit]:g}`")
        figures[limit] = float(value)
    try:
        shipped.with_overrides(figures)
    except ThresholdsError as error:
        raise SiteKnowledgeError(f"{path}: thresholds.{error}") from None
    return figures


def _wording(path: Path, entries: dict[Any, Any], shipped: Wording) -> dict[tuple[str, str], str]:
    sentences: dict[tuple[str, str], str] = {}
    for rule_id, texts in entries.items():
        if not isinstance(texts, dict):
            raise _fail(path, f"wording.{rule_id}", "must map sentence keys to text, e.g. `summary: \"...\"`")
        for key, text in texts.items():
            sentences[(str(rule_id), str(key))] = text
    try:
        shipped.with_overrides(sentences)
    except WordingError as error:
        raise SiteKnowledgeError(f"{path}: {error}") from None
    return sentences


def load_site(path: Path | None, rules: Iterable[RuleInfo], thresholds: Thresholds, wording: Wording) -> SiteKnowledge:
    """The site file at `path` checked against these rules, thresholds and wording; no file changes nothing."""
    if path is None:
        return SiteKnowledge()
    document = _read(path)
    return SiteKnowledge(
        MappingProxyType(_modes(path, _section(path, document, "rules", "stress.relaxation: {mode: silent}"), rules)),
        MappingProxyType(_thresholds(path, _section(path, document, "thresholds", "refractory.after-days: 120"),
                                     thresholds)),
        MappingProxyType(_wording(path, _section(path, document, "wording", "stress.relaxation: {summary: ...}"),
                                  wording)),
        str(path),
    )
