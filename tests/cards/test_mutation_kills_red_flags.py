"""Red flags, pinned so that mutation testing (README, Mutation testing) notices any change to what the card says.

The expected wording and figures are written here, not read back from `cards`:

| Flag                         | Trigger                                                      | Source                      |
|------------------------------|--------------------------------------------------------------|-----------------------------|
| facial weakness              | any facial weakness diagnosis, differentials included        | Duodecim EBM Guidelines     |
| new seizure                  | unspecified seizure, or epilepsy documented <= 30 days ago   | NICE NG217; service rule    |
| tetany                       | tetany diagnosis                                             | Society for Endocrinology   |
| severely low calcium         | adjusted/total < 1.9 mmol/L (7.6 mg/dL), ionized < 0.9 mmol/L | Society for Endocrinology  |
| severely low magnesium       | < 1.0 mg/dL (lab critical value)                             | laboratory critical values  |

Not red flags: severe hypokalaemia or profound hyponatraemia (their own electrolyte cards are critical), moderate
magnesium (1.0-1.2 mg/dL).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from builders import (
    TODAY,
    advice_lines,
    basis_notes,
    card_for,
    citation_links,
    icd,
    lab,
    patient_view,
    rule_ids,
    twitching,
)

RED_FLAG = "redflag.urgent-review"
MG_MASS, CA_MASS, CA_IONIZED_MOLAR, K_MOLAR, NA_MOLAR = "19123-9", "17861-6", "1994-3", "2823-3", "2951-2"

WEAKNESS_ADVICE = ("Facial weakness with twitching: examine today - exclude stroke and other central causes, and look "
                   "for a facial nerve lesion; refer to neurology.")
SEIZURE_ADVICE = ("Seizure with facial twitching: urgent neurology review; continuous focal jerking can be ongoing "
                  "seizure activity and needs emergency care.")
EMERGENCY_REPLACEMENT = ("Tetany or severely low calcium or magnesium: emergency replacement with cardiac monitoring; "
                         "check for laryngospasm, seizures and QT prolongation.")
EVIDENCE = ("Red flags for twitching that is not benign myokymia: spreading or continuous twitching, facial weakness, "
            "seizures and signs of low calcium (Duodecim EBM Guidelines; NICE NG217; Society for Endocrinology). These "
            "are expert-consensus warning signs, not trial-derived.")
DUODECIM = ("Duodecim EBM Guidelines: Eyelid myokymia (subscription)", "https://www.ebm-guidelines.com/")
NICE_NG217 = ("NICE NG217: Epilepsies in children, young people and adults", "https://www.nice.org.uk/guidance/ng217")
SFE = ("Society for Endocrinology emergency guidance: acute hypocalcaemia in adults (2016)",
       "https://ec.bioscientifica.com/view/journals/ec/5/5/G7.xml")


def _ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def test_every_flag_at_once_gives_every_sentence_and_source(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(id="tw"), icd("G51.0", id="bell"), icd("R56.9", id="sz"),
                                 icd("R29.0", id="tet"), lab(CA_MASS, 6.8, "mg/dL", id="ca"),
                                 lab(MG_MASS, 0.8, "mg/dL", id="mg")), RED_FLAG)
    assert card.summary == ("Red flags with facial twitching (facial weakness, new seizure, tetany, severely low "
                            "calcium and magnesium): same-day review")
    assert card.indicator == "critical"
    assert advice_lines(card) == [WEAKNESS_ADVICE, SEIZURE_ADVICE, EMERGENCY_REPLACEMENT]
    assert card.detail.split("**Evidence:** ", 1)[1].split("\n", 1)[0] == EVIDENCE
    assert citation_links(card) == [DUODECIM, NICE_NG217, SFE]
    assert (card.source.label, card.source.url) == DUODECIM
    assert card.handout_topic == "eyelid-twitching"
    [suggestion] = card.suggestions
    assert (suggestion.key, suggestion.label, suggestion.is_recommended) == (
        "urgent-neurology-review", "Request urgent neurology review", True)
    [request] = suggestion.resources
    assert request["code"] == {"text": "Urgent neurology review"}
    assert request["priority"] == "urgent"
    assert [r["reference"] for r in request["reasonReference"]] == [
        "Condition/bell", "Condition/sz", "Condition/tet", "Observation/mg", "Observation/ca"]  # labs in panel order
    for reference in ("Condition/bell", "Condition/sz", "Condition/tet", "Observation/ca", "Observation/mg",
                      "Condition/tw"):
        assert reference in card.detail


def test_facial_weakness_alone_cites_only_duodecim(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G51.0")), RED_FLAG)
    assert card.summary == "Red flags with facial twitching (facial weakness): same-day review"
    assert advice_lines(card) == [WEAKNESS_ADVICE]
    assert citation_links(card) == [DUODECIM]


def test_tetany_alone_gives_the_emergency_replacement_sentence_and_its_citation(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("R29.0")), RED_FLAG)
    assert card.summary == "Red flags with facial twitching (tetany): same-day review"
    assert advice_lines(card) == [EMERGENCY_REPLACEMENT]
    assert citation_links(card) == [DUODECIM, SFE]


@pytest.mark.parametrize(
    ("result", "mineral"),
    [(lab(MG_MASS, 0.8, "mg/dL"), "magnesium"), (lab(CA_MASS, 7.0, "mg/dL"), "calcium"),
     (lab(CA_IONIZED_MOLAR, 0.85, "mmol/L"), "calcium")],
)
def test_a_severely_low_mineral_alone_gives_the_emergency_replacement_sentence(knowledge, result, mineral) -> None:
    card = card_for(patient_view(knowledge, twitching(), result), RED_FLAG)
    assert card.summary == f"Red flags with facial twitching (severely low {mineral}): same-day review"
    assert advice_lines(card) == [EMERGENCY_REPLACEMENT]
    assert citation_links(card) == [DUODECIM, SFE]
    assert basis_notes(card) == []


def test_a_new_seizure_alone_cites_nice(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("R56.9")), RED_FLAG)
    assert card.summary == "Red flags with facial twitching (new seizure): same-day review"
    assert advice_lines(card) == [SEIZURE_ADVICE]
    assert citation_links(card) == [DUODECIM, NICE_NG217]


@pytest.mark.parametrize(("days", "flagged"), [(0, True), (29, True), (30, True), (31, False), (33, False)])
def test_epilepsy_is_a_new_seizure_for_30_days(knowledge, days, flagged) -> None:
    evaluation = patient_view(knowledge, twitching(), icd("G40.909", onset=_ago(days)))
    assert (RED_FLAG in rule_ids(evaluation)) is flagged


def test_a_differential_diagnosis_raises_the_flag_and_says_it_is_not_confirmed(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G51.0", verification="differential")), RED_FLAG)
    assert "facial weakness" in card.summary
    [note] = basis_notes(card)
    assert note.endswith(" is recorded as differential, not confirmed: confirm it before acting on it.")


@pytest.mark.parametrize(
    "result",
    [lab(MG_MASS, 1.1, "mg/dL"), lab(K_MOLAR, 2.2, "mmol/L"), lab(NA_MOLAR, 118, "mmol/L"),
     lab(CA_IONIZED_MOLAR, 1.0, "mmol/L"), lab(CA_MASS, 7.8, "mg/dL")],
    ids=["moderate-magnesium", "severe-potassium", "profound-sodium", "mild-ionized-calcium", "mild-total-calcium"],
)
def test_other_low_results_are_not_red_flags(knowledge, result) -> None:
    assert RED_FLAG not in rule_ids(patient_view(knowledge, twitching(), result))


def test_no_flag_no_card(knowledge) -> None:
    assert RED_FLAG not in rule_ids(patient_view(knowledge, twitching()))


@pytest.mark.parametrize(("resource", "flag"), [(icd("R56.9", verification="differential"), "new seizure"),
                                                (icd("R29.0", verification="differential"), "tetany")])
def test_a_differential_seizure_or_tetany_raises_the_flag(knowledge, resource, flag) -> None:
    card = card_for(patient_view(knowledge, twitching(), resource), RED_FLAG)
    assert card.summary == f"Red flags with facial twitching ({flag}): same-day review"


def test_the_urgent_review_is_for_this_patient(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("R29.0")), RED_FLAG)
    assert card.suggestions[0].resources[0]["subject"] == {"reference": "Patient/p1"}
