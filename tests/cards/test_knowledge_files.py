"""The knowledge folder: every shipped file loads, and each kind of mistake in one stops the start with one line
naming the file, the field and the problem."""

from __future__ import annotations

import copy
import re
import tomllib
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
from cards.model import OverrideReason
from cards.thresholds import Analyte, Limit
from cards.wording import RuleWording, Wording
from cds_hooks.services import build_services

# The error tests edit the parsed shipped file, never its text: a test that depended on the file's layout would
# fail for every data mutant (`make mutate-data`) and so "kill" it without looking at it.
THRESHOLDS = yaml.safe_load((KNOWLEDGE_FILES / "thresholds.yaml").read_text())
SERVICES = yaml.safe_load((KNOWLEDGE_FILES / "services.yaml").read_text())


def _written(tmp_path: Path, name: str, document: dict, change) -> Path:
    edited = copy.deepcopy(document)
    change(edited)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(edited, sort_keys=False))
    return path


def test_every_shipped_figure_is_defined_within_its_own_bounds() -> None:
    thresholds = load_thresholds()
    assert set(thresholds.parameters) == set(Limit) and set(thresholds.analytes) == set(Analyte)
    for parameter in thresholds.parameters.values():
        low, high = parameter.bounds
        assert low <= parameter.value <= high and parameter.source and parameter.rules, parameter.limit


def _parameter(name: str, **values):
    return lambda document: document["parameters"][name].update(values)


def _range(analyte: str, index: int, **values):
    return lambda document: document["analytes"][analyte]["default_ranges"][index].update(values)


def _rename(section: str, old: str, new: str):
    return lambda document: document[section].__setitem__(new, document[section].pop(old))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_parameter("refractory.after-days", value=20),
         "parameters.refractory.after-days: 20 d is outside the safe bounds 30-180 d"),
        (_parameter("refractory.after-days", bounds=[180, 30]),
         "parameters.refractory.after-days.bounds: the lower bound is above"),
        (_parameter("refractory.after-days", value=90.5), "parameters.refractory.after-days: must be a whole number"),
        (_rename("parameters", "refractory.after-days", "refractory.after-dayz"), "parameters.refractory.after-dayz.[key]"),
        (lambda d: d["parameters"]["potassium.severe-below"].pop("source"),
         "parameters.potassium.severe-below.source: Field required"),
        (_parameter("sodium.severe-below", colour="red"), "colour: Extra inputs are not permitted"),
        (_parameter("magnesium.severe-below", unit="g/dL"),
         "analytes.magnesium.bands.severe: magnesium.severe-below is in g/dL, not a unit of magnesium"),
        (_range("magnesium", 0, **{"from": {"days": 1}}),
         "analytes.magnesium.default_ranges.0.from: the first interval must apply from birth"),
        (_range("magnesium", 1, **{"from": {"years": 20}}),
         "analytes.magnesium.default_ranges: intervals must be listed youngest first"),
        (_range("magnesium", 2, low=2.3, high=1.7), "analytes.magnesium.default_ranges.2: low must be below high"),
        (_range("magnesium", 2, unit="grains"),
         "analytes.magnesium.default_ranges.2.unit: 'grains' is not a unit of magnesium"),
        (_range("magnesium", 2, paediatric=True), "analytes.magnesium.default_ranges: needs an adult interval"),
        (lambda d: d["ordering"].__setitem__(0, ["magnesium.moderate-below", "magnesium.severe-below"]),
         "magnesium.moderate-below: must stay below magnesium.severe-below"),
        (_rename("analytes", "magnesium", "iron"), "analytes.iron.[key]"),
        (lambda d: d["payne"].update({"reference-albumin-g-per-l": -40.0}),
         "payne.reference-albumin-g-per-l: Input should be greater than 0"),
        (lambda d: d["parameters"].pop("egfr.ckd-below"), "parameters: Value error, missing egfr.ckd-below"),
    ],
)
def test_a_broken_thresholds_file_names_file_field_and_problem(tmp_path, change, message) -> None:
    path = _written(tmp_path, "thresholds.yaml", THRESHOLDS, change)
    with pytest.raises(KnowledgeFileError) as raised:
        load_thresholds(path)
    assert str(raised.value).startswith(f"{path}: ") and message in str(raised.value), str(raised.value)


def test_a_thresholds_file_that_is_not_yaml_names_the_line(tmp_path) -> None:
    path = tmp_path / "thresholds.yaml"
    path.write_text("parameters:\n  a: [\n")
    with pytest.raises(KnowledgeFileError, match=re.escape(f"{path}: line 3: not valid YAML")):
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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_rename("services", "order-sign", "order-signed"), "services.order-signed.[key]"),
        (lambda d: d["prefetch"]["patient"].update(failure_mode="ignore"), "prefetch.patient.failure_mode"),
        (lambda d: d["prefetch"]["conditions"].update(part="problems"), "prefetch.conditions.part"),
        (lambda d: d["services"]["order-sign"].pop("title"), "services.order-sign.title: Field required"),
        (lambda d: d["services"].pop("order-select"), "services: missing order-select"),
        (lambda d: d["prefetch"].pop("conditions"), "prefetch: no key fills conditions"),
    ],
)
def test_a_broken_services_file_is_named(tmp_path, change, message) -> None:
    path = _written(tmp_path, "services.yaml", SERVICES, change)
    with pytest.raises(KnowledgeFileError, match=re.escape(f"{path}: ") + ".*" + re.escape(message)):
        build_services(load_knowledge(), path)


