"""Epilepsy and valproate cards, pinned so that mutation testing (README, Mutation testing) notices any change.

The expected wording is written here, not read back from `cards`:

| Card                                   | Safety-critical content                                       | Source            |
|----------------------------------------|---------------------------------------------------------------|-------------------|
| epilepsy without treatment             | start treatment through neurology; valproate restrictions     | NICE NG217, MHRA  |
| epilepsy on treatment / underdosing    | missed doses cause breakthrough seizures; drug levels offered | NICE NG217        |
| valproate, could become pregnant       | malformations ~11%, developmental disorders 30-40%; PPP       | NICE NG217, MHRA  |
| valproate, pregnant                    | urgent specialist review; do not stop valproate suddenly      | NICE NG217        |
| valproate, male                        | contraception and no sperm donation, during and 3 months after| MHRA 2024 / 2025  |
"""

from __future__ import annotations

import pytest

from builders import (
    advice_lines,
    basis_notes,
    card_for,
    citation_links,
    evidence_text,
    icd,
    medication,
    patient,
    patient_view,
    rule_ids,
    twitching,
)
from expected_wording import VALPROATE_EVIDENCE, VALPROATE_RISKS

START, REVIEW = "epilepsy.anticonvulsant.start", "epilepsy.treatment.review"
VALPROATE, MALE = "epilepsy.valproate.pregnancy-prevention", "epilepsy.valproate.male-precautions"
LOINC = "http://loinc.org"

NICE_NG217 = ("NICE NG217: Epilepsies in children, young people and adults", "https://www.nice.org.uk/guidance/ng217")
OPENFDA = ("openFDA drug labels (boxed warnings, contraindications)", "https://open.fda.gov/apis/drug/label/")
MHRA_2024_MEN = ("MHRA Drug Safety Update (September 2024): valproate use in men - effective contraception as a "
                 "precaution", "https://www.gov.uk/drug-safety-update/valproate-use-in-men-as-a-precaution-men-and-"
                 "their-partners-should-use-effective-contraception")
MHRA_2025_MEN = ("MHRA (February 2025): update on two-specialist review requirements for male patients already taking "
                 "valproate", "https://www.gov.uk/government/news/update-on-2-specialist-review-requirements-for-male-"
                 "patients-already-taking-valproate")

REVIEW_ADVICE = [
    "Review adherence, seizure frequency (a seizure diary helps) and side effects before thinking of a new drug.",
    "New or changed twitching may be breakthrough focal seizures: discuss with neurology.",
    "Drug levels help where adherence or toxicity is in question (e.g. valproate, phenytoin); they are not a routine "
    "target for most antiseizure medicines.",
]
UNDERDOSING_ADVICE = (
    "Underdosing of an antiepileptic is recorded: missed or reduced doses are the likeliest cause of breakthrough "
    "seizures. Ask why (side effects, cost, forgetting, supply), agree a plan, and restart the prescribed dose only as "
    "advised - some drugs need re-titration after a gap.")
NO_PRESCRIPTION_ADVICE = ("No active anticonvulsant prescription is on record: check what the patient is actually "
                          "taking.")


