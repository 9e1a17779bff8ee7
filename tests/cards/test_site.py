"""Site file: each rule's mode (active, silent, off), validated against the rules that exist."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from builders import TODAY, card_for, condition, lab, patient_view, rule_ids, twitching
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


# --- thresholds and wording: the site's figures and sentences are the ones that run ------------------------------

NORMAL_LABS = (lab("19123-9", 2.0, "mg/dL"), lab("2823-3", 4.2, "mmol/L"), lab("2951-2", 140, "mmol/L"),
               lab("17861-6", 9.6, "mg/dL"))


def _days_ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def test_a_site_threshold_moves_the_refractory_window(knowledge, tmp_path) -> None:
    persisting = twitching("568005", onset=_days_ago(100))
    assert "refractory.botulinum-toxin" in rule_ids(patient_view(knowledge, persisting, *NORMAL_LABS))
    tuned = knowledge.load_site(_site(tmp_path, "thresholds:\n  refractory.after-days: 120\n"))
    assert "refractory.botulinum-toxin" not in rule_ids(patient_view(tuned, persisting, *NORMAL_LABS))
    later = patient_view(tuned, twitching("568005", onset=_days_ago(120)), *NORMAL_LABS)
    assert "documented for 120 days or more" in card_for(later, "refractory.botulinum-toxin").detail


def test_a_site_severity_band_regrades_a_result(knowledge, tmp_path) -> None:
    moderate = card_for(patient_view(knowledge, twitching(), lab("19123-9", 1.1, "mg/dL")), "electrolyte.magnesium.low")
    assert moderate.indicator == "warning" and "(moderate)" in moderate.summary
    tuned = knowledge.load_site(_site(tmp_path, "thresholds:\n  magnesium.severe-below: 1.2\n"
                                                "  magnesium.moderate-below: 1.5\n"))
    severe = card_for(patient_view(tuned, twitching(), lab("19123-9", 1.1, "mg/dL")), "electrolyte.magnesium.low")
    assert severe.indicator == "critical" and "(severe)" in severe.summary
    assert "redflag.urgent-review" in rule_ids(patient_view(tuned, twitching(), lab("19123-9", 1.1, "mg/dL")))


def test_a_site_kidney_cut_off_withholds_potassium_earlier(knowledge, tmp_path) -> None:
    chart = (twitching(), lab("2823-3", 3.2, "mmol/L"), lab("33914-3", 65, "mL/min/{1.73_m2}"))
    shipped = card_for(patient_view(knowledge, *chart), "electrolyte.potassium.low")
    assert [s.key for s in shipped.suggestions] == ["potassium-supplement"]
    tuned = knowledge.load_site(_site(tmp_path, "thresholds:\n  egfr.ckd-below: 70\n"))
    card = card_for(patient_view(tuned, *chart), "electrolyte.potassium.low")
    assert card.suggestions == () and "No potassium supplement is proposed because of chronic kidney disease" in card.detail
    assert "CKD below 70, severe below 30" in card.detail


def test_site_wording_replaces_a_sentence_and_keeps_its_slots(knowledge, tmp_path) -> None:
    tuned = knowledge.load_site(_site(tmp_path, """
wording:
  electrolyte.sodium.low:
    advice.high-risk: "High-risk patient ({risks}): at most {careful} mmol/L in the first 24 hours."
  shared.electrolytes:
    summary: "{name} {value}, {severity}, with twitching: {action}"
"""))
    card = card_for(patient_view(tuned, twitching(), lab("2951-2", 112, "mmol/L")), "electrolyte.sodium.low")
    assert card.summary == "Low sodium 112 mmol/L, severe, with twitching: find the cause; correct slowly"
    assert "High-risk patient (sodium below 115 mmol/L): at most 8 mmol/L in the first 24 hours." in card.detail
    assert "This patient is high-risk" not in card.detail
    untouched = card_for(patient_view(knowledge, twitching(), lab("2951-2", 112, "mmol/L")), "electrolyte.sodium.low")
    assert "This patient is high-risk (sodium below 115 mmol/L)" in untouched.detail


def test_site_wording_with_markdown_in_it_renders_as_written(knowledge, tmp_path) -> None:
    tuned = knowledge.load_site(_site(tmp_path, "wording:\n  stress.relaxation:\n"
                                                "    advice.sleep: 'Aim for **regular** sleep.'\n"))
    card = card_for(patient_view(tuned, twitching(), condition("73595000")), "stress.relaxation")
    assert "- Aim for **regular** sleep." in card.detail


def test_a_too_long_summary_from_site_wording_is_cut_not_failed(knowledge, tmp_path) -> None:
    long_name = "Low magnesium " + "very " * 20
    tuned = knowledge.load_site(_site(tmp_path, f"wording:\n  electrolyte.magnesium.low:\n    name: '{long_name}'\n"))
    card = card_for(patient_view(tuned, twitching(), LOW_MAGNESIUM), "electrolyte.magnesium.low")
    assert len(card.summary) < 140 and card.summary.endswith("\u2026")


def test_the_site_file_changes_the_knowledge_version(knowledge, tmp_path) -> None:
    tuned = knowledge.load_site(_site(tmp_path, "thresholds:\n  refractory.after-days: 120\n"))
    other = knowledge.load_site(_site(tmp_path, "thresholds:\n  refractory.after-days: 121\n"))
    same = knowledge.load_site(_site(tmp_path, "thresholds:\n  refractory.after-days: 121\n"))
    assert tuned.version.startswith(knowledge.version + ".site-") and tuned.version != other.version
    assert other.version == same.version
    assert knowledge.load_site(_site(tmp_path, "")).version == knowledge.version
