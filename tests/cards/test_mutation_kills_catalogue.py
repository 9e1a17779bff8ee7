"""The rule catalogue a CDS committee reviews (cards/catalogue), pinned so that mutation testing (README, Mutation
testing) notices any change to how it states a rule.

The expected text is written here, not read back from `cards`:

| Item               | Expected                                                                           |
|--------------------|------------------------------------------------------------------------------------|
| a figure           | "90 days" (unit d), "12 years" (unit a), "1.2 mg/dL" (any other unit), `:g` format |
| a rule's heading   | `<id> [<mode>] (<hook>)`, ", cannot be silenced" after the mode when it cannot be   |
| codes              | the first six as "<system> <code> <display>", then "; +N more"                      |
| a site's figure    | "(site; shipped <value>)" after the unit                                           |
| a site's sentence  | "(site)" after its key                                                             |
| the hook           | "order-select, order-sign" for order rules, else "patient-view"                     |
"""

from __future__ import annotations

import json

from builders import edit_valueset
from cards.catalogue import (
    RULES_FILE,
    Code,
    ReasonEntry,
    RuleEntry,
    SentenceEntry,
    ThresholdEntry,
    ValueSetEntry,
    as_text,
    build_catalogue,
    catalogue_document,
    shown,
)
from cards.handout_library import load_handouts
from cards.knowledge import KNOWLEDGE_VERSION, Knowledge
from cards.knowledge_files import load_override_reasons, load_thresholds, load_wording
from cards.terminology import load_terminology
from cards.thresholds import Limit


def _entry(**changes) -> RuleEntry:
    fields = dict(
        rule_id="x.rule", title="A rule", hook="patient-view", trigger="Fires on x.", indicator="info or warning",
        mode="active", may_silence=True, value_sets=(), thresholds=(), sentences=(), override_reasons=(),
        scenarios=(),
    )
    fields.update(changes)
    return RuleEntry(**fields)


def test_a_rule_in_full_as_text() -> None:
    codes = tuple(Code("LOINC", f"{n}-0", f"Display {n}") for n in range(1, 9))
    entry = _entry(
        may_silence=False, mode="silent", hook="order-select, order-sign",
        value_sets=(ValueSetEntry("lab-x", codes), ValueSetEntry("families", ()),
                    ValueSetEntry("six", codes[:6]), ValueSetEntry("nameless", (Code("SNOMED CT", "123", ""),))),
        thresholds=(ThresholdEntry("x.days", 120.0, "d", 90.0, (30.0, 180.0), "Source S"),
                    ThresholdEntry("x.level", 1.2, "mg/dL", 1.2, (0.5, 1.5), "Source T")),
        sentences=(SentenceEntry("summary", "S", True), SentenceEntry("evidence", "E", False)),
        override_reasons=(ReasonEntry("r", "R", 3),),
        scenarios=("scenario-a", "scenario-b"),
    )
    shared = {"shared.x": (SentenceEntry("one", "1", False), SentenceEntry("two", "2", True))}
    assert as_text([entry], shared) == "\n".join([
        "x.rule [silent, cannot be silenced] (order-select, order-sign)",
        "  A rule",
        "  Fires: Fires on x.",
        "  Indicator: info or warning",
        "  Reads lab-x: LOINC 1-0 Display 1; LOINC 2-0 Display 2; LOINC 3-0 Display 3; LOINC 4-0 Display 4; "
        "LOINC 5-0 Display 5; LOINC 6-0 Display 6; +2 more",
        "  Reads families: code families and text terms only",
        "  Reads six: LOINC 1-0 Display 1; LOINC 2-0 Display 2; LOINC 3-0 Display 3; LOINC 4-0 Display 4; "
        "LOINC 5-0 Display 5; LOINC 6-0 Display 6",
        "  Reads nameless: SNOMED CT 123",
        "  Threshold x.days = 120 d (site; shipped 90), may be set 30-180 (Source S)",
        "  Threshold x.level = 1.2 mg/dL, may be set 0.5-1.5 (Source T)",
        "  Sentences: summary (site), evidence",
        "  Scenarios: scenario-a, scenario-b",
        "",
        "shared.x (sentences several rules use): one, two (site)",
    ])


def test_a_plain_rule_as_text() -> None:
    assert as_text([_entry(), _entry(rule_id="y.rule")], {}) == "\n".join([
        "x.rule [active] (patient-view)", "  A rule", "  Fires: Fires on x.", "  Indicator: info or warning",
        "  Sentences: ", "",
        "y.rule [active] (patient-view)", "  A rule", "  Fires: Fires on x.", "  Indicator: info or warning",
        "  Sentences: ", "",
    ])


def test_figures_are_said_as_a_reader_says_them(knowledge) -> None:
    parameters = knowledge.thresholds.parameters
    assert shown(parameters[Limit.REFRACTORY_AFTER_DAYS]) == "90 days"
    assert shown(parameters[Limit.REFRACTORY_AFTER_DAYS], 120) == "120 days"
    assert shown(parameters[Limit.BOTULINUM_MIN_AGE_YEARS]) == "12 years"
    assert shown(parameters[Limit.BOTULINUM_MIN_AGE_YEARS], 0) == "0 years"  # a value of 0 is a value
    magnesium = next(p for p in parameters.values() if p.unit == "mg/dL" and p.value == 1.2)
    assert shown(magnesium) == "1.2 mg/dL"
    assert shown(magnesium, 1.0) == "1 mg/dL"


