"""The house layout of every card (cards/drafting.py), pinned so that mutation testing (README, Mutation testing)
notices any change to it.

The expected layout and limits are written here, not read back from `cards`:

| Item            | Expected                                                                  | Source                      |
|-----------------|---------------------------------------------------------------------------|-----------------------------|
| summary         | under 140 characters; a longer one is cut at a word (when the last word   | CDS Hooks 2.0, Card.summary |
|                 | break is in the second half of the 138 kept), trailing " ,;:-" dropped,   |                             |
|                 | and ends with an ellipsis (U+2026)                                         |                             |
| detail          | **Basis** table, notes, **Advice** bullets, **Evidence:** line, sources    | house layout                |
| table cell      | chart text escaped, on one line; an empty cell is "-"                     | house layout                |
| citations       | the source, the guideline, further reading, each once, in that order      | house layout                |
"""

from __future__ import annotations

import pytest

from cards.drafting import RuleInfo, basis_table, draft_card, fit_summary, render_detail
from cards.facts import BasisRow
from cards.model import Citation, Suggestion

ELLIPSIS = "\u2026"


@pytest.mark.parametrize("length", [0, 1, 100, 139])
def test_a_summary_under_140_characters_is_kept_as_it_is(length) -> None:
    summary = ("word " * 40)[:length]
    assert fit_summary(summary) == summary


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("a" * 100 + " " + "b" * 39, "a" * 100 + ELLIPSIS),  # exactly 140: cut at the last word
        ("a" * 100 + " " + "b" * 40, "a" * 100 + ELLIPSIS),
        ("ab " + "x" * 137, "ab " + "x" * 135 + ELLIPSIS),  # no break in the second half: cut at 138
        ("a" * 70 + " " + "b" * 69, "a" * 70 + ELLIPSIS),  # a break at 70 is in the second half
        ("a" * 69 + " " + "b" * 70, "a" * 69 + " " + "b" * 68 + ELLIPSIS),  # one at 69 is not
        ("a" * 90 + ",;:- " + "b" * 50, "a" * 90 + ELLIPSIS),  # trailing punctuation dropped
        ("a" * 90 + "-  " + "b" * 50, "a" * 90 + ELLIPSIS),
        ("a" * 99 + "X " + "b" * 50, "a" * 99 + "X" + ELLIPSIS),  # only those five characters are dropped
        ("a" * 137 + " " + "b" * 5, "a" * 137 + ELLIPSIS),  # the break at 137 is kept inside the 138
        ("a" * 138 + " " + "b" * 5, "a" * 138 + ELLIPSIS),  # the break falls outside the 138 kept
    ],
    ids=["140", "141", "no-break", "break-at-70", "break-at-69", "punctuation", "dash-and-spaces", "letter-kept", "break-at-137",
         "break-at-138"],
)
def test_a_long_summary_is_cut_at_a_word_with_an_ellipsis(summary, expected) -> None:
    fitted = fit_summary(summary)
    assert fitted == expected
    assert len(fitted) < 140


def test_the_basis_table_escapes_every_cell_and_shows_an_empty_one_as_a_dash() -> None:
    rows = [BasisRow("Magnesium *low*", "0.5 | mmol/L", "", "2026-11-20", "Observation/m1"),
            BasisRow("  ", "line\nbreak", "<b>x</b>", " 2026 ", "Condition/c1")]
    assert basis_table(rows) == (
        "| Basis | Value | Reference range | Date | Source |\n"
        "|---|---|---|---|---|\n"
        "| Magnesium \\*low\\* | 0.5 \\| mmol/L | - | 2026-11-20 | Observation/m1 |\n"
        "| - | line break | &lt;b&gt;x&lt;/b&gt; | 2026 | Condition/c1 |"
    )
    assert basis_table([]) == "| Basis | Value | Reference range | Date | Source |\n|---|---|---|---|---|"


ROW = BasisRow("Item", "Value", "Range", "2026-01-01", "Condition/x")
SOURCE = Citation("Source A", "https://a.example/")
GUIDELINE = Citation("Guideline B", "https://b.example/")
FURTHER = Citation("Further C", "https://c.example/")

DETAIL_WITHOUT_NOTES = (
    "**Basis**\n\n"
    "| Basis | Value | Reference range | Date | Source |\n"
    "|---|---|---|---|---|\n"
    "| Item | Value | Range | 2026-01-01 | Condition/x |\n\n"
    "**Advice**\n\n"
    "- First.\n"
    "- Second.\n\n"
    "**Evidence:** Some evidence.\n\n"
    "- [Source A](https://a.example/)"
)


def test_the_detail_layout_without_notes() -> None:
    assert render_detail([ROW], ["First.", "Second."], "Some evidence.", [SOURCE]) == DETAIL_WITHOUT_NOTES


def test_the_detail_layout_with_notes_and_several_sources() -> None:
    assert render_detail([ROW], ["First."], "E.", [SOURCE, FURTHER], ["Note one.", "Note two."]) == (
        "**Basis**\n\n"
        "| Basis | Value | Reference range | Date | Source |\n"
        "|---|---|---|---|---|\n"
        "| Item | Value | Range | 2026-01-01 | Condition/x |\n\n"
        "- Note one.\n"
        "- Note two.\n\n"
        "**Advice**\n\n"
        "- First.\n\n"
        "**Evidence:** E.\n\n"
        "- [Source A](https://a.example/)\n"
        "- [Further C](https://c.example/)"
    )


RULE = RuleInfo("test.rule", "A test rule")


def test_a_card_lists_source_guideline_and_further_reading_once_each_in_order() -> None:
    suggestion = Suggestion(key="k", label="L")
    card = draft_card(RULE, summary="S", indicator="warning", basis=[ROW], advice=["First."], evidence="E.",
                      source=SOURCE, guideline=GUIDELINE, further_reading=(FURTHER, SOURCE, GUIDELINE),
                      basis_notes=["N."], suggestions=[suggestion], selection_behavior="any", handout_topic="stress")
    assert (card.rule_id, card.title, card.summary, card.indicator) == ("test.rule", "A test rule", "S", "warning")
    assert card.source == SOURCE and card.guideline == GUIDELINE
    assert card.detail.endswith("**Evidence:** E.\n\n- [Source A](https://a.example/)\n"
                                "- [Guideline B](https://b.example/)\n- [Further C](https://c.example/)")
    assert "\n- N.\n" in card.detail
    assert card.suggestions == (suggestion,)
    assert card.selection_behavior == "any"
    assert card.handout_topic == "stress"


def test_a_card_without_a_guideline_offers_its_source_and_keeps_the_defaults() -> None:
    card = draft_card(RULE, summary="x " * 80, indicator="info", basis=[ROW], advice=["First.", "Second."],
                      evidence="Some evidence.", source=SOURCE)
    assert card.guideline == SOURCE
    assert card.detail == DETAIL_WITHOUT_NOTES
    assert card.summary == ("x " * 69).rstrip() + ELLIPSIS  # the summary is fitted
    assert card.suggestions == ()
    assert card.selection_behavior == "at-most-one"
    assert card.handout_topic is None


def test_a_rule_may_be_silenced_unless_it_says_otherwise() -> None:
    assert RuleInfo("a", "b").may_silence is True
