"""Stress, epilepsy, multiple sclerosis, poisoning, refractory twitching and red flags: each fires and stays silent."""

from __future__ import annotations

import pytest

from builders import (
    ICD10CM,
    card_for,
    condition,
    finding,
    icd,
    lab,
    medication,
    normal_labs,
    patient,
    patient_view,
    rule_ids,
    twitching,
)



# --- stress -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("resource", [condition("73595000"), icd("F41.1"), icd("G47.00"), icd("F32.A"), icd("Z73.3")])
def test_stress_anxiety_insomnia_or_depression_fire_the_relaxation_card(knowledge, resource) -> None:
    card = card_for(patient_view(knowledge, twitching(), resource, *normal_labs()), "stress.relaxation")
    assert card.indicator == "info" and card.handout_topic == "stress"
    assert "sleep" in card.detail and "caffeine" in card.detail and "fixed time each day" in card.detail
    assert card.suggestions[0].resources[0]["resourceType"] == "ServiceRequest"


def test_no_stress_card_without_a_psychological_condition(knowledge) -> None:
    assert "stress.relaxation" not in rule_ids(patient_view(knowledge, twitching(), icd("F41.9"), *normal_labs()))


# --- epilepsy -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("resource", [icd("G40.909"), icd("G40.A09"), condition("84757009"), condition("128613002")])
def test_untreated_epilepsy_suggests_starting_via_neurology(knowledge, resource) -> None:
    card = card_for(patient_view(knowledge, twitching(), resource, *normal_labs()), "epilepsy.anticonvulsant.start")
    assert card.indicator == "warning"
    assert "lamotrigine" in card.detail and "levetiracetam" in card.detail
    assert card.suggestions[0].resources[0]["code"]["text"] == "Referral to neurology (epilepsy)"


def test_unspecified_seizure_is_not_treated_as_epilepsy(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), icd("R56.9"), *normal_labs())
    assert not [r for r in rule_ids(evaluation) if r.startswith("epilepsy.")]


@pytest.mark.parametrize("drug", [medication("Lamotrigine 100 MG Oral Tablet"), medication(rxnorm="114477"),
                                  medication(atc="N03AF01"), medication("Tegretol 200 MG", rxnorm="2002")])
def test_treated_epilepsy_gets_a_review_instead_of_a_start(knowledge, drug) -> None:
    evaluation = patient_view(knowledge, twitching(), icd("G40.909"), drug, *normal_labs())
    assert "epilepsy.anticonvulsant.start" not in rule_ids(evaluation)
    card = card_for(evaluation, "epilepsy.treatment.review")
    assert card.indicator == "info" and "adherence" in card.detail


def test_review_offers_drug_levels_where_relevant(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G40.909"), medication("Valproic Acid 250 MG"),
                                 medication("Lamotrigine 25 MG"), patient_resource=patient("male")),
                    "epilepsy.treatment.review")
    assert {s.resources[0]["code"]["coding"][0]["code"] for s in card.suggestions} == {"4086-5", "6948-4"}
    assert card.selection_behavior == "any"


@pytest.mark.parametrize(
    ("patient_resource", "extra", "indicator"),
    [(patient("female", "1995-01-01"), (), "warning"),
     ({"resourceType": "Patient", "id": "p1"}, (), "warning"),
     (patient("female", "1995-01-01"), (condition("77386006"),), "critical")],
)
def test_valproate_in_someone_who_could_become_pregnant(knowledge, patient_resource, extra, indicator) -> None:
    evaluation = patient_view(knowledge, twitching(), medication("Divalproex Sodium 500 MG"), *extra, *normal_labs(),
                              patient_resource=patient_resource)
    card = card_for(evaluation, "epilepsy.valproate.pregnancy-prevention")
    assert card.indicator == indicator
    assert "Pregnancy Prevention Programme" in card.detail and "MHRA" in card.detail and "under 55" in card.detail


def test_unknown_sex_is_named_in_the_valproate_basis(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), medication(rxnorm="11118"), *normal_labs(),
                              patient_resource={"resourceType": "Patient", "id": "p1"})
    assert "treated as able to become pregnant" in card_for(evaluation,
                                                             "epilepsy.valproate.pregnancy-prevention").detail


@pytest.mark.parametrize("person", [patient("male", "1990-01-01"), patient("female", "1960-01-01")])
def test_no_valproate_pregnancy_card_for_men_or_women_over_55(knowledge, person) -> None:
    evaluation = patient_view(knowledge, twitching(), medication("Valproate"), *normal_labs(), patient_resource=person)
    assert "epilepsy.valproate.pregnancy-prevention" not in rule_ids(evaluation)


# --- multiple sclerosis -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("resource", [icd("G35"), icd("G35.A"), icd("G35.B1"), condition("24700007"),
                                      condition("426373005")])
def test_multiple_sclerosis_card(knowledge, resource) -> None:
    card = card_for(patient_view(knowledge, twitching(), resource, *normal_labs()), "ms.management")
    assert card.indicator == "info"
    assert "0.5 g daily for 5 days" in card.detail and "exclude infection" in card.detail
    assert "Disease-modifying" in card.detail