def test_order_rules_are_for_the_order_hooks_and_the_others_for_patient_view(knowledge) -> None:
    entries = {e.rule_id: e for e in build_catalogue(knowledge)}
    order_rules = {rule.rule_id for rule in knowledge.order_rules()}
    assert order_rules and order_rules < set(entries)
    for rule_id, entry in entries.items():
        assert entry.hook == ("order-select, order-sign" if rule_id in order_rules else "patient-view")
    assert entries["order.botulinum.under-licensed-age"].hook == "order-select, order-sign"
    assert entries["stress.relaxation"].hook == "patient-view"
    assert entries["stress.relaxation"].title == "Facial twitching with stress, anxiety, poor sleep or low mood"
    assert entries["stress.relaxation"].may_silence is True


def test_a_value_set_lists_its_codes_with_short_system_names_and_displays(knowledge) -> None:
    entries = {e.rule_id: e for e in build_catalogue(knowledge)}
    stress = {vs.id: vs for vs in entries["stress.relaxation"].value_sets}
    twitching = {(c.system, c.code): c.display for c in stress["facial-twitching"].codes}
    assert twitching[("SNOMED CT", "13753008")] == "Hemifacial spasm"
    assert twitching[("ICD-10-CM", "G24.5")] == "Blepharospasm"


def test_each_threshold_entry_carries_its_source_and_bounds(knowledge) -> None:
    entries = {e.rule_id: e for e in build_catalogue(knowledge)}
    figure = next(t for t in entries["refractory.botulinum-toxin"].thresholds if t.id == "refractory.after-days")
    assert (figure.value, figure.shipped, figure.unit, figure.bounds) == (90, 90, "d", (30, 180))
    assert figure.source  # the source text itself is the data mutator's


def test_seven_codes_show_six_and_one_more() -> None:
    codes = tuple(Code("LOINC", f"{n}-0", f"D{n}") for n in range(1, 8))
    text = as_text([_entry(value_sets=(ValueSetEntry("seven", codes),))], {})
    assert "  Reads seven: LOINC 1-0 D1; LOINC 2-0 D2; LOINC 3-0 D3; LOINC 4-0 D4; LOINC 5-0 D5; LOINC 6-0 D6; +1 more" \
        in text.split("\n")


# The reviewed override reasons and their snooze windows, as the cards offer them (their values are also pinned by
# the data mutator, `reasons` kind); here they check that the catalogue carries each field.
OVERRIDE_REASONS = [("already-addressed", "Already addressed", 30), ("patient-declined", "Patient declined", 90),
                    ("not-relevant", "Not relevant for this patient", 180),
                    ("disagree", "Disagree with recommendation", 0)]


def test_every_rule_carries_the_override_reasons_with_their_displays_and_snooze_days(knowledge) -> None:
    for entry in build_catalogue(knowledge):
        assert [(r.code, r.display, r.snooze_days) for r in entry.override_reasons] == OVERRIDE_REASONS


def test_without_scenarios_every_rule_lists_an_empty_tuple(knowledge) -> None:
    assert {e.scenarios for e in build_catalogue(knowledge, scenarios_dir=None)} == {()}


def test_the_catalogue_document_has_the_version_the_rules_and_the_shared_wording(knowledge) -> None:
    entries = build_catalogue(knowledge)
    document = catalogue_document(knowledge, entries)
    assert list(document) == ["knowledge_version", "rules", "shared_wording"]
    assert document["knowledge_version"] == knowledge.version
    assert [rule["rule_id"] for rule in document["rules"]] == [e.rule_id for e in entries]


def test_a_code_from_a_system_without_a_short_name_is_listed_by_its_uri(knowledge, tmp_path) -> None:
    document = json.loads(RULES_FILE.read_text())
    document["rules"]["stress.relaxation"]["reads"].append("answer-positive")
    edited = tmp_path / "rules.json"
    edited.write_text(json.dumps(document))
    entry = next(e for e in build_catalogue(knowledge, rules_file=edited) if e.rule_id == "stress.relaxation")
    answers = next(vs for vs in entry.value_sets if vs.id == "answer-positive")
    assert answers.codes == (Code("SNOMED CT", "10828004", "Positive"),
                             Code("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "POS",
                                  "Positive"))


def test_a_listed_code_without_a_display_is_listed_with_an_empty_one(knowledge, valueset_copy) -> None:
    edit_valueset(valueset_copy, "tetany", lambda d: d["compose"]["include"][0]["concept"][0].pop("display"))
    bare = Knowledge(load_terminology(valueset_copy, version=KNOWLEDGE_VERSION), load_handouts(), load_thresholds(),
                     load_wording(), load_override_reasons())
    entry = next(e for e in build_catalogue(bare) if e.rule_id == "redflag.urgent-review")
    tetany = next(vs for vs in entry.value_sets if vs.id == "tetany")
    assert tetany.codes == (Code("ICD-10-CM", "R29.0", ""),)
