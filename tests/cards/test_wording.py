"""Sentence templates: slots are plain names, a site's sentence keeps exactly the shipped slots, and every refusal
says what to do."""

from __future__ import annotations

import pytest

from cards.wording import RuleWording, Template, Wording, WordingError

SHIPPED = Wording.of({"r.one": RuleWording.parse("r.one", {
    "summary": "Low {name}: {action}",
    "advice.limits": "No more than {careful}-{maximum} a day; {careful} if at risk ({risks}).",
    "evidence": "Plain text, no slots.",
})})


@pytest.mark.parametrize("text", ["{x:10}", "{x!r}", "{x.y}", "{x[0]}", "{X}", "{1x}"])
def test_only_plain_lower_case_names_are_slots(text) -> None:
    with pytest.raises(WordingError, match=r"r.one.advice: \{.*\} is not a slot: write slots as \{lower_case_name\}, "
                                           r"and literal braces as \{\{ and \}\}"):
        Template.parse(text, "r.one", "advice")


def test_literal_braces_are_text_not_slots() -> None:
    template = Template.parse("Use {{braces}} around {name}.", "r.one", "advice")
    assert template.slots == {"name"} and template.fill({"name": "it"}) == "Use {braces} around it."


@pytest.mark.parametrize(("key", "length", "refused"), [
    ("summary", 110, False), ("summary", 111, True), ("summary.variant", 111, True), ("summary.a.b", 111, True),
    ("advice.summary", 300, False), ("summaryish", 300, False),
])
def test_a_summary_is_any_key_under_summary_and_its_text_is_at_most_110(key, length, refused) -> None:
    text = "x" * length
    if refused:
        with pytest.raises(WordingError, match=f"r.one.{key}: a summary's text is at most 110 characters besides its "
                                               f"slots \\(this one has {length}\\)"):
            Template.parse(text + "{name}", "r.one", key)
    else:
        assert Template.parse(text + "{name}", "r.one", key).slots == {"name"}


def test_filling_with_the_wrong_slots_is_a_programming_error_naming_both_sets() -> None:
    with pytest.raises(KeyError, match=r"template slots \['action', 'name'\] filled with \['name'\]"):
        SHIPPED.rule("r.one")("summary", name="sodium")


def test_a_site_sentence_must_keep_every_slot_and_add_none() -> None:
    with pytest.raises(WordingError, match=r"wording.r.one.advice.limits: keep the slot\(s\) \{maximum\}, \{risks\}$"):
        SHIPPED.with_overrides({("r.one", "advice.limits"): "At most {careful} a day."})
    with pytest.raises(WordingError, match=r"wording.r.one.summary: keep the slot\(s\) \{action\}; unknown slot\(s\) "
                                           r"\{what\}, \{why\}$"):
        SHIPPED.with_overrides({("r.one", "summary"): "Low {name}: {what} because {why}"})


def test_a_site_sentence_for_an_unknown_key_lists_the_rules_sentences() -> None:
    with pytest.raises(WordingError, match=r"wording.r.one.headline: no such sentence \(this rule has: advice.limits, "
                                           r"evidence, summary\)"):
        SHIPPED.with_overrides({("r.one", "headline"): "x"})


def test_a_site_sentence_replaces_only_itself_and_the_shipped_text_is_kept() -> None:
    tuned = SHIPPED.with_overrides({("r.one", "evidence"): "Reworded."})
    assert tuned.rule("r.one")("evidence") == "Reworded." and tuned.rule("r.one")("summary", name="a", action="b") == \
        "Low a: b"
    assert SHIPPED.rule("r.one")("evidence") == "Plain text, no slots." == tuned.shipped["r.one"].templates[
        "evidence"].text
    again = tuned.with_overrides({("r.one", "summary"): "{name} low: {action}"})
    assert again.rule("r.one")("evidence") == "Plain text, no slots."  # overrides apply to the shipped text
