"""The knowledge folder: every shipped file loads, and each kind of mistake in one stops the start with one line
naming the file, the field and the problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cards import load_knowledge
from cards.knowledge_files import (
    KNOWLEDGE_FILES,
    KnowledgeFileError,
    check_rule_references,
    load_override_reasons,
    load_thresholds,
    load_wording,
)
from cards.thresholds import Analyte, Limit
from cards.wording import RuleWording, Wording
from cds_hooks.services import build_services

THRESHOLDS = (KNOWLEDGE_FILES / "thresholds.yaml").read_text()


def _thresholds_with(tmp_path: Path, old: str, new: str) -> Path:
    assert old in THRESHOLDS, old
    path = tmp_path / "thresholds.yaml"
    path.write_text(THRESHOLDS.replace(old, new, 1))
    return path


def test_every_shipped_figure_is_defined_within_its_own_bounds() -> None:
    thresholds = load_thresholds()
    assert set(thresholds.parameters) == set(Limit) and set(thresholds.analytes) == set(Analyte)
    for parameter in thresholds.parameters.values():
        low, high = parameter.bounds
        assert low <= parameter.value <= high and parameter.source and parameter.rules, parameter.limit


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    value: 90\n    unit: d\n    bounds: [30, 180]", "    value: 20\n    unit: d\n    bounds: [30, 180]",
         "parameters.refractory.after-days: 20 d is outside the safe bounds 30-180 d"),
        ("bounds: [30, 180]", "bounds: [180, 30]", "parameters.refractory.after-days.bounds: the lower bound is above"),
        ("    value: 90\n    unit: d\n    bounds: [30, 180]", "    value: 90.5\n    unit: d\n    bounds: [30, 180]",
         "parameters.refractory.after-days: must be a whole number of days"),
        ("  refractory.after-days:\n", "  refractory.after-dayz:\n", "parameters.refractory.after-dayz.[key]"),
        ("    source: \"StatPearls NBK482465, Hypokalemia: severe < 2.5 mmol/L\"\n", "",
         "parameters.potassium.severe-below.source: Field required"),
        ("    rules: [electrolyte.sodium.low]\n", "    rules: [electrolyte.sodium.low]\n    colour: red\n",
         "colour: Extra inputs are not permitted"),
        ("    unit: mg/dL\n    bounds: [0.8, 1.2]", "    unit: g/dL\n    bounds: [0.8, 1.2]",
         "analytes.magnesium.bands.severe: magnesium.severe-below is in g/dL, not a unit of magnesium"),
        ("{from: {}, low: 0.6, high: 1.0, unit: mmol/L", "{from: {days: 1}, low: 0.6, high: 1.0, unit: mmol/L",
         "analytes.magnesium.default_ranges.0.from: the first interval must apply from birth"),
        ("{from: {days: 7}, low: 0.65", "{from: {years: 20}, low: 0.65",
         "analytes.magnesium.default_ranges: intervals must be listed youngest first"),
        ("low: 1.7, high: 2.3, unit: mg/dL", "low: 2.3, high: 1.7, unit: mg/dL",
         "analytes.magnesium.default_ranges.2: low must be below high"),
        ("low: 1.7, high: 2.3, unit: mg/dL", "low: 1.7, high: 2.3, unit: grains",
         "analytes.magnesium.default_ranges.2.unit: 'grains' is not a unit of magnesium"),
        ("{from: {years: 18}, low: 1.7, high: 2.3, unit: mg/dL, source",
         "{from: {years: 18}, low: 1.7, high: 2.3, unit: mg/dL, paediatric: true, source",
         "analytes.magnesium.default_ranges: needs an adult interval"),
        ("  - [magnesium.severe-below, magnesium.moderate-below]",
         "  - [magnesium.moderate-below, magnesium.severe-below]",
         "magnesium.moderate-below: must stay below magnesium.severe-below"),
        ("analytes:\n  magnesium:", "analytes:\n  iron:", "analytes.iron.[key]"),
        ("payne:\n  reference-albumin-g-per-l: 40.0", "payne:\n  reference-albumin-g-per-l: -40.0",
         "payne.reference-albumin-g-per-l: Input should be greater than 0"),
        ("parameters:\n", "parameters: [\n", "line"),
    ],
)
def test_a_broken_thresholds_file_names_file_field_and_problem(tmp_path, old, new, message) -> None:
    path = _thresholds_with(tmp_path, old, new)
    with pytest.raises(KnowledgeFileError) as raised:
        load_thresholds(path)
    assert str(raised.value).startswith(f"{path}: ") and message in str(raised.value), str(raised.value)


def test_a_missing_figure_is_named(tmp_path) -> None:
    document = yaml.safe_load(THRESHOLDS)
    del document["parameters"]["egfr.ckd-below"]
    path = tmp_path / "thresholds.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(KnowledgeFileError, match=r"parameters: Value error, missing egfr.ckd-below"):
        load_thresholds(path)


def _wording_folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "wording"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a": "stress.relaxation: {summary: x}\n", "b": "stress.relaxation: {evidence: y}\n"},
         "b.yaml: stress.relaxation: already worded in another file"),
        ({"a": "- a list\n"}, "a.yaml: file: must map rule ids to their sentences"),
        ({"a": "stress.relaxation: text\n"}, "a.yaml: stress.relaxation: must map sentence keys to text"),
        ({"a": "stress.relaxation: {summary: 'Hi {Name}'}\n"}, "a.yaml: stress.relaxation.summary: {Name} is not a slot"),
        ({"a": "stress.relaxation: {evidence: 'a <script> b'}\n"}, "a.yaml: stress.relaxation.evidence: no raw HTML"),
        ({"a": "stress.relaxation: {summary.long: '" + "y" * 120 + "'}\n"},
         "a.yaml: stress.relaxation.summary.long: a summary's text is at most 110"),
        ({"a": "stress.relaxation: {summary: [\n"}, "a.yaml: line"),
    ],
)
def test_a_broken_wording_file_names_file_field_and_problem(tmp_path, files, message) -> None:
    with pytest.raises(KnowledgeFileError, match=re.escape(message)):
        load_wording(_wording_folder(tmp_path, **files))


def test_rule_references_are_checked_both_ways(tmp_path) -> None:
    knowledge = load_knowledge()
    rules = [rule.rule_id for rule in knowledge.rules()]
    check_rule_references(knowledge.thresholds, knowledge.wording, rules)  # the shipped knowledge is consistent
    with pytest.raises(KnowledgeFileError, match="wording: stress.relaxation: the rule has no wording"):
        check_rule_references(knowledge.thresholds, _without_wording(knowledge, "stress.relaxation"), rules)
    with pytest.raises(KnowledgeFileError, match="wording: no.such: no such rule"):
        check_rule_references(knowledge.thresholds, _with_wording(knowledge, "no.such"), rules)
    with pytest.raises(KnowledgeFileError, match=r"parameters\.[a-z.-]+\.rules: no such rule refractory\.botulinum"):
        check_rule_references(knowledge.thresholds, knowledge.wording, [r for r in rules if not r.startswith("refr")])


def _without_wording(knowledge, rule_id: str):
    return Wording.of({key: value for key, value in knowledge.wording.rules.items() if key != rule_id})


def _with_wording(knowledge, rule_id: str):
    return Wording.of({**knowledge.wording.rules, rule_id: RuleWording.parse(rule_id, {"summary": "x"})})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("reasons:\n  - {code: a, display: A, snooze_days: 1}\n  - {code: a, display: B, snooze_days: 2}\n",
         "reasons: Value error, code a is listed twice"),
        ("reasons:\n  - {code: a, display: A, snooze_days: -1}\n", "reasons.0.snooze_days"),
        ("reasons:\n  - {code: 'Not Relevant', display: A, snooze_days: 1}\n", "reasons.0.code"),
        ("reasons: []\n", "reasons: Tuple should have at least 1 item"),
    ],
)
def test_a_broken_override_reasons_file_is_named(tmp_path, text, message) -> None:
    path = tmp_path / "override-reasons.yaml"
    path.write_text(text)
    with pytest.raises(KnowledgeFileError, match=re.escape(f"{path}: {message}")):
        load_override_reasons(path)


SERVICES = (KNOWLEDGE_FILES / "services.yaml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  order-sign:\n", "  order-signed:\n", "services.order-signed.[key]"),
        ("    failure_mode: omit\n  observations:", "    failure_mode: ignore\n  observations:",
         "prefetch.patient.failure_mode"),
        ("    part: conditions\n", "    part: problems\n", "prefetch.conditions.part"),
        ("  order-sign:\n    title: \"Facial twitching: order safety before signing\"\n", "  order-sign:\n",
         "services.order-sign.title: Field required"),
    ],
)
def test_a_broken_services_file_is_named(tmp_path, old, new, message) -> None:
    assert old in SERVICES
    path = tmp_path / "services.yaml"
    path.write_text(SERVICES.replace(old, new, 1))
    with pytest.raises(KnowledgeFileError, match=re.escape(f"{path}: {message}")):
        build_services(load_knowledge(), path)


def test_a_services_file_without_a_hook_is_refused(tmp_path) -> None:
    document = yaml.safe_load(SERVICES)
    del document["services"]["order-select"]
    path = tmp_path / "services.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(KnowledgeFileError, match="services: missing order-select"):
        build_services(load_knowledge(), path)
