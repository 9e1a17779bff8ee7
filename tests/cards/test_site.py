"""Site file: each rule's mode (active, silent, off), validated against the rules that exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import lab, patient_view, rule_ids, twitching
from cards.site import Mode, SiteKnowledgeError

LOW_MAGNESIUM = lab("19123-9", 1.5, "mg/dL")
SEVERE_CALCIUM = lab("17861-6", 6.0, "mg/dL")  # severe: the red-flag card too


def _site(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text)
    return path


def test_no_file_means_every_rule_is_active(knowledge) -> None:
    site = knowledge.load_site(None).site
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
        ("colours: {}\n", "colours: unknown key (known: rules, thresholds, wording)"),
        ("rules: [a, b]\n", "rules: must be a mapping, e.g. `stress.relaxation: {mode: silent}`"),
        ("thresholds:\n  no.such: 3\n", "thresholds.no.such: no such threshold"),
        ("thresholds:\n  refractory.after-days: 10\n",
         "thresholds.refractory.after-days: 10 d is outside the safe bounds 30-180 d"),
        ("thresholds:\n  egfr.ckd-below: 45\n", "thresholds.egfr.ckd-below: 45 mL/min/1.73m2 is outside the safe bounds"),
        ("thresholds:\n  refractory.after-days: ninety\n",
         "thresholds.refractory.after-days: must be a number in d, e.g. `refractory.after-days: 90`"),
        ("thresholds:\n  refractory.after-days: true\n", "thresholds.refractory.after-days: must be a number"),
        ("thresholds:\n  refractory.after-days: 90.5\n", "thresholds.refractory.after-days: must be a whole number of days"),
        ("thresholds:\n  magnesium.severe-below: 1.2\n  magnesium.moderate-below: 1.1\n",
         "thresholds.magnesium.severe-below: must stay below magnesium.moderate-below (1.2 is not below 1.1)"),
        ("thresholds: [1]\n", "thresholds: must be a mapping"),
        ("wording:\n  no.such.rule: {summary: x}\n", "wording.no.such.rule: no such rule with wording"),
        ("wording:\n  stress.relaxation: {headline: x}\n", "wording.stress.relaxation.headline: no such sentence"),
        ("wording:\n  stress.relaxation: plain\n", "wording.stress.relaxation: must map sentence keys to text"),
        ("wording:\n  stress.relaxation: {summary: ''}\n", "wording.stress.relaxation.summary: must be non-empty text"),
        ("wording:\n  stress.relaxation: {summary: 42}\n", "wording.stress.relaxation.summary: must be non-empty text"),
        ("wording:\n  stress.relaxation: {summary: 'Stress {who}'}\n",
         "wording.stress.relaxation.summary: unknown slot(s) {who}"),
        ("wording:\n  stress.relaxation: {summary: 'Stress {0}'}\n", "{0} is not a slot"),
        ("wording:\n  stress.relaxation: {summary: 'Stress {'}\n", "unbalanced braces"),
        ("wording:\n  stress.relaxation: {advice.sleep: 'Sleep <b>well</b>'}\n", "no raw HTML"),
        ("wording:\n  stress.relaxation: {advice.sleep: 'Sleep ![x](http://e.example/p.png)'}\n", "Markdown images"),
        ("wording:\n  stress.relaxation: {summary: '" + "x" * 111 + "'}\n", "a summary's text is at most 110"),
        ("- just a list\n", "file: must be a mapping"),
        ("rules:\n  a: [\n", "line 3: not valid YAML"),
    ],
)
def test_a_bad_site_file_names_the_file_the_field_and_the_problem(knowledge, tmp_path, text, message) -> None:
    path = _site(tmp_path, text)
    with pytest.raises(SiteKnowledgeError) as raised:
        knowledge.load_site(path).site
    assert str(raised.value).startswith(f"{path}: ") and message in str(raised.value)


def test_a_missing_site_file_is_an_error_not_silence(knowledge, tmp_path) -> None:
    with pytest.raises(SiteKnowledgeError, match="cannot be read"):
        knowledge.load_site(tmp_path / "absent.yaml").site


def test_an_empty_site_file_changes_nothing(knowledge, tmp_path) -> None:
    assert knowledge.load_site(_site(tmp_path, "")).site.modes == {}


def test_a_bare_yaml_off_is_the_kill_switch(knowledge, tmp_path) -> None:
    """YAML 1.1 reads `off` as false; the owner meant the mode."""
    site = knowledge.load_site(_site(tmp_path, "rules:\n  stress.relaxation: {mode: off}\n")).site
    assert site.mode("stress.relaxation") is Mode.OFF
