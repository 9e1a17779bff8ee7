"""Calcium graded on albumin-adjusted calcium: a low total explained by low albumin is not hypocalcaemia.

Expected values are worked out here from the published formula, not read back from the knowledge data:
Payne RB, Little AJ, Williams RB, Milner JR. BMJ 1973;4:643-6 — adjusted Ca (mmol/L) = total Ca (mmol/L) +
0.02 x (40 - albumin g/L), equivalently + 0.8 x (4.0 - albumin g/dL) in mg/dL. Not used below albumin 20 g/L.
Calcium 1 mg/dL = 0.2495 mmol/L. Severe: adjusted calcium below 1.9 mmol/L (Society for Endocrinology 2016).
Adult (18-59 y) total-calcium interval 8.6-10.0 mg/dL = 2.146-2.495 mmol/L (Mayo Clinic Laboratories).
"""

from __future__ import annotations

import pytest

from builders import card_for, lab, patient_view, rule_ids, twitching

CALCIUM = "electrolyte.calcium.low"
RED_FLAG = "redflag.urgent-review"
TOTAL_MASS, TOTAL_MOLAR, ADJUSTED, IONIZED, ALBUMIN = "17861-6", "2000-8", "29265-6", "1995-0", "1751-7"


def _payne(total_mmol: float, albumin_g_per_l: float) -> float:
    return total_mmol + 0.02 * (40 - albumin_g_per_l)


def _cards(knowledge, *labs):
    return patient_view(knowledge, twitching(), *labs)


@pytest.mark.parametrize("albumin", [lab(ALBUMIN, 2.0, "g/dL"), lab(ALBUMIN, 20, "g/L"),
                                     lab(ALBUMIN, 20, None, unit_code="g/L"), lab(ALBUMIN, 2000, "mg/dL")])
def test_low_total_calcium_with_low_albumin_is_not_called_critical(knowledge, albumin) -> None:
    # 7.6 mg/dL = 1.896 mmol/L: severe if read alone; adjusted for albumin 20 g/L it is 2.296, normal.
    assert _payne(7.6 * 0.2495, 20) > 2.146
    evaluation = _cards(knowledge, lab(TOTAL_MASS, 7.6, "mg/dL"), albumin)
    assert CALCIUM not in rule_ids(evaluation) and RED_FLAG not in rule_ids(evaluation)


def test_total_calcium_alone_is_still_graded_severe(knowledge) -> None:
    evaluation = _cards(knowledge, lab(TOTAL_MASS, 7.6, "mg/dL"))
    assert card_for(evaluation, CALCIUM).indicator == "critical" and RED_FLAG in rule_ids(evaluation)


def test_calculated_adjusted_calcium_decides_and_states_formula_source_and_inputs(knowledge) -> None:
    # 8.0 mg/dL (1.996 mmol/L) with albumin 3.8 g/dL (38 g/L): adjusted 2.036 mmol/L, below 2.146: mild.
    expected = _payne(8.0 * 0.2495, 38)
    card = card_for(_cards(knowledge, lab(TOTAL_MASS, 8.0, "mg/dL"), lab(ALBUMIN, 3.8, "g/dL")), CALCIUM)
    assert card.indicator == "info"
    assert card.summary.startswith(f"Low adjusted calcium {expected:.2f} mmol/L (mild)")
    for text in ("8.0 mg/dL", "3.8 g/dL (38 g/L)", "0.02 x (40 - albumin in g/L)", "Payne", "estimate",
                 "measure ionized calcium", "doi.org/10.1136/bmj.4.5893.643"):
        assert text in card.detail, text


def test_calculated_adjusted_calcium_can_be_severe(knowledge) -> None:
    # 1.60 mmol/L with albumin 35 g/L: adjusted 1.70, below 1.9: severe, red flag too.
    assert _payne(1.60, 35) < 1.9
    evaluation = _cards(knowledge, lab(TOTAL_MOLAR, 1.60, "mmol/L"), lab(ALBUMIN, 35, "g/L"))
    assert card_for(evaluation, CALCIUM).indicator == "critical" and RED_FLAG in rule_ids(evaluation)


@pytest.mark.parametrize(("total", "severe"), [(1.71, False), (1.69, True)])
def test_severe_cut_off_applies_to_the_adjusted_value(knowledge, total, severe) -> None:
    # Albumin 30 g/L adds 0.20 mmol/L: 1.71 -> 1.91 (mild), 1.69 -> 1.89 (severe, below 1.9).
    card = card_for(_cards(knowledge, lab(TOTAL_MOLAR, total, "mmol/L"), lab(ALBUMIN, 30, "g/L")), CALCIUM)
    assert (card.indicator == "critical") is severe


