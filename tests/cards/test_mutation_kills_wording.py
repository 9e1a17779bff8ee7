"""What the stress, multiple sclerosis, poisoning and refractory-twitching cards say, written out here so that the
wording mutants (README, Mutation testing: each sentence of cards/knowledge/wording/*.yaml reduced to its slots) are
noticed: the reviewed sentences, not read back from the wording files.

| Card                         | Sources the sentences rest on                                                        |
|------------------------------|--------------------------------------------------------------------------------------|
| stress.relaxation            | Duodecim EBM Guidelines (benign myokymia; triggers), expert opinion                  |
| ms.management                | NICE NG220 (relapse: methylprednisolone 0.5 g daily for 5 days, adults); Jacobs 1994  |
| poisoning.toxicology         | US Poison Help 1-800-222-1222; recent = within 30 days or 7th character A            |
| refractory.botulinum-toxin   | AAN 2016 (blepharospasm Level B/C), AAN 2008 (hemifacial spasm Level C), AAN 2019     |
|                              | (tics), product labels (boxed warning; BOTOX from 12 years), Duodecim (myokymia)      |
"""

from __future__ import annotations

import pytest

from builders import (
    ICD10CM,
    advice_lines,
    basis_notes,
    card_for,
    condition,
    evidence_text,
    icd,
    lab,
    normal_labs,
    patient,
    patient_view,
    twitching,
)



def _suggestions(card) -> list[tuple[str, str, bool, str]]:
    """(key, label, recommended, the proposed request's text) of every suggestion, in order."""
    return [(s.key, s.label, s.is_recommended, s.resources[0]["code"]["text"]) for s in card.suggestions]


# --- stress -------------------------------------------------------------------------------------------------------

def test_the_stress_card_says_every_sentence(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("F41.1"), *normal_labs()), "stress.relaxation")
    assert card.summary == "Facial twitching with stress, anxiety, poor sleep or low mood: relaxation and sleep first"
    assert advice_lines(card) == [
        "Explain that stress, tiredness, caffeine and alcohol commonly set off twitching, and that the twitch itself "
        "is harmless.",
        "Plan a fixed time each day for themselves, without interruptions; try a relaxation method such as slow "
        "breathing or progressive muscle relaxation.",
        "Aim for enough restful sleep at regular times.",
        "Cut down caffeine (coffee, energy drinks) and alcohol; stopping smoking helps too.",
        "Treat anxiety, depression or insomnia on their own merits, and ask about low mood: long-lasting twitching "
        "often lowers mood. Offer psychological support if wanted.",
    ]
    assert evidence_text(card) == (
        "Stress, tiredness, caffeine, alcohol and smoking are recognised triggers of benign myokymia, which usually "
        "settles on its own (Duodecim EBM Guidelines). No trials test relaxation for twitching itself: this is "
        "low-risk advice based on expert opinion.")
    assert _suggestions(card) == [("psychological-support-referral", "Refer for psychological support", False,
                                   "Referral for psychological support (stress management or talking therapy)")]


# --- multiple sclerosis -------------------------------------------------------------------------------------------

MS_RELAPSE_ADULT = ("If this is a relapse (new or worse neurological symptoms), exclude infection first (for example a "
                    "urinary infection), then consider oral methylprednisolone 0.5 g daily for 5 days (NICE, for "
                    "adults).")
MS_STEROIDS = ("Steroids speed recovery from a relapse but do not change the long-term outcome; warn about mood and "
               "sleep changes and other psychiatric effects.")
MS_DMT = "Disease-modifying (immunomodulating) treatment is chosen and monitored by the MS team."
MS_EVIDENCE = ("Relapse steroids and disease-modifying treatment per NICE NG220 (steroids shorten relapses without "
               "changing outcome). Continuous facial myokymia with MS is described in case series (Jacobs et al. "
               "1994), not trials.")
MS_REFERRAL = ("neurology-referral", "Refer to neurology (MS team)", False,
               "Referral to neurology (multiple sclerosis team)")


