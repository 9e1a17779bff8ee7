"""T-code intent, underdosing, tentative diagnoses and valproate wording, as the pathways show them."""

from __future__ import annotations

import pytest

from builders import card_for, icd, lab, medication, normal_labs, patient, patient_view, rule_ids, twitching

EPILEPSY = icd("G40.909", onset="2020-01-01")
MAN_40 = patient("male", "1986-05-01")


def test_adverse_effect_or_underdosing_t_codes_fire_no_poisoning_card(knowledge) -> None:
    for code in ("T42.0X5A", "T42.0X6A", "T36.0X5A"):
        assert "poisoning.toxicology" not in rule_ids(patient_view(knowledge, twitching(), icd(code), *normal_labs()))


def test_accidental_poisoning_t_code_fires_the_poisoning_card(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("T42.0X1A"), *normal_labs()), "poisoning.toxicology")
    assert card.indicator == "critical"
    assert "adverse effect (6th character 5) or underdosing (6) are not counted" in card.detail


def test_antiepileptic_underdosing_with_epilepsy_raises_the_review_card(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), EPILEPSY, icd("T42.6X6A"),
                              medication("Lamotrigine 100 MG", rxnorm="28439"), *normal_labs())
    card = card_for(evaluation, "epilepsy.treatment.review")
    assert card.indicator == "warning"
    assert "underdosing" in card.summary and "missed or reduced doses" in card.detail


def test_underdosing_without_an_active_prescription_is_a_review_not_a_start(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), EPILEPSY, icd("T42.1X6D"), *normal_labs())
    assert "epilepsy.anticonvulsant.start" not in rule_ids(evaluation)
    assert "No active anticonvulsant prescription" in card_for(evaluation, "epilepsy.treatment.review").detail


def test_underdosing_without_epilepsy_fires_no_epilepsy_card(knowledge) -> None:
    assert not [r for r in rule_ids(patient_view(knowledge, twitching(), icd("T42.6X6A"), *normal_labs()))
                if r.startswith("epilepsy.")]


def test_valproate_in_a_man_gets_the_mens_precautions_not_pregnancy_prevention(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), medication(rxnorm="11118"), *normal_labs(),
                              patient_resource=MAN_40)
    assert "epilepsy.valproate.pregnancy-prevention" not in rule_ids(evaluation)
    card = card_for(evaluation, "epilepsy.valproate.male-precautions")
    assert "No sperm donation" in card.detail and "3 months" in card.detail
    assert "Pregnancy Prevention Programme" not in card.detail


def test_valproate_in_a_woman_of_40_gets_pregnancy_prevention_wording(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), medication(rxnorm="11118"), *normal_labs(),
                              patient_resource=patient("female", "1986-05-01"))
    card = card_for(evaluation, "epilepsy.valproate.pregnancy-prevention")
    assert "female, age 40" in card.detail and "Pregnancy Prevention Programme" in card.detail
    assert "sperm" not in card.detail
    assert "epilepsy.valproate.male-precautions" not in rule_ids(evaluation)


def test_valproate_in_a_woman_of_60_fires_no_patient_view_valproate_card(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), medication(rxnorm="11118"), *normal_labs(),
                              patient_resource=patient("female", "1966-01-01"))
    assert not [r for r in rule_ids(evaluation) if r.startswith("epilepsy.valproate")]


def test_provisional_epilepsy_fires_treatment_cards_saying_it_is_provisional(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), icd("G40.909", verification="provisional", onset="2020-01-01"),
                              *normal_labs())
    card = card_for(evaluation, "epilepsy.anticonvulsant.start")
    assert "is recorded as provisional, not confirmed" in card.detail


def test_differential_epilepsy_triggers_no_treatment_but_a_recent_one_is_still_a_red_flag(knowledge) -> None:
    old = patient_view(knowledge, twitching(), icd("G40.909", verification="differential", onset="2020-01-01"),
                       *normal_labs())
    assert not [r for r in rule_ids(old) if r.startswith("epilepsy.")]
    recent = patient_view(knowledge, twitching(), icd("G40.909", verification="differential", onset="2026-11-20"),
                          *normal_labs())
    card = card_for(recent, "redflag.urgent-review")
    assert "recorded as differential, not confirmed" in card.detail
    assert not [r for r in rule_ids(recent) if r.startswith("epilepsy.")]


@pytest.mark.parametrize("verification", ["differential", "refuted"])
def test_differential_or_refuted_ms_fires_no_ms_card(knowledge, verification) -> None:
    evaluation = patient_view(knowledge, twitching(), icd("G35.A", verification=verification), *normal_labs())
    assert "ms.management" not in rule_ids(evaluation)


def test_chart_text_in_a_tentative_diagnosis_note_is_inert(knowledge) -> None:
    hostile = {**icd("G35.A", verification="provisional"),
               "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G35.A"}],
                        "text": "<img src=x onerror=alert(1)> **bold** [link](http://evil)"}}
    card = card_for(patient_view(knowledge, twitching(), hostile, *normal_labs()), "ms.management")
    assert "<img" not in card.detail and "[link](" not in card.detail and "**bold**" not in card.detail
    assert "&lt;img src=x onerror=alert(1)&gt; \\*\\*bold\\*\\* \\[link\\](http://evil)" in card.detail
