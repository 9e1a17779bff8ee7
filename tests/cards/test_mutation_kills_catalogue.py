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

from cards.catalogue import (
    Code,
    ReasonEntry,
    RuleEntry,
    SentenceEntry,
    ThresholdEntry,
    ValueSetEntry,
    as_text,
    build_catalogue,
    shown,
)
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