def test_below_20_g_per_l_albumin_does_not_adjust_and_says_why(knowledge) -> None:
    evaluation = _cards(knowledge, lab(TOTAL_MASS, 7.6, "mg/dL"), lab(ALBUMIN, 1.9, "g/dL"))
    card = card_for(evaluation, CALCIUM)
    assert card.indicator == "critical"
    assert "below 20 g/L" in card.detail and "unreliable" in card.detail and "measure ionized calcium" in card.detail
    assert "Low calcium 7.6 mg/dL" in card.summary


@pytest.mark.parametrize(("albumin_date", "paired"), [("2026-11-20", True), ("2026-11-19", True),
                                                      ("2026-11-21", True), ("2026-11-18", False)])
def test_albumin_must_be_from_the_same_day_or_the_next_or_previous(knowledge, albumin_date, paired) -> None:
    evaluation = _cards(knowledge, lab(TOTAL_MASS, 7.6, "mg/dL", when="2026-11-20"),
                        lab(ALBUMIN, 2.0, "g/dL", when=albumin_date))
    if paired:
        assert CALCIUM not in rule_ids(evaluation)
    else:
        card = card_for(evaluation, CALCIUM)
        assert card.indicator == "critical" and "not from the same day" in card.detail


@pytest.mark.parametrize("albumin", [lab(ALBUMIN, 580, "umol/L"), lab(ALBUMIN, 40, "g/dL")])
def test_unreadable_or_impossible_albumin_is_named_not_used(knowledge, albumin) -> None:
    # 580 umol/L is not a unit we convert; 40 g/dL (400 g/L) cannot exist: a g/L value sent as g/dL.
    card = card_for(_cards(knowledge, lab(TOTAL_MASS, 7.6, "mg/dL"), albumin), CALCIUM)
    assert card.indicator == "critical" and "could not be read as g/L" in card.detail


def test_hostile_albumin_unit_text_is_escaped(knowledge) -> None:
    albumin = lab(ALBUMIN, 3.5, "<img src=x onerror=alert(1)>")
    card = card_for(_cards(knowledge, lab(TOTAL_MASS, 7.6, "mg/dL"), albumin), CALCIUM)
    assert "<img" not in card.detail and "&lt;img" in card.detail


def test_laboratory_adjusted_calcium_is_used_rather_than_recalculated(knowledge) -> None:
    # The lab's own adjusted value, 2.25 mmol/L, is normal: no card even though the total alone is severe and the
    # albumin on the chart would give a different answer.
    evaluation = _cards(knowledge, lab(TOTAL_MASS, 7.6, "mg/dL"), lab(ADJUSTED, 2.25, "mmol/L"),
                        lab(ALBUMIN, 4.0, "g/dL"))
    assert CALCIUM not in rule_ids(evaluation)


def test_low_laboratory_adjusted_calcium_decides_and_says_so(knowledge) -> None:
    evaluation = _cards(knowledge, lab(TOTAL_MASS, 8.9, "mg/dL"), lab(ADJUSTED, 1.85, "mmol/L"))
    card = card_for(evaluation, CALCIUM)
    assert card.indicator == "critical" and card.summary.startswith("Low adjusted calcium 1.85 mmol/L (severe)")
    assert "laboratory's albumin-adjusted calcium" in card.detail and "8.9 mg/dL" in card.detail


def test_an_older_laboratory_adjusted_value_does_not_outrank_a_newer_total(knowledge) -> None:
    evaluation = _cards(knowledge, lab(TOTAL_MASS, 7.6, "mg/dL", when="2026-11-20"),
                        lab(ADJUSTED, 2.3, "mmol/L", when="2026-11-10"))
    assert card_for(evaluation, CALCIUM).indicator == "critical"


def test_measured_ionized_calcium_outranks_any_adjustment(knowledge) -> None:
    evaluation = _cards(knowledge, lab(TOTAL_MASS, 8.0, "mg/dL"), lab(ALBUMIN, 4.0, "g/dL"),
                        lab(IONIZED, 1.2, "mmol/L"))
    assert CALCIUM not in rule_ids(evaluation)


def test_magnesium_card_counts_calcium_low_only_when_the_adjusted_value_is(knowledge) -> None:
    low_magnesium = lab("19123-9", 1.5, "mg/dL")
    normal = card_for(_cards(knowledge, low_magnesium, lab(TOTAL_MASS, 7.6, "mg/dL"), lab(ALBUMIN, 2.0, "g/dL")),
                      "electrolyte.magnesium.low")
    low = card_for(_cards(knowledge, low_magnesium, lab(TOTAL_MASS, 8.0, "mg/dL"), lab(ALBUMIN, 3.8, "g/dL")),
                   "electrolyte.magnesium.low")
    assert "Calcium is also low" not in normal.detail and "Calcium is also low" in low.detail