def test_each_prefetch_key_has_the_failure_mode_the_rules_need() -> None:
    """Without observations, conditions or prescriptions the rules would miss hazards (412); the Patient and home
    medications only add to what is known (the rules say what they lack)."""
    keys = {key.name: key.required for key in next(iter(build_services(load_knowledge()).values())).prefetch}
    assert keys == {"patient": False, "observations": True, "conditions": True, "medications": True,
                    "medicationStatements": False}


def test_every_knowledge_file_ships_in_the_package() -> None:
    """An installed service reads these files at start-up: each must match a `package-data` pattern."""
    root = KNOWLEDGE_FILES.parent
    patterns = tomllib.loads((root.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    data_files = [path for path in root.rglob("*") if path.is_file() and path.suffix in {".yaml", ".json", ".html"}]
    assert len(data_files) > 30
    for path in data_files:
        relative = path.relative_to(root)
        assert any(relative.match(pattern) and len(relative.parts) == len(Path(pattern).parts)
                   for pattern in patterns["cards"]), relative


def test_the_loaded_override_reasons_are_the_reviewed_ones() -> None:
    assert load_override_reasons() == (
        OverrideReason("already-addressed", "Already addressed", 30),
        OverrideReason("patient-declined", "Patient declined", 90),
        OverrideReason("not-relevant", "Not relevant for this patient", 180),
        OverrideReason("disagree", "Disagree with recommendation", 0),
    )


# Standard atomic weights (IUPAC) and valences, written out independently of the file.
ANALYTE_FACTS = {
    Analyte.MAGNESIUM: ("Magnesium", 24.305, 2),
    Analyte.POTASSIUM: ("Potassium", 39.098, 1),
    Analyte.SODIUM: ("Sodium", 22.99, 1),
    Analyte.CALCIUM_TOTAL: ("Calcium (total)", 40.078, 2),
    Analyte.CALCIUM_ADJUSTED: ("Calcium (albumin-adjusted)", 40.078, 2),
    Analyte.CALCIUM_IONIZED: ("Calcium (ionized)", 40.078, 2),
}


def test_the_loaded_thresholds_carry_every_field_of_the_file() -> None:
    thresholds = load_thresholds()
    for limit, parameter in thresholds.parameters.items():
        assert parameter.limit is limit and parameter.shipped == parameter.value, limit
    for analyte, (label, molar_mass, valence) in ANALYTE_FACTS.items():
        spec = thresholds.analytes[analyte]
        assert (spec.analyte, spec.label, spec.molar_mass, spec.valence) == (analyte, label, molar_mass, valence)
        assert all(interval.source for interval in spec.default_ranges)
    # Payne et al., BMJ 1973: adjusted = total + 0.02 x (40 - albumin g/L).
    assert (thresholds.payne_reference_albumin_g_per_l, thresholds.payne_mmol_per_g_albumin) == (40.0, 0.02)


def test_an_interval_whose_limits_are_equal_is_refused(tmp_path) -> None:
    path = _written(tmp_path, "thresholds.yaml", THRESHOLDS, _range("magnesium", 2, low=2.0, high=2.0))
    with pytest.raises(KnowledgeFileError, match="analytes.magnesium.default_ranges.2: low must be below high"):
        load_thresholds(path)


def test_an_interval_in_years_after_one_in_more_days_is_out_of_order(tmp_path) -> None:
    """Age bands are compared in days: 1 year (365 days) starts after 100 days, whatever the field it is written in."""
    def reorder(document):
        document["analytes"]["magnesium"]["default_ranges"][1]["from"] = {"years": 1}
        document["analytes"]["magnesium"]["default_ranges"].insert(
            2, {"from": {"days": 100}, "low": 0.65, "high": 1.1, "unit": "mmol/L", "paediatric": True, "source": "x"})
    with pytest.raises(KnowledgeFileError, match="analytes.magnesium.default_ranges: intervals must be listed youngest"):
        load_thresholds(_written(tmp_path, "thresholds.yaml", THRESHOLDS, reorder))


def test_a_knowledge_file_that_cannot_be_read_is_named(tmp_path) -> None:
    missing = tmp_path / "absent.yaml"
    with pytest.raises(KnowledgeFileError, match=re.escape(f"{missing}: file: cannot be read (No such file or directory)")):
        load_thresholds(missing)


def test_the_loaded_wording_has_every_file_s_groups() -> None:
    groups = set(load_wording().rules)
    assert {"stress.relaxation", "electrolyte.sodium.low", "shared.electrolytes", "shared.valproate",
            "order.botulinum.under-licensed-age"} <= groups and len(groups) == 26


def test_a_knowledge_file_that_is_not_a_mapping_names_the_whole_file(tmp_path) -> None:
    path = tmp_path / "thresholds.yaml"
    path.write_text("- just a list\n")
    with pytest.raises(KnowledgeFileError, match=re.escape(f"{path}: file: Input should be a valid dictionary")):
        load_thresholds(path)