def test_the_ms_card_with_facial_myokymia_says_every_sentence(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching("G51.4", ICD10CM), icd("G35.D"), *normal_labs()), "ms.management")
    assert card.summary == "MS with facial myokymia: suggests a brainstem lesion - MRI and MS team review"
    assert advice_lines(card) == [
        "Continuous facial myokymia in MS points to a lesion in the brainstem (pons): arrange MRI of the brain and "
        "discuss with the MS team.",
        MS_RELAPSE_ADULT, MS_STEROIDS, MS_DMT,
    ]
    assert evidence_text(card) == MS_EVIDENCE
    assert _suggestions(card) == [
        ("mri-brain", "Request MRI brain (brainstem)", True, "MRI brain, with attention to the brainstem"),
        MS_REFERRAL,
    ]


def test_the_ms_card_without_myokymia_has_its_own_summary(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G35"), *normal_labs()), "ms.management")
    assert card.summary == "Multiple sclerosis with facial twitching: consider relapse; steroids and DMT via MS team"
    assert advice_lines(card) == [MS_RELAPSE_ADULT, MS_STEROIDS, MS_DMT]
    assert _suggestions(card) == [MS_REFERRAL]


def test_the_ms_card_for_a_child_gives_no_adult_steroid_dose(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G35"), *normal_labs(),
                                 patient_resource=patient("female", "2014-06-01")), "ms.management")
    assert advice_lines(card)[0] == (
        "If this is a relapse (new or worse neurological symptoms), exclude infection first (for example a urinary "
        "infection), then treat with a paediatric neurology service: the patient is 12 years old, and NICE NG220 "
        "and its steroid dose cover adults only.")


# --- poisoning ----------------------------------------------------------------------------------------------------

POISONING_ADVICE = [
    "Identify the substance, amount, time and route, and stop any ongoing exposure (workplace, home, medicines).",
    "Detoxification is specific to the poison (decontamination, antidote, enhanced elimination): follow toxicology "
    "or poison-centre advice (US Poison Help 1-800-222-1222); do not induce vomiting.",
    "Twitching can be a sign of continuing toxicity: recheck electrolytes and arrange follow-up until it settles.",
]
POISONING_NOTES = [
    "Recent = onset or record within 30 days, or ICD-10-CM 7th character A (initial encounter).",
    "Poisoning only: ICD-10-CM T36-T50 codes for an adverse effect (6th character 5) or underdosing (6) are not "
    "counted.",
]


def test_the_recent_poisoning_card_says_every_sentence(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("T56.0X1A"), *normal_labs()), "poisoning.toxicology")
    assert card.summary == "Recent poisoning with facial twitching: urgent toxicology / poison-centre advice"
    assert advice_lines(card) == [
        "Recent poisoning: assess now - airway, breathing, consciousness, seizures - and get toxicology advice today.",
        *POISONING_ADVICE,
    ]
    assert basis_notes(card) == POISONING_NOTES
    assert evidence_text(card) == (
        "Management of poisoning is substance-specific; poison centres give free expert advice around the clock. "
        "No trials address facial twitching in poisoning as such.")
    assert _suggestions(card) == [("toxicology-consult", "Request toxicology / poison centre advice", True,
                                   "Toxicology / poison centre consultation")]


def test_poisoning_on_record_has_its_own_summary(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("T56.0X1S", onset="2026-01-01"), *normal_labs()),
                    "poisoning.toxicology")
    assert card.summary == "Poisoning on record with facial twitching: review exposure and toxicology follow-up"
    assert advice_lines(card) == POISONING_ADVICE
    assert basis_notes(card) == POISONING_NOTES


# --- refractory twitching: botulinum toxin ------------------------------------------------------------------------

BOTULINUM_CONSIDER = ("Twitching has been documented for 90 days or more: if first-line measures (sleep, stress, "
                      "caffeine and alcohol) have not helped, consider botulinum toxin injections through neurology "
                      "or ophthalmology.")
BOTULINUM_CONTRAINDICATIONS = ("Do not inject with hypersensitivity to the product or infection at the injection "
                               "site; myasthenia gravis, Lambert-Eaton syndrome and ALS carry a higher risk.")
BOTULINUM_BOXED_WARNING = ("Boxed warning: the toxin effect can spread - the patient should seek help at once for "
                           "trouble swallowing, speaking or breathing.")
BOTULINUM_AGE_LIMITS = ("Age limits: onabotulinumtoxinA (BOTOX) is licensed for blepharospasm from 12 years and "
                        "incobotulinumtoxinA (Xeomin) for adults (product labels); for tics, the AAN 2019 guideline "
                        "offers onabotulinumtoxinA to adolescents and adults only.")
