"""Albumin adjustment of calcium, pinned so that mutation testing (README, Mutation testing) notices any change: the
albumin bounds (0, 20 and 100 g/L), the pairing window, every "not adjusted" explanation and every field of the
calculated result that the card shows.

Expected values are worked out here from the published formula, not read back from the knowledge data:

| Figure                                   | Value                                               | Source                   |
|------------------------------------------|-----------------------------------------------------|--------------------------|
| Payne formula                            | total + 0.02 x (40 - albumin g/L) mmol/L            | Payne et al., BMJ 1973   |
| adjustment unreliable                    | albumin below 20 g/L                                | Payne; SfE 2016          |
| impossible albumin (unit error)          | 100 g/L or more (cannot exceed total protein)       | physiology, ~60-80 g/L   |
| albumin pairing window                   | same day, or the day before or after                | service rule             |
| calcium mass to molar                    | 1 mg/dL = 0.2495 mmol/L (40.078 g/mol)              | IUPAC atomic weight      |
| adult total-calcium interval (18-59 y)   | 8.6-10.0 mg/dL                                      | Mayo Clinic Laboratories |
"""

from __future__ import annotations

import pytest

from builders import card_for, lab, patient_view, rule_ids, twitching

CALCIUM, RED_FLAG = "electrolyte.calcium.low", "redflag.urgent-review"
CA, ALB = "17861-6", "1751-7"
NORMAL = (lab("19123-9", 2.0, "mg/dL"), lab("2823-3", 4.2, "mmol/L"), lab("2951-2", 140, "mmol/L"))


def _card(knowledge, *labs):
    return card_for(patient_view(knowledge, twitching(), *NORMAL, *labs), CALCIUM)


def _row(card, label: str) -> str:
    [row] = [line for line in card.detail.split("\n") if line.startswith(f"| {label} ")]
    return row


def test_the_calculated_result_shows_its_label_value_range_date_and_source(knowledge) -> None:
    # 8.0 mg/dL = 1.996 mmol/L; albumin 3.5 g/dL = 35 g/L: 1.996 + 0.02 x 5 = 2.096 mmol/L, shown as 2.1.
    card = _card(knowledge, lab(CA, 8.0, "mg/dL", id="ca", low=8.5, high=10.5), lab(ALB, 3.5, "g/dL", id="alb"))
    assert _row(card, "Calcium (albumin-adjusted), calculated") == (
        "| Calcium (albumin-adjusted), calculated | 2.1 mmol/L, calculated from total calcium 8.0 mg/dL and albumin "
        "3.5 g/dL (35 g/L), low (mild) | 8.5-10.5 mg/dL (= 2.12-2.62 mmol/L; as for total calcium: reporting lab) | "
        "2026-11-20 | Observation/ca |")
    assert card.summary.startswith("Low adjusted calcium 2.1 mmol/L (mild)")


def test_the_calculated_result_uses_the_default_range_of_total_calcium(knowledge) -> None:
    card = _card(knowledge, lab(CA, 8.0, "mg/dL"), lab(ALB, 35, "g/L"))
    assert ("| 8.6-10 mg/dL (= 2.15-2.5 mmol/L; as for total calcium: default: adult default 18-59 y, Mayo Clinic "
            "Laboratories) |") in _row(card, "Calcium (albumin-adjusted), calculated")


def test_adjustment_that_lifts_calcium_into_range_raises_no_card(knowledge) -> None:
    # 8.4 mg/dL = 2.096 mmol/L; albumin 30 g/L: 2.096 + 0.2 = 2.296 mmol/L, within 2.146-2.495.
    evaluation = patient_view(knowledge, twitching(), *NORMAL, lab(CA, 8.4, "mg/dL"), lab(ALB, 30, "g/L"))
    assert CALCIUM not in rule_ids(evaluation)


@pytest.mark.parametrize(("albumin", "unit"), [(0, "g/L"), (-5, "g/L"), (100, "g/L"), (100.5, "g/L"), (10, "g/dL"), (12, "g/dL")])
def test_an_impossible_albumin_is_not_used(knowledge, albumin, unit) -> None:
    card = _card(knowledge, lab(CA, 8.0, "mg/dL"), lab(ALB, albumin, unit))
    assert (f"The albumin result ({albumin:g} {unit}, 2026-11-20) could not be read as g/L, so calcium was not "
            "adjusted for it: check it in the laboratory report.") in card.detail
    assert card.summary.startswith("Low calcium 8.0 mg/dL (mild)")


