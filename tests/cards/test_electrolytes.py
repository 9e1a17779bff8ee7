"""Electrolyte pathway: one card per low analyte, indicator by severity, safe supplement proposals, panel when none."""

from __future__ import annotations

import pytest

from builders import ICD10CM, TODAY, card_for, chart, condition, icd, lab, medication, patient_view, rule_ids, twitching


def _proposal_codes(card) -> list[str]:
    return [coding["code"] for s in card.suggestions for r in s.resources
            for coding in r.get("medicationCodeableConcept", {}).get("coding", [])]


def test_no_cards_without_documented_twitching(knowledge) -> None:
    evaluation = knowledge.evaluate_patient_view(chart(lab("19123-9", 0.9, "mg/dL"), lab("2823-3", 2.4, "mmol/L")),
                                                 today=TODAY)
    assert evaluation.cards == []


@pytest.mark.parametrize(
    ("resource", "rule", "indicator"),
    [
        (lab("19123-9", 1.5, "mg/dL"), "electrolyte.magnesium.low", "info"),
        (lab("19123-9", 1.1, "mg/dL"), "electrolyte.magnesium.low", "warning"),
        (lab("2601-3", 0.35, "mmol/L"), "electrolyte.magnesium.low", "critical"),
        (lab("2823-3", 3.3, "mmol/L"), "electrolyte.potassium.low", "info"),
        (lab("2823-3", 2.7, "mEq/L"), "electrolyte.potassium.low", "warning"),
        (lab("2823-3", 2.3, "mmol/L"), "electrolyte.potassium.low", "critical"),
        (lab("2951-2", 132, "mmol/L"), "electrolyte.sodium.low", "info"),
        (lab("2951-2", 127, "mmol/L"), "electrolyte.sodium.low", "warning"),
        (lab("2951-2", 121, "mmol/L"), "electrolyte.sodium.low", "critical"),
        (lab("17861-6", 8.2, "mg/dL"), "electrolyte.calcium.low", "info"),
        (lab("17861-6", 7.2, "mg/dL"), "electrolyte.calcium.low", "critical"),
        (lab("1995-0", 1.05, "mmol/L"), "electrolyte.calcium.low", "info"),
        (lab("1995-0", 0.92, "mmol/L"), "electrolyte.calcium.low", "info"),
        (lab("1995-0", 0.85, "mmol/L"), "electrolyte.calcium.low", "critical"),
    ],
)
def test_low_analyte_fires_with_indicator_by_severity(knowledge, resource, rule, indicator) -> None:
    evaluation = patient_view(knowledge, twitching(), resource)
    assert card_for(evaluation, rule).indicator == indicator


def test_normal_recent_electrolytes_give_no_electrolyte_card(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), lab("19123-9", 2.0, "mg/dL"), lab("2823-3", 4.2, "mmol/L"),
                              lab("2951-2", 140, "mmol/L"), lab("17861-6", 9.4, "mg/dL"))
    assert not [r for r in rule_ids(evaluation) if r.startswith("electrolyte.")]


def test_every_low_analyte_gets_its_own_card(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), lab("19123-9", 1.5, "mg/dL"), lab("2823-3", 3.2, "mmol/L"),
                              lab("2951-2", 131, "mmol/L"), lab("17861-6", 8.0, "mg/dL"))
    assert {r for r in rule_ids(evaluation) if r.startswith("electrolyte.")} == {
        "electrolyte.magnesium.low", "electrolyte.potassium.low", "electrolyte.sodium.low", "electrolyte.calcium.low"}


def test_no_recent_electrolytes_suggests_the_panel(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), lab("19123-9", 1.0, "mg/dL", when="2026-05-01"))
    card = card_for(evaluation, "electrolyte.panel.missing")
    assert card.indicator == "info"
    resources = card.suggestions[0].resources
    assert {r["resourceType"] for r in resources} == {"ServiceRequest"}
    assert {r["code"]["coding"][0]["code"] for r in resources} >= {"19123-9", "2823-3", "2951-2", "17861-6"}
    assert all(r["intent"] == "proposal" and r["status"] == "draft" for r in resources)
    assert all(r["subject"] == {"reference": "Patient/p1"} for r in resources)