BOTULINUM_ADVICE = [BOTULINUM_CONSIDER, BOTULINUM_CONTRAINDICATIONS, BOTULINUM_BOXED_WARNING, BOTULINUM_AGE_LIMITS]
BOTULINUM_ASSESSMENT = ("botulinum-assessment", "Refer for botulinum toxin assessment",
                        "Referral for botulinum toxin assessment (neurology or ophthalmology)")


@pytest.mark.parametrize(("resource", "evidence"), [
    (twitching("G24.5", ICD10CM, onset="2026-01-01"),
     "Blepharospasm: onabotulinumtoxinA and incobotulinumtoxinA Level B (probably effective), abobotulinumtoxinA "
     "Level C (possibly effective) - AAN 2016."),
    (twitching("G51.4", ICD10CM, onset="2026-01-01"),
     "Facial or eyelid myokymia: no trial evidence; Duodecim suggests toxin only when symptoms persist for months "
     "and trouble the patient."),
    (twitching("R25.3", ICD10CM, onset="2026-01-01"),
     "Eyelid twitching: no trial evidence; Duodecim suggests toxin only when symptoms persist for months and "
     "trouble the patient."),
    (twitching("32402008", onset="2026-01-01"), "Facial spasm not otherwise specified: no specific trial evidence."),
    (twitching("F95.2", ICD10CM, onset="2026-01-01"), "Tics: not rated in the sources used here."),
], ids=["blepharospasm", "facial-myokymia", "eyelid-twitching", "facial-spasm", "tic"])
def test_the_botulinum_card_states_the_evidence_for_the_kind_of_twitching(knowledge, resource, evidence) -> None:
    card = card_for(patient_view(knowledge, resource, *normal_labs()), "refractory.botulinum-toxin")
    assert card.summary == "Facial twitching documented since 2026-01-01: consider botulinum toxin"
    assert evidence_text(card) == evidence
    assert advice_lines(card) == BOTULINUM_ADVICE
    assert basis_notes(card) == ["Twitching documented for at least 90 days (onset, else recorded date); recent "
                                 "electrolytes not low; no poisoning recorded."]
    assert _suggestions(card) == [(*BOTULINUM_ASSESSMENT[:2], True, BOTULINUM_ASSESSMENT[2])]


def test_hemifacial_spasm_with_the_adult_cautions_says_every_sentence(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(onset="2026-01-01"), icd("G70.81"), condition("77386006"),
                                 *normal_labs()), "refractory.botulinum-toxin")
    assert evidence_text(card) == "Hemifacial spasm: Level C (possibly effective) - AAN 2008."
    assert advice_lines(card) == [
        "A neuromuscular junction disorder is recorded - Lambert-Eaton syndrome in disease classified elsewhere "
        "(ICD-10-CM G70.81): much higher risk of serious weakness, swallowing and breathing problems - only with "
        "the neurologist's agreement.",
        "Pregnancy is recorded: botulinum toxin is not advised in pregnancy without specialist advice; defer where "
        "possible.",
        "Hemifacial spasm: MRI first to exclude a secondary cause (e.g. a vessel or mass at the facial nerve); "
        "microvascular decompression is an option if toxin fails.",
        *BOTULINUM_ADVICE,
    ]
    assert _suggestions(card) == [
        ("mri-brain", "Request MRI brain (facial nerve)", True,
         "MRI brain, with attention to the facial nerve root exit zone"),
        (*BOTULINUM_ASSESSMENT[:2], False, BOTULINUM_ASSESSMENT[2]),
    ]


def test_a_child_below_every_licensed_age_is_told_so(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching("G24.5", ICD10CM, onset="2026-01-01"), *normal_labs(),
                                 patient_resource=patient("male", "2016-01-01")), "refractory.botulinum-toxin")
    assert advice_lines(card) == [
        "The patient is 10 years old, below the youngest licensed age (12 years): botulinum toxin only on a "
        "paediatric neurologist's or ophthalmologist's decision.",
        *BOTULINUM_ADVICE,
    ]
    assert _suggestions(card) == [(*BOTULINUM_ASSESSMENT[:2], False, BOTULINUM_ASSESSMENT[2])]