def test_untreated_epilepsy_says_start_through_neurology(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G40.909", id="ep")), START)
    assert card.summary == ("Epilepsy with facial twitching and no active anticonvulsant: neurology review to start "
                            "treatment")
    assert card.indicator == "warning"
    assert advice_lines(card) == [
        "Facial twitching in someone with epilepsy may be focal seizure activity: ask about spreading jerks, loss of "
        "awareness, and twitching that persists in sleep.",
        "Anticonvulsants (for example lamotrigine, levetiracetam, valproate) damp down nerve excitability; the choice "
        "depends on seizure type, age, sex and pregnancy plans, so start treatment through neurology.",
        "Valproate: not for anyone who could become pregnant, and not started under 55 without two specialists' "
        "agreement (MHRA 2024).",
    ]
    assert evidence_text(card) == ("Antiseizure medicines are the standard treatment of epilepsy (NICE NG217). No trials "
                               "address facial twitching as such.")
    assert citation_links(card) == [NICE_NG217]
    assert card.handout_topic == "epilepsy"
    assert "| Anticonvulsant | none active | - | - | MedicationRequest search (status active) |" in card.detail
    [referral] = card.suggestions
    assert (referral.key, referral.label) == ("neurology-referral", "Refer to neurology (epilepsy)")
    [request] = referral.resources
    assert request["code"] == {"text": "Referral to neurology (epilepsy)"}
    assert request["reasonReference"] == [{"reference": "Condition/ep"}]
    assert basis_notes(card) == []


def test_provisional_epilepsy_says_it_is_not_confirmed(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G40.909", verification="provisional")), START)
    [note] = basis_notes(card)
    assert note.endswith(" is recorded as provisional, not confirmed: confirm it before acting on it.")


def test_differential_epilepsy_raises_no_epilepsy_card(knowledge) -> None:
    ids = rule_ids(patient_view(knowledge, twitching(), icd("G40.909", verification="differential")))
    assert START not in ids and REVIEW not in ids


def test_treated_epilepsy_offers_drug_levels_and_reviews_control(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G40.909"), medication("Lamotrigine 100 MG", id="lam"),
                                 medication("Valproic Acid 250 MG", id="vpa"), patient_resource=patient("male")),
                    REVIEW)
    assert card.summary == ("Epilepsy on Lamotrigine 100 MG, Valproic Acid 250 MG: review seizure control and "
                            "adherence; twitching may be breakthrough seizures")
    assert card.indicator == "info"
    assert advice_lines(card) == REVIEW_ADVICE
    assert evidence_text(card) == ("Treatment review and monitoring per NICE NG217. No trials address facial twitching as "
                               "such.")
    assert citation_links(card) == [NICE_NG217]
    assert card.selection_behavior == "any"
    assert card.handout_topic == "epilepsy"
    levels = {s.key: s for s in card.suggestions}
    assert list(levels) == ["level-4086-5", "level-6948-4"]
    assert levels["level-4086-5"].label == "Measure valproate level"
    assert levels["level-6948-4"].label == "Measure lamotrigine level"
    [valproate_level] = levels["level-4086-5"].resources
    assert valproate_level["code"] == {
        "text": "Valproate [Mass/volume] in Serum or Plasma",
        "coding": [{"system": LOINC, "code": "4086-5", "display": "Valproate [Mass/volume] in Serum or Plasma"}]}
    assert valproate_level["reasonReference"] == [{"reference": "MedicationRequest/vpa"}]
    [lamotrigine_level] = levels["level-6948-4"].resources
    assert lamotrigine_level["code"]["coding"] == [
        {"system": LOINC, "code": "6948-4", "display": "Lamotrigine [Mass/volume] in Serum or Plasma"}]
    assert lamotrigine_level["reasonReference"] == [{"reference": "MedicationRequest/lam"}]


def test_other_anticonvulsants_get_no_level(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G40.909"), medication("Levetiracetam 500 MG")), REVIEW)
    assert card.suggestions == ()


def test_a_long_medication_list_gets_the_short_summary(knowledge) -> None:
    meds = [medication(name) for name in ("Levetiracetam 500 MG Oral Tablet", "Lamotrigine 100 MG Oral Tablet",
                                          "Carbamazepine 200 MG Oral Tablet")]
    card = card_for(patient_view(knowledge, twitching(), icd("G40.909"), *meds), REVIEW)
    assert card.summary == ("Epilepsy on treatment: review seizure control and adherence; twitching may be "
                            "breakthrough seizures")


def test_underdosing_with_treatment_is_a_warning_about_missed_doses(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G40.909"), icd("T42.6X6A", id="under"),
                                 medication("Levetiracetam 500 MG")), REVIEW)
    assert card.summary == ("Epilepsy with antiepileptic underdosing coded: missed doses may explain twitching or "
                            "seizures")
    assert card.indicator == "warning"
    assert advice_lines(card) == [UNDERDOSING_ADVICE, *REVIEW_ADVICE]
    assert "Condition/under" in card.detail


def test_underdosing_without_a_prescription_asks_what_is_taken(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G40.909"), icd("T42.6X6A")), REVIEW)
    assert advice_lines(card) == [UNDERDOSING_ADVICE, NO_PRESCRIPTION_ADVICE, *REVIEW_ADVICE]


def test_valproate_in_someone_who_could_become_pregnant(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), medication("Valproic Acid 250 MG", id="vpa"),
                                 patient_resource=patient("female", "1998-05-01")), VALPROATE)
    assert card.summary == ("On valproate and could become pregnant: Pregnancy Prevention Programme and MHRA 2024 "
                            "rules")
    assert card.indicator == "warning"
    assert advice_lines(card) == list(VALPROATE_RISKS)
    assert evidence_text(card) == VALPROATE_EVIDENCE
    assert citation_links(card) == [NICE_NG217, OPENFDA]
    assert basis_notes(card) == ["Could become pregnant: female, age 28 (within 12-55)."]
    assert card.handout_topic == "epilepsy"
    assert "MedicationRequest/vpa" in card.detail and "Patient/p1" in card.detail