def test_panel_card_is_silent_once_any_electrolyte_is_recent(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), lab("2951-2", 140, "mmol/L"))
    assert "electrolyte.panel.missing" not in rule_ids(evaluation)


def test_magnesium_card_advises_diet_then_proposes_magnesium(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab("19123-9", 1.5, "mg/dL")), "electrolyte.magnesium.low")
    assert "pumpkin" in card.detail and "sunflower" in card.detail
    assert _proposal_codes(card) == ["6574"]
    proposal = card.suggestions[0].resources[0]
    assert (proposal["intent"], proposal["status"]) == ("proposal", "draft")
    assert "no research evidence" in card.detail


def test_magnesium_supplement_is_withheld_in_severe_kidney_disease(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab("19123-9", 1.5, "mg/dL"), icd("N18.5")),
                    "electrolyte.magnesium.low")
    assert card.suggestions == ()
    assert "no supplement is proposed" in card.detail
    assert "N18.5" in card.detail


def test_magnesium_supplement_in_moderate_kidney_disease_comes_with_a_caution(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab("19123-9", 1.5, "mg/dL"), lab("98979-8", 50, "mL/min")),
                    "electrolyte.magnesium.low")
    assert _proposal_codes(card) == ["6574"]
    assert "Kidney function is reduced" in card.detail


def test_severe_deficits_get_no_oral_proposal(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), lab("19123-9", 0.9, "mg/dL"), lab("2823-3", 2.3, "mmol/L"),
                              lab("17861-6", 7.0, "mg/dL"))
    for rule in ("electrolyte.magnesium.low", "electrolyte.potassium.low", "electrolyte.calcium.low"):
        card = card_for(evaluation, rule)
        assert card.suggestions == ()
        assert "Severe: arrange same-day assessment" in card.detail


def test_potassium_card_proposes_potassium_chloride_when_safe(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab("2823-3", 3.2, "mmol/L")), "electrolyte.potassium.low")
    assert _proposal_codes(card) == ["8591"]
    assert "potatoes" in card.detail and "avocado" in card.detail


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        (icd("N18.3"), "chronic kidney disease"),
        (lab("98979-8", 45, "mL/min/{1.73_m2}"), "chronic kidney disease"),
        (medication("Spironolactone 25 MG Oral Tablet", rxnorm="9997"), "potassium-sparing diuretic"),
        (medication("Amiloride 5 MG Oral Tablet"), "potassium-sparing diuretic"),
    ],
)
def test_potassium_supplement_is_withheld_and_explained_when_unsafe(knowledge, extra, why) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab("2823-3", 3.2, "mmol/L"), extra),
                    "electrolyte.potassium.low")
    assert card.suggestions == ()
    assert "No potassium supplement is proposed" in card.detail and why in card.detail


def test_correct_magnesium_first_when_potassium_or_calcium_are_low_too(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), lab("19123-9", 1.5, "mg/dL"), lab("2823-3", 3.2, "mmol/L"),
                              lab("17861-6", 8.0, "mg/dL"))
    for rule in ("electrolyte.magnesium.low", "electrolyte.potassium.low", "electrolyte.calcium.low"):
        assert "correct magnesium first" in card_for(evaluation, rule).detail


def test_unmeasured_magnesium_is_requested_with_low_potassium(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab("2823-3", 3.2, "mmol/L")), "electrolyte.potassium.low")
    assert "Magnesium has not been measured recently" in card.detail


def test_sodium_card_is_a_cause_work_up_not_a_salt_prescription(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab("2951-2", 128, "mmol/L")), "electrolyte.sodium.low")
    assert card.suggestions == ()
    assert "SIADH" in card.detail and "diuretic" in card.detail
    assert "do not advise salting" in card.detail
    assert "8-10 mmol/L in any 24 hours" in card.detail and "osmotic demyelination" in card.detail


@pytest.mark.parametrize(
    ("resources", "reason"),
    [((lab("2951-2", 113, "mmol/L"),), "sodium below 115"),
     ((lab("2951-2", 128, "mmol/L"), lab("2823-3", 3.1, "mmol/L")), "low potassium")],
)
def test_high_risk_sodium_correction_is_named(knowledge, resources, reason) -> None:
    card = card_for(patient_view(knowledge, twitching(), *resources), "electrolyte.sodium.low")
    assert f"high-risk ({reason}" in card.detail and "under 8 mmol/L" in card.detail


