"""Multiple sclerosis, pinned so that mutation testing (README, Mutation testing) notices any change to what the card
says or proposes.

The expected wording and figures are written here, not read back from `cards`:

| Item                              | Expected                                                   | Source               |
|-----------------------------------|------------------------------------------------------------|----------------------|
| relapse steroids (adults)         | exclude infection, then oral methylprednisolone 0.5 g      | NICE NG220           |
|                                   | daily for 5 days                                            |                      |
| children (under 18)               | no dose: a paediatric neurology service (NG220 is adults)  | NICE NG220 scope     |
| facial myokymia with MS           | brainstem (pontine) lesion: MRI, warning, MRI recommended  | Jacobs et al. 1994   |
| differential diagnosis of MS      | no card                                                    | service rule         |
"""

from __future__ import annotations

from builders import (
    ICD10CM,
    advice_lines,
    basis_notes,
    card_for,
    citation_links,
    icd,
    lab,
    normal_labs,
    patient,
    patient_view,
    rule_ids,
    twitching,
)

MS = "ms.management"

MRI_ADVICE = ("Continuous facial myokymia in MS points to a lesion in the brainstem (pons): arrange MRI of the brain "
              "and discuss with the MS team.")
RELAPSE_ADULT = ("If this is a relapse (new or worse neurological symptoms), exclude infection first (for example a "
                 "urinary infection), then consider oral methylprednisolone 0.5 g daily for 5 days (NICE, for adults).")
RELAPSE_CHILD_14 = ("If this is a relapse (new or worse neurological symptoms), exclude infection first (for example a "
                    "urinary infection), then treat with a paediatric neurology service: the patient is 14 years old, "
                    "and NICE NG220 and its steroid dose cover adults only.")
STEROIDS = ("Steroids speed recovery from a relapse but do not change the long-term outcome; warn about mood and sleep "
            "changes and other psychiatric effects.")
DMT = "Disease-modifying (immunomodulating) treatment is chosen and monitored by the MS team."
EVIDENCE = ("Relapse steroids and disease-modifying treatment per NICE NG220 (steroids shorten relapses without changing "
            "outcome). Continuous facial myokymia with MS is described in case series (Jacobs et al. 1994), not "
            "trials.")
NICE_NG220 = ("NICE NG220: Multiple sclerosis in adults: management", "https://www.nice.org.uk/guidance/ng220")
JACOBS = ("Jacobs et al. Continuous facial myokymia in multiple sclerosis. Arch Neurol 1994",
          "https://doi.org/10.1001/archneur.1994.00540230053012")


def _referral(text: str, *reasons: str) -> dict:
    return {"resourceType": "ServiceRequest", "status": "draft", "intent": "proposal", "priority": "routine",
            "subject": {"reference": "Patient/p1"}, "code": {"text": text},
            "reasonReference": [{"reference": r} for r in reasons]}


def _common(card) -> None:
    assert card.title == "Multiple sclerosis with facial twitching"
    assert card.detail.split("**Evidence:** ", 1)[1].split("\n", 1)[0] == EVIDENCE
    assert citation_links(card) == [NICE_NG220, JACOBS]
    assert (card.source.label, card.source.url) == NICE_NG220
    assert card.handout_topic == "multiple-sclerosis"


def test_an_adult_with_ms_gets_the_relapse_dose_and_a_neurology_referral(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(id="tw"), icd("G35", id="ms"), *normal_labs()), MS)
    _common(card)
    assert card.summary == "Multiple sclerosis with facial twitching: consider relapse; steroids and DMT via MS team"
    assert card.indicator == "info"
    assert advice_lines(card) == [RELAPSE_ADULT, STEROIDS, DMT]
    assert basis_notes(card) == []
    basis = card.detail.split("**Advice**", 1)[0]
    assert "| Condition/ms |" in basis and "| Condition/tw |" in basis
    assert "Sex, age" not in basis  # an adult's age is not part of this card's basis
    [referral] = card.suggestions
    assert (referral.key, referral.label, referral.is_recommended) == (
        "neurology-referral", "Refer to neurology (MS team)", False)
    assert referral.resources == (_referral("Referral to neurology (multiple sclerosis team)", "Condition/ms"),)


def test_facial_myokymia_with_ms_is_a_warning_that_recommends_mri_first(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching("G51.4", ICD10CM, id="myo"), icd("G35", id="ms"),
                                 *normal_labs()), MS)
    _common(card)
    assert card.summary == "MS with facial myokymia: suggests a brainstem lesion - MRI and MS team review"
    assert card.indicator == "warning"
    assert advice_lines(card) == [MRI_ADVICE, RELAPSE_ADULT, STEROIDS, DMT]
    mri, referral = card.suggestions
    assert (mri.key, mri.label, mri.is_recommended) == ("mri-brain", "Request MRI brain (brainstem)", True)
    assert mri.resources == (_referral("MRI brain, with attention to the brainstem", "Condition/ms", "Condition/myo"),)
    assert (referral.key, referral.label, referral.is_recommended) == (
        "neurology-referral", "Refer to neurology (MS team)", False)
    assert referral.resources == (_referral("Referral to neurology (multiple sclerosis team)", "Condition/ms",
                                            "Condition/myo"),)


def test_a_child_gets_no_dose_and_the_age_is_in_the_basis(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G35"), *normal_labs(),
                                 patient_resource=patient(birth_date="2012-01-01")), MS)
    assert advice_lines(card) == [RELAPSE_CHILD_14, STEROIDS, DMT]
    assert "| Sex, age | female, 14 years | - | - | Patient/p1 |" in card.detail


def test_unconfirmed_ms_and_unconfirmed_myokymia_are_each_noted(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching("G51.4", ICD10CM, verification="provisional"),
                                 icd("G35", verification="unconfirmed"), *normal_labs()), MS)
    assert basis_notes(card) == [
        "Condition (ICD-10-CM G35) is recorded as unconfirmed, not confirmed: confirm it before acting on it.",
        "Facial myokymia (ICD-10-CM G51.4) is recorded as provisional, not confirmed: confirm it before acting on it.",
    ]


def test_a_differential_diagnosis_of_ms_fires_nothing(knowledge) -> None:
    assert MS not in rule_ids(patient_view(knowledge, twitching(), icd("G35", verification="differential"),
                                           *normal_labs()))
