"""Stress and psychological origin, pinned so that mutation testing (README, Mutation testing) notices any change to
what the card says or proposes.

The expected wording is the reviewed wording, written out here, not read back from `cards`:

| Item                    | Expected                                                        | Source                   |
|-------------------------|-----------------------------------------------------------------|--------------------------|
| trigger                 | a stress, anxiety, insomnia or depression Condition (not a      | Duodecim EBM Guidelines  |
|                         | differential)                                                   | (benign myokymia)        |
| strength                | info: low-risk advice based on expert opinion                   | Duodecim EBM Guidelines  |
| proposal                | a routine referral for psychological support, not recommended  | service rule             |
"""

from __future__ import annotations

from builders import (
    advice_lines,
    basis_notes,
    card_for,
    citation_links,
    icd,
    lab,
    normal_labs,
    patient_view,
    rule_ids,
    twitching,
)

STRESS = "stress.relaxation"

SUMMARY = "Facial twitching with stress, anxiety, poor sleep or low mood: relaxation and sleep first"
ADVICE = [
    "Explain that stress, tiredness, caffeine and alcohol commonly set off twitching, and that the twitch itself is "
    "harmless.",
    "Plan a fixed time each day for themselves, without interruptions; try a relaxation method such as slow breathing "
    "or progressive muscle relaxation.",
    "Aim for enough restful sleep at regular times.",
    "Cut down caffeine (coffee, energy drinks) and alcohol; stopping smoking helps too.",
    "Treat anxiety, depression or insomnia on their own merits, and ask about low mood: long-lasting twitching often "
    "lowers mood. Offer psychological support if wanted.",
]
EVIDENCE = ("Stress, tiredness, caffeine, alcohol and smoking are recognised triggers of benign myokymia, which usually "
            "settles on its own (Duodecim EBM Guidelines). No trials test relaxation for twitching itself: this is "
            "low-risk advice based on expert opinion.")
DUODECIM = ("Duodecim EBM Guidelines: Eyelid myokymia (subscription)", "https://www.ebm-guidelines.com/")


def test_the_relaxation_card_says_and_proposes_exactly_this(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(id="tw"), icd("F41.1", id="anx"), icd("G47.00", id="ins"),
                                 *normal_labs()), STRESS)
    assert card.title == "Facial twitching with stress, anxiety, poor sleep or low mood"
    assert card.summary == SUMMARY
    assert card.indicator == "info"
    assert advice_lines(card) == ADVICE
    assert card.detail.split("**Evidence:** ", 1)[1].split("\n", 1)[0] == EVIDENCE
    assert citation_links(card) == [DUODECIM]
    assert (card.source.label, card.source.url) == DUODECIM
    assert card.handout_topic == "stress"
    assert basis_notes(card) == []
    basis = card.detail.split("**Advice**", 1)[0]
    for reference in ("Condition/anx", "Condition/ins", "Condition/tw"):
        assert f"| {reference} |" in basis
    [suggestion] = card.suggestions
    assert (suggestion.key, suggestion.label, suggestion.is_recommended) == (
        "psychological-support-referral", "Refer for psychological support", False)
    [referral] = suggestion.resources
    assert referral == {
        "resourceType": "ServiceRequest", "status": "draft", "intent": "proposal", "priority": "routine",
        "subject": {"reference": "Patient/p1"},
        "code": {"text": "Referral for psychological support (stress management or talking therapy)"},
        "reasonReference": [{"reference": "Condition/anx"}, {"reference": "Condition/ins"}],
    }


def test_an_unconfirmed_contributor_and_an_unconfirmed_twitch_are_each_noted(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(verification="unconfirmed"),
                                 icd("F41.1", verification="provisional"), *normal_labs()), STRESS)
    assert basis_notes(card) == [
        "Generalized anxiety disorder (ICD-10-CM F41.1) is recorded as provisional, not confirmed: confirm it before "
        "acting on it.",
        "Hemifacial spasm (SNOMED CT 13753008) is recorded as unconfirmed, not confirmed: confirm it before acting on "
        "it.",
    ]


def test_a_differential_stress_diagnosis_fires_nothing(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), icd("F41.1", verification="differential"), *normal_labs())
    assert STRESS not in rule_ids(evaluation)