def test_an_albumin_in_an_unreadable_unit_is_not_used(knowledge) -> None:
    card = _card(knowledge, lab(CA, 8.0, "mg/dL"), lab(ALB, 35, "furlongs"))
    assert ("The albumin result (35 furlongs, 2026-11-20) could not be read as g/L, so calcium was not adjusted for "
            "it: check it in the laboratory report.") in card.detail


def test_an_albumin_just_under_100_g_per_l_is_still_used(knowledge) -> None:
    # The bound is 100 g/L itself (an albumin of 100 turned a mildly low calcium into a severe one with a red
    # flag). 1.996 + 0.02 x (40 - 99) = 0.816 mmol/L, shown as 0.82: severe.
    evaluation = patient_view(knowledge, twitching(), *NORMAL, lab(CA, 8.0, "mg/dL"), lab(ALB, 99, "g/L"))
    card = card_for(evaluation, CALCIUM)
    assert card.summary.startswith("Low adjusted calcium 0.82 mmol/L (severe)")
    assert RED_FLAG in rule_ids(evaluation)


@pytest.mark.parametrize(("albumin", "adjusted"), [(19.9, False), (20, True)])
def test_albumin_below_20_g_per_l_is_unreliable(knowledge, albumin, adjusted) -> None:
    # 6.8 mg/dL = 1.697 mmol/L (severe alone); with albumin 20 g/L: 1.697 + 0.4 = 2.097 mmol/L, mild.
    card = _card(knowledge, lab(CA, 6.8, "mg/dL"), lab(ALB, albumin, "g/L"))
    sentence = (f"Albumin is below 20 g/L ({albumin:g} g/L, 2026-11-20), where albumin adjustment is unreliable: "
                "calcium is graded unadjusted; measure ionized calcium.")
    assert (sentence in card.detail) is not adjusted
    assert card.summary.startswith("Low adjusted calcium 2.1 mmol/L (mild)" if adjusted
                                   else "Low calcium 6.8 mg/dL (severe)")


@pytest.mark.parametrize(("albumin_day", "adjusted"), [("2026-11-19", True), ("2026-11-21", True),
                                                       ("2026-11-18", False), ("2026-11-22", False)])
def test_albumin_pairs_with_calcium_from_the_day_before_to_the_day_after(knowledge, albumin_day, adjusted) -> None:
    card = _card(knowledge, lab(CA, 8.0, "mg/dL", when="2026-11-20"), lab(ALB, 38, "g/L", when=albumin_day))
    sentence = (f"The latest albumin (38 g/L, {albumin_day}) is not from the same day as the calcium (2026-11-20), "
                "so calcium was not adjusted for it.")
    assert (sentence in card.detail) is not adjusted
    assert card.summary.startswith("Low adjusted calcium" if adjusted else "Low calcium")


@pytest.mark.parametrize(("text", "code"), [("grams per litre", "g/L"), ("g/L", "not-a-unit")])
def test_the_albumin_unit_is_read_from_the_ucum_code_or_the_text(knowledge, text, code) -> None:
    card = _card(knowledge, lab(CA, 8.0, "mg/dL"), lab(ALB, 35, text, unit_code=code))
    assert card.summary.startswith("Low adjusted calcium 2.1 mmol/L")


@pytest.mark.parametrize("albumin", [0.5, 1, 1.5])
def test_a_tiny_but_positive_albumin_is_read_and_called_unreliable(knowledge, albumin) -> None:
    card = _card(knowledge, lab(CA, 8.0, "mg/dL"), lab(ALB, albumin, "g/L"))
    assert (f"Albumin is below 20 g/L ({albumin:g} g/L, 2026-11-20), where albumin adjustment is unreliable: calcium "
            "is graded unadjusted; measure ionized calcium.") in card.detail


def test_a_future_dated_albumin_is_skipped_and_counted(knowledge) -> None:
    """Today is 2026-11-25: an albumin dated tomorrow is not used, even though it would pair with today's calcium."""
    evaluation = patient_view(knowledge, twitching(), *NORMAL, lab(CA, 8.0, "mg/dL", when="2026-11-25"),
                              lab(ALB, 25, "g/L", when="2026-11-26"))
    card = card_for(evaluation, CALCIUM)
    assert card.summary.startswith("Low calcium 8.0 mg/dL (mild)")
    assert evaluation.skipped_resources["Observation:future-dated"] == 1