def test_calcium_card_asks_for_albumin_and_chvostek(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab("17861-6", 8.0, "mg/dL")), "electrolyte.calcium.low")
    assert "Chvostek" in card.detail and "Check albumin-adjusted or ionized calcium" in card.detail
    assert _proposal_codes(card) == ["1897"]


def test_normal_ionized_calcium_overrules_a_low_total(knowledge) -> None:
    evaluation = patient_view(knowledge, twitching(), lab("17861-6", 8.0, "mg/dL"), lab("1995-0", 1.2, "mmol/L"))
    assert "electrolyte.calcium.low" not in rule_ids(evaluation)


def test_low_ionized_calcium_shows_the_total_alongside(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab("17861-6", 8.9, "mg/dL"), lab("1995-0", 1.05, "mmol/L")),
                    "electrolyte.calcium.low")
    assert "1.05 mmol/L" in card.detail and "8.9 mg/dL" in card.detail


def test_lab_basis_shows_value_unit_range_date_and_source(knowledge) -> None:
    resource = lab("19123-9", 1.5, "mg/dL", when="2026-11-18", low=1.6, high=2.6, id="mg-7")
    card = card_for(patient_view(knowledge, twitching(id="tw-1"), resource), "electrolyte.magnesium.low")
    basis = card.detail.split("**Advice**")[0]
    for text in ("1.5 mg/dL", "0.62 mmol/L", "1.6-2.6 mg/dL (= 0.66-1.07 mmol/L; reporting lab)", "2026-11-18", "Observation/mg-7",
                 "Condition/tw-1"):
        assert text in basis
    assert card.detail.startswith("**Basis**")


def test_twitching_documented_only_by_icd_family_still_fires(knowledge) -> None:
    evaluation = patient_view(knowledge, condition("G51.39", ICD10CM), lab("2823-3", 3.2, "mmol/L"))
    assert "electrolyte.potassium.low" in rule_ids(evaluation)


def test_a_verbose_unit_text_cannot_push_the_summary_over_the_limit(knowledge) -> None:
    verbose = lab("19123-9", 1.1, "milligrams per decilitre (serum, fasting, repeat)", unit_code="mg/dL")
    card = card_for(patient_view(knowledge, twitching(), verbose), "electrolyte.magnesium.low")
    assert "0.45 mmol/L" in card.summary and len(card.summary) < 140
    assert "milligrams per decilitre" in card.detail


@pytest.mark.parametrize(
    ("others", "sentence"),
    [
        ((lab("2823-3", 3.2, "mmol/L"),), "Potassium is also low: correct magnesium first, otherwise it will"),
        ((lab("17861-6", 8.0, "mg/dL"),), "Calcium is also low: correct magnesium first, otherwise it will"),
        ((lab("2823-3", 3.2, "mmol/L"), lab("17861-6", 8.0, "mg/dL")),
         "Potassium and calcium are also low: correct magnesium first, otherwise they will"),
    ],
)
def test_magnesium_card_names_exactly_which_other_electrolyte_is_low(knowledge, others, sentence) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab("19123-9", 1.5, "mg/dL"), *others),
                    "electrolyte.magnesium.low")
    assert sentence in card.detail


def test_an_unreadable_unit_is_named_on_the_card_of_that_analyte(knowledge) -> None:
    unreadable = lab("19123-9", 1.1, "mmol/kg<b>", when="2026-11-22", id="odd")
    card = card_for(patient_view(knowledge, twitching(), unreadable, lab("19123-9", 1.5, "mg/dL")),
                    "electrolyte.magnesium.low")
    assert "could not be read" in card.detail and "Observation/odd" in card.detail
    assert "mmol/kg&lt;b&gt;" in card.detail


def test_an_unreadable_unit_without_any_usable_lab_is_named_on_the_panel_card(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching(), lab("2823-3", 3.0, "mval/L", id="k-odd")),
                    "electrolyte.panel.missing")
    assert "value 3.0, unit mval/L" in card.detail and "Observation/k-odd" in card.detail