def test_valproate_in_pregnancy_says_urgent_review_and_do_not_stop_suddenly(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), medication("Valproic Acid 250 MG"), icd("Z33.1", id="preg"),
                                 patient_resource=patient("female", "1998-05-01")), VALPROATE)
    assert card.summary == "Pregnant and on valproate: urgent specialist review - high risk of birth defects"
    assert card.indicator == "critical"
    assert advice_lines(card) == [
        "Pregnant on valproate: urgent specialist review of the epilepsy treatment; do not stop valproate suddenly "
        "without advice, because seizures also harm mother and baby.", *VALPROATE_RISKS]
    assert "Condition/preg" in card.detail


def test_valproate_with_pregnancy_recorded_outside_the_age_band_is_still_the_pregnancy_card(knowledge) -> None:
    ids = rule_ids(patient_view(knowledge, twitching(), medication("Valproic Acid 250 MG"), icd("Z33.1"),
                                patient_resource=patient("female", "1966-05-01")))
    assert VALPROATE in ids


@pytest.mark.parametrize("person", [patient("female", "1966-05-01"), patient("female", "2016-05-01")],
                         ids=["woman-over-55", "girl-under-12"])
def test_valproate_in_a_woman_outside_12_to_55_raises_no_patient_view_card(knowledge, person) -> None:
    ids = rule_ids(patient_view(knowledge, twitching(), medication("Valproic Acid 250 MG"), patient_resource=person))
    assert VALPROATE not in ids and MALE not in ids


def test_valproate_in_a_man_gives_the_mhra_precautions(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), medication("Valproic Acid 250 MG", id="vpa"),
                                 patient_resource=patient("male")), MALE)
    assert card.summary == ("On valproate (male): effective contraception and no sperm donation, during and 3 months "
                            "after")
    assert card.indicator == "info"
    assert advice_lines(card) == [
        "As a precaution, he and his partner should use effective contraception (condoms plus the partner's own "
        "method) during treatment and for 3 months after stopping valproate (MHRA 2024).",
        "No sperm donation during treatment and for 3 months after stopping.",
        "Ask about plans to father a child at each review, and refer to a specialist to discuss treatment options "
        "before trying to conceive; do not stop valproate without advice.",
        "Starting valproate in anyone under 55 needs two specialists to document that nothing else is effective or "
        "tolerated (MHRA 2024); a second specialist is not required for men already taking it (MHRA 2025).",
    ]
    assert evidence_text(card) == (
        "A Nordic registry study suggests a possibly higher risk of neurodevelopmental disorders in children of fathers "
        "taking valproate in the 3 months before conception (about 4-6% vs 2-3% with lamotrigine or levetiracetam; "
        "adjusted hazard ratio 1.5); causation is not confirmed, and the risk is far below that after use in "
        "pregnancy. The advice is a regulatory precaution (MHRA).")
    assert citation_links(card) == [MHRA_2024_MEN, MHRA_2025_MEN]
    assert card.handout_topic == "epilepsy"
    assert "MedicationRequest/vpa" in card.detail and "Patient/p1" in card.detail
    assert VALPROATE not in rule_ids(patient_view(knowledge, twitching(), medication("Valproic Acid 250 MG"),
                                                  patient_resource=patient("male")))


SHORT_REVIEW_SUMMARY = ("Epilepsy on treatment: review seizure control and adherence; twitching may be breakthrough "
                        "seizures")


@pytest.mark.parametrize(("length", "named"), [(49, True), (50, False)])
def test_the_review_summary_names_the_drugs_only_below_140_characters(knowledge, length, named) -> None:
    """CDS Hooks 2.0: a card summary must be under 140 characters; "Epilepsy on " + names + the 78-character rest."""
    name = "Levetiracetam 500 MG Oral Tablet"
    name += " " + "x" * (length - len(name) - 1)
    assert len(name) == length
    card = card_for(patient_view(knowledge, twitching(), icd("G40.909"), medication(name)), REVIEW)
    assert (card.summary == SHORT_REVIEW_SUMMARY) is not named
    assert len(card.summary) < 140


def test_the_referral_and_the_level_are_for_this_patient(knowledge) -> None:
    start = card_for(patient_view(knowledge, twitching(), icd("G40.909")), START)
    assert start.suggestions[0].resources[0]["subject"] == {"reference": "Patient/p1"}
    review = card_for(patient_view(knowledge, twitching(), icd("G40.909"), medication("Valproic Acid 250 MG"),
                                   patient_resource=patient("male")), REVIEW)
    assert review.suggestions[0].resources[0]["subject"] == {"reference": "Patient/p1"}


def test_a_provisional_epilepsy_on_treatment_says_it_is_not_confirmed(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G40.909", verification="provisional"),
                                 medication("Levetiracetam 500 MG")), REVIEW)
    [note] = basis_notes(card)
    assert note.endswith(" is recorded as provisional, not confirmed: confirm it before acting on it.")
