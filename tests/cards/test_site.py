"""Site file: each rule's mode (active, silent, off), validated against the rules that exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import lab, patient_view, rule_ids, twitching
from cards.site import Mode, SiteKnowledgeError, load_site

LOW_MAGNESIUM = lab("19123-9", 1.5, "mg/dL")
SEVERE_CALCIUM = lab("17861-6", 6.0, "mg/dL")  # severe: the red-flag card too


def _site(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text)
    return path


def test_no_file_means_every_rule_is_active(knowledge) -> None:
    site = load_site(None, knowledge.rules())
    assert all(site.mode(rule.rule_id) is Mode.ACTIVE for rule in knowledge.rules())


def test_a_silent_rule_is_evaluated_but_not_returned(knowledge, tmp_path) -> None:
    tuned = knowledge.load_site(_site(tmp_path, "rules:\n  electrolyte.magnesium.low: {mode: silent}\n"))
    evaluation = patient_view(tuned, twitching(), LOW_MAGNESIUM)
    assert "electrolyte.magnesium.low" not in rule_ids(evaluation)
    assert [draft.rule_id for draft in evaluation.silent] == ["electrolyte.magnesium.low"]
    assert "electrolyte.magnesium.low" in rule_ids(patient_view(knowledge, twitching(), LOW_MAGNESIUM))


def test_an_off_rule_is_neither_returned_nor_recorded(knowledge, tmp_path) -> None:
    tuned = knowledge.load_site(_site(tmp_path, '{"rules": {"electrolyte.magnesium.low": {"mode": "off"}}}'))
    evaluation = patient_view(tuned, twitching(), LOW_MAGNESIUM)
    assert evaluation.cards == [] and evaluation.silent == []


def test_other_rules_keep_working_beside_a_silenced_one(knowledge, tmp_path) -> None:
    tuned = knowledge.load_site(_site(tmp_path, "rules:\n  electrolyte.calcium.low: {mode: silent}\n"))
    assert rule_ids(patient_view(tuned, twitching(), SEVERE_CALCIUM)) == ["redflag.urgent-review"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules:\n  no.such.rule: {mode: silent}\n", "rules.no.such.rule: no such rule"),
        ("rules:\n  stress.relaxation: {mode: quiet}\n", "rules.stress.relaxation.mode: must be one of active, silent, off"),
        ("rules:\n  stress.relaxation: silent\n", "rules.stress.relaxation: must be a mapping with the key `mode`"),
        ("rules:\n  stress.relaxation: {mode: silent, colour: red}\n", "must be a mapping with the key `mode`"),
        ("rules:\n  redflag.urgent-review: {mode: silent}\n", "cannot be silenced or switched off"),
        ("rules:\n  order.valproate.pregnancy: {mode: off}\n", "cannot be silenced or switched off"),
        ("rules:\n  order.potassium.hyperkalemia-risk: {mode: off}\n", "cannot be silenced or switched off"),
        ("thresholds: {}\n", "thresholds: unknown key (known: rules)"),
        ("rules: [a, b]\n", "rules: must map rule ids to settings"),
        ("- just a list\n", "file: must be a mapping"),
        ("rules:\n  a: [\n", "line 3: not valid YAML"),
    ],
)
def test_a_bad_site_file_names_the_file_the_field_and_the_problem(knowledge, tmp_path, text, message) -> None:
    path = _site(tmp_path, text)
    with pytest.raises(SiteKnowledgeError) as raised:
        load_site(path, knowledge.rules())
    assert str(raised.value).startswith(f"{path}: ") and message in str(raised.value)


def test_a_missing_site_file_is_an_error_not_silence(knowledge, tmp_path) -> None:
    with pytest.raises(SiteKnowledgeError, match="cannot be read"):
        load_site(tmp_path / "absent.yaml", knowledge.rules())


def test_an_empty_site_file_changes_nothing(knowledge, tmp_path) -> None:
    assert load_site(_site(tmp_path, ""), knowledge.rules()).modes == {}


def test_a_bare_yaml_off_is_the_kill_switch(knowledge, tmp_path) -> None:
    """YAML 1.1 reads `off` as false; the owner meant the mode."""
    site = load_site(_site(tmp_path, "rules:\n  stress.relaxation: {mode: off}\n"), knowledge.rules())
    assert site.mode("stress.relaxation") is Mode.OFF