def test_multiple_sclerosis_with_facial_myokymia_is_a_warning_with_mri(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching("G51.4", ICD10CM), icd("G35.D"), *normal_labs()), "ms.management")
    assert card.indicator == "warning"
    assert "brainstem" in card.detail
    assert card.suggestions[0].resources[0]["code"]["text"].startswith("MRI brain")


def test_no_ms_card_without_ms(knowledge) -> None:
    assert "ms.management" not in rule_ids(patient_view(knowledge, twitching(), *normal_labs()))


# --- poisoning ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("resource", "indicator"),
    [
        (icd("T56.0X1A", recorded="2025-01-01"), "critical"),
        (icd("T60.0X1D", onset="2026-11-01"), "critical"),
        (icd("T56.1X1D", onset="2026-01-01", recorded="2026-11-10"), "critical"),
        (icd("T56.0X1S", onset="2026-01-01"), "warning"),
        (condition("75478009", onset="2026-06-01"), "warning"),
        (condition("75478009"), "warning"),
    ],
)
def test_poisoning_is_critical_when_recent_or_initial_encounter(knowledge, resource, indicator) -> None:
    card = card_for(patient_view(knowledge, twitching(), resource, *normal_labs()), "poisoning.toxicology")
    assert card.indicator == indicator
    assert "poison" in card.detail.lower()
    assert card.suggestions[0].resources[0]["resourceType"] == "ServiceRequest"


def test_no_poisoning_card_without_poisoning(knowledge) -> None:
    assert "poisoning.toxicology" not in rule_ids(patient_view(knowledge, twitching(), icd("T66"), *normal_labs()))


# --- refractory twitching -----------------------------------------------------------------------------------------

def test_persistent_blepharospasm_suggests_botulinum_with_evidence_levels(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching("G24.5", ICD10CM, onset="2026-06-01"), *normal_labs())
    card = card_for(evaluation, "refractory.botulinum-toxin")
    assert card.indicator == "info"
    assert "Level B" in card.detail and "Level C" in card.detail and "AAN 2016" in card.detail


def test_hemifacial_spasm_asks_for_mri_first(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(recorded="2026-01-01"), *normal_labs()),
                    "refractory.botulinum-toxin")
    assert "MRI first" in card.detail and "AAN 2008" in card.detail
    assert card.suggestions[0].is_recommended and card.suggestions[0].label.startswith("Request MRI")


def test_benign_myokymia_is_told_there_is_no_trial_evidence(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching("G51.4", ICD10CM, onset="2026-01-01"), *normal_labs()),
                    "refractory.botulinum-toxin")
    assert "no trial evidence" in card.detail


@pytest.mark.parametrize("extra", [condition("91637004"), icd("G70.81"), icd("Z33.1")])
def test_contraindications_make_the_botulinum_card_a_warning(knowledge, extra) -> None:
    card = card_for(patient_view(knowledge, twitching(onset="2026-01-01"), extra, *normal_labs()),
                    "refractory.botulinum-toxin")
    assert card.indicator == "warning"


@pytest.mark.parametrize(
    "resources",
    [
        (twitching(onset="2026-09-01"), *normal_labs()),
        (twitching(), *normal_labs()),
        (twitching(onset="2026-01-01"), lab("19123-9", 1.5, "mg/dL")),
        (twitching(onset="2026-01-01"),),
        (twitching(onset="2026-01-01"), icd("T56.0X1S"), *normal_labs()),
        (finding("32402008", when="2025-01-01"), *normal_labs()),
    ],
    ids=["too-recent", "no-date", "electrolyte-card", "panel-missing", "poisoning", "finding-only"],
)
def test_botulinum_stays_silent_until_first_line_causes_are_excluded(knowledge, resources) -> None:
    assert "refractory.botulinum-toxin" not in rule_ids(patient_view(knowledge, *resources))


# --- red flags ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("resource", "flag"),
    [
        (icd("G51.0"), "facial weakness"),
        (condition("193093009"), "facial weakness"),
        (icd("R29.810"), "facial weakness"),
        (icd("R56.9"), "new seizure"),
        (icd("G40.909", onset="2026-11-10"), "new seizure"),
        (icd("R29.0"), "tetany"),
        (lab("17861-6", 7.0, "mg/dL"), "severely low calcium"),
        (lab("19123-9", 0.8, "mg/dL"), "severely low magnesium"),
    ],
)
def test_red_flags_raise_one_critical_card(knowledge, resource, flag) -> None:
    card = card_for(patient_view(knowledge, twitching(), resource), "redflag.urgent-review")
    assert card.indicator == "critical" and flag in card.summary
    assert card.suggestions[0].resources[0]["priority"] == "urgent"


def test_red_flag_card_lists_every_flag(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), icd("G51.0"), icd("R56.9"), icd("R29.0")),
                    "redflag.urgent-review")
    for flag in ("facial weakness", "new seizure", "tetany"):
        assert flag in card.summary


@pytest.mark.parametrize("resources", [(icd("G40.909", onset="2026-01-01"),), (lab("17861-6", 8.2, "mg/dL"),),
                                       (lab("2823-3", 2.3, "mmol/L"),)])
def test_no_red_flag_for_old_epilepsy_or_non_severe_calcium_or_potassium(knowledge, resources) -> None:
    assert "redflag.urgent-review" not in rule_ids(patient_view(knowledge, twitching(), *resources))
