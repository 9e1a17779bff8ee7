"""Poisoning, pinned so that mutation testing (README, Mutation testing) notices any change to what the card says or
proposes, or to when it counts a poisoning as recent.

The expected wording and figures are written here, not read back from `cards`:

| Item              | Expected                                                             | Source                       |
|-------------------|----------------------------------------------------------------------|------------------------------|
| recent            | onset or recorded date within 30 days (day 30 counts, day 31 not),   | service rule                 |
|                   | or ICD-10-CM 7th character "A" (initial encounter)                   | ICD-10-CM 7th characters     |
| recent card       | critical; urgent toxicology consult, recommended                     | Poison Help (HRSA)           |
| on record         | warning; routine consult, not recommended                            | Poison Help (HRSA)           |
| 7th characters    | A initial, D subsequent, S sequela (only A is initial)               | ICD-10-CM guidelines I.C.19  |
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
    condition,
    icd,
    lab,
    normal_labs,
    patient_view,
    rule_ids,
    twitching,
)

POISONING = "poisoning.toxicology"

RECENT_ADVICE = ("Recent poisoning: assess now - airway, breathing, consciousness, seizures - and get toxicology advice "
                 "today.")
STANDING_ADVICE = [
    "Identify the substance, amount, time and route, and stop any ongoing exposure (workplace, home, medicines).",
    "Detoxification is specific to the poison (decontamination, antidote, enhanced elimination): follow toxicology or "
    "poison-centre advice (US Poison Help 1-800-222-1222); do not induce vomiting.",
    "Twitching can be a sign of continuing toxicity: recheck electrolytes and arrange follow-up until it settles.",
]
NOTES = [
    "Recent = onset or record within 30 days, or ICD-10-CM 7th character A (initial encounter).",
    "Poisoning only: ICD-10-CM T36-T50 codes for an adverse effect (6th character 5) or underdosing (6) are not "
    "counted.",
]
EVIDENCE = ("Management of poisoning is substance-specific; poison centres give free expert advice around the clock. "
            "No trials address facial twitching in poisoning as such.")
POISON_HELP = ("Poison Help line 1-800-222-1222 (HRSA)", "https://poisonhelp.hrsa.gov/")


def _ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def _card(knowledge, resource):
    return card_for(patient_view(knowledge, twitching(id="tw"), resource, *normal_labs()), POISONING)


def _consult(priority: str, reason: str) -> dict:
    return {"resourceType": "ServiceRequest", "status": "draft", "intent": "proposal", "priority": priority,
            "subject": {"reference": "Patient/p1"}, "code": {"text": "Toxicology / poison centre consultation"},
            "reasonReference": [{"reference": reason}]}


def test_a_recent_poisoning_is_critical_with_an_urgent_recommended_consult(knowledge) -> None:
    card = _card(knowledge, icd("T56.0X1A", id="pa"))
    assert card.title == "Poisoning with facial twitching"
    assert card.summary == "Recent poisoning with facial twitching: urgent toxicology / poison-centre advice"
    assert card.indicator == "critical"
    assert advice_lines(card) == [RECENT_ADVICE, *STANDING_ADVICE]
    assert basis_notes(card) == NOTES
    assert card.detail.split("**Evidence:** ", 1)[1].split("\n", 1)[0] == EVIDENCE
    assert citation_links(card) == [POISON_HELP]
    assert (card.source.label, card.source.url) == POISON_HELP
    assert card.handout_topic == "poisoning"
    assert "| Condition/pa |" in card.detail and "| Condition/tw |" in card.detail
    [suggestion] = card.suggestions
    assert (suggestion.key, suggestion.label, suggestion.is_recommended) == (
        "toxicology-consult", "Request toxicology / poison centre advice", True)
    assert suggestion.resources == (_consult("urgent", "Condition/pa"),)


def test_a_poisoning_on_record_is_a_warning_with_a_routine_consult(knowledge) -> None:
    card = _card(knowledge, icd("T56.0X1S", id="ps"))
    assert card.summary == "Poisoning on record with facial twitching: review exposure and toxicology follow-up"
    assert card.indicator == "warning"
    assert advice_lines(card) == STANDING_ADVICE
    assert basis_notes(card) == NOTES
    [suggestion] = card.suggestions
    assert suggestion.is_recommended is False
    assert suggestion.resources == (_consult("routine", "Condition/ps"),)


@pytest.mark.parametrize(
    ("resource", "recent"),
    [
        (icd("T56.0X1D", onset=_ago(30)), True),
        (icd("T56.0X1D", onset=_ago(31)), False),
        (icd("T56.0X1D", recorded=_ago(30)), True),
        (icd("T56.0X1D", recorded=_ago(31)), False),
        (icd("T56.0X1D", onset=_ago(400), recorded=_ago(2)), True),
        (icd("T56.0X1D", onset=_ago(2), recorded=_ago(400)), True),
        (icd("T56.0X1D"), False),
        (icd("t56.0x1a"), True),  # the 7th character is read after normalising case and dot
        (icd("T560X1A"), True),
        (icd("T56.0X1"), False),  # no 7th character: not known to be the initial encounter
        (icd("T56.0X1S", onset=_ago(31), recorded=_ago(31)), False),
        (condition("75478009", onset=_ago(30)), True),  # SNOMED CT: dates only
        (condition("75478009", onset=_ago(31)), False),
    ],
    ids=["onset-30", "onset-31", "recorded-30", "recorded-31", "old-onset-new-record", "new-onset-old-record",
         "no-dates", "lower-case", "no-dot", "six-characters", "sequela-old", "snomed-30", "snomed-31"],
)
def test_recent_means_within_30_days_or_initial_encounter(knowledge, resource, recent) -> None:
    card = _card(knowledge, resource)
    assert card.indicator == ("critical" if recent else "warning")
    assert card.suggestions[0].resources[0]["priority"] == ("urgent" if recent else "routine")


def test_a_provisional_poisoning_fires_and_says_it_is_not_confirmed(knowledge) -> None:
    card = _card(knowledge, icd("T56.0X1S", verification="provisional"))
    assert basis_notes(card) == [*NOTES, "Condition (ICD-10-CM T56.0X1S) is recorded as provisional, not confirmed: "
                                         "confirm it before acting on it."]


def test_a_differential_poisoning_fires_nothing(knowledge) -> None:
    assert POISONING not in rule_ids(patient_view(knowledge, twitching(),
                                                  icd("T56.0X1A", verification="differential"), *normal_labs()))
