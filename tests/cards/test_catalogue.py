"""The rule catalogue is generated from what runs: every rule, described once, with the codes it reads."""

from __future__ import annotations

import json

import pytest

from cards.catalogue import (
    RULES_FILE,
    SOURCE_SCENARIOS,
    CatalogueError,
    as_json,
    as_text,
    build_catalogue,
    catalogue_document,
    shared_sentences,
)


def test_every_rule_is_in_the_catalogue_once_with_what_it_fires_on(knowledge) -> None:
    entries = build_catalogue(knowledge)
    assert [e.rule_id for e in entries] == [rule.rule_id for rule in knowledge.rules()]
    for entry in entries:
        assert entry.trigger and entry.value_sets and entry.mode == "active"
        assert entry.value_sets[0].id == "facial-twitching"  # every rule needs documented twitching


def test_codes_come_from_the_loaded_value_sets_with_their_displays(knowledge) -> None:
    magnesium = next(e for e in build_catalogue(knowledge) if e.rule_id == "electrolyte.magnesium.low")
    lab = next(vs for vs in magnesium.value_sets if vs.id == "lab-magnesium")
    assert {(c.system, c.code) for c in lab.codes} >= {("LOINC", "19123-9"), ("LOINC", "2601-3")}
    assert all(c.display for c in lab.codes)


def test_scenarios_are_the_golden_scenarios_that_expect_the_rule(knowledge) -> None:
    entries = {e.rule_id: e for e in build_catalogue(knowledge)}
    for folder in sorted(SOURCE_SCENARIOS.glob("*/expected.json"))[:40]:
        for card in json.loads(folder.read_text())["cards"]:
            assert folder.parent.name in entries[card["rule_id"]].scenarios
    assert all(entry.scenarios for entry in entries.values())  # every rule is exercised by a scenario
    assert all(not e.scenarios for e in build_catalogue(knowledge, scenarios_dir=None))


def test_the_catalogue_shows_the_site_modes(knowledge, tmp_path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text("rules:\n  stress.relaxation: {mode: silent}\n")
    entries = {e.rule_id: e for e in build_catalogue(knowledge.load_site(site))}
    assert entries["stress.relaxation"].mode == "silent"
    assert entries["redflag.urgent-review"].may_silence is False


@pytest.mark.parametrize(("change", "message"), [
    (lambda rules: rules.pop("stress.relaxation"), "stress.relaxation: rule not described"),
    (lambda rules: rules.update({"no.such.rule": {"trigger": "x", "reads": []}}), "no.such.rule: no such rule"),
    (lambda rules: rules["stress.relaxation"]["reads"].append("no-such-set"), "reads: no value set 'no-such-set'"),
])
def test_a_description_that_disagrees_with_the_rules_is_refused(knowledge, tmp_path, change, message) -> None:
    document = json.loads(RULES_FILE.read_text())
    change(document["rules"])
    edited = tmp_path / "rules.json"
    edited.write_text(json.dumps(document))
    with pytest.raises(CatalogueError, match=message):
        build_catalogue(knowledge, rules_file=edited)


def test_text_and_json_carry_the_same_rules(knowledge) -> None:
    entries = build_catalogue(knowledge)
    text = as_text(entries, shared_sentences(knowledge))
    assert all(e.rule_id in text for e in entries) and "cannot be silenced" in text
    assert "shared.valproate (sentences several rules use)" in text
    document = catalogue_document(knowledge, entries)
    assert set(document["shared_wording"]) == {"shared.botulinum", "shared.draft-removal", "shared.electrolytes",
                                               "shared.valproate"}
    assert [item["rule_id"] for item in as_json(entries)] == [e.rule_id for e in entries]


def test_figures_in_triggers_are_the_thresholds_that_run(knowledge, tmp_path) -> None:
    entries = {e.rule_id: e for e in build_catalogue(knowledge)}
    assert "documented for 90 days or more" in entries["refractory.botulinum-toxin"].trigger
    assert "(below 1.2 mg/dL) or severe (below 1 mg/dL)" in entries["electrolyte.magnesium.low"].trigger
    assert "[" not in "".join(entry.trigger for entry in entries.values())  # every figure was filled in
    site = tmp_path / "site.yaml"
    site.write_text("thresholds:\n  refractory.after-days: 120\n")
    tuned = {e.rule_id: e for e in build_catalogue(knowledge.load_site(site))}
    assert "documented for 120 days or more" in tuned["refractory.botulinum-toxin"].trigger
    figure = next(t for t in tuned["refractory.botulinum-toxin"].thresholds if t.id == "refractory.after-days")
    assert (figure.value, figure.shipped, figure.unit, figure.bounds) == (120, 90, "d", (30, 180))


def test_a_trigger_naming_no_threshold_is_refused(knowledge, tmp_path) -> None:
    document = json.loads(RULES_FILE.read_text())
    document["rules"]["stress.relaxation"]["trigger"] += " Within [stress.window-days]."
    edited = tmp_path / "rules.json"
    edited.write_text(json.dumps(document))
    with pytest.raises(CatalogueError, match=r"stress.relaxation.trigger: no threshold \[stress.window-days\]"):
        build_catalogue(knowledge, rules_file=edited)


def test_each_rule_lists_its_thresholds_sentences_and_override_reasons(knowledge, tmp_path) -> None:
    entries = {e.rule_id: e for e in build_catalogue(knowledge)}
    assert {t.id for t in entries["electrolyte.sodium.low"].thresholds} >= {
        "sodium.severe-below", "sodium.moderate-below", "sodium.correction-max", "sodium.high-risk-below"}
    assert {t.id for t in entries["order.magnesium.renal"].thresholds} >= {"egfr.ckd-below", "egfr.severe-ckd-below"}
    sentences = {s.key: s for s in entries["stress.relaxation"].sentences}
    assert sentences["summary"].text.startswith("Facial twitching with stress") and not sentences["summary"].site_changed
    assert [r.code for r in entries["stress.relaxation"].override_reasons] == [
        "already-addressed", "patient-declined", "not-relevant", "disagree"]
    site = tmp_path / "site.yaml"
    site.write_text("wording:\n  stress.relaxation: {summary: 'Stress and twitching: rest first'}\n")
    tuned = {s.key: s for s in next(e for e in build_catalogue(knowledge.load_site(site))
                                    if e.rule_id == "stress.relaxation").sentences}
    assert tuned["summary"].site_changed and tuned["summary"].text == "Stress and twitching: rest first"
    assert not tuned["evidence"].site_changed


def test_the_described_indicator_covers_every_indicator_the_scenarios_see(knowledge) -> None:
    seen: dict[str, set[str]] = {}
    for expected in SOURCE_SCENARIOS.glob("*/expected.json"):
        for card in json.loads(expected.read_text())["cards"]:
            seen.setdefault(card["rule_id"], set()).add(card["indicator"])
    for entry in build_catalogue(knowledge):
        assert all(indicator in entry.indicator for indicator in seen.get(entry.rule_id, ())), entry.rule_id
