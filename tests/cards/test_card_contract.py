"""What every card promises, checked on scenarios that together fire every rule."""

from __future__ import annotations

import re

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest

from builders import (
    ICD10CM,
    TODAY,
    chart,
    condition,
    draft,
    icd,
    lab,
    medication,
    orders,
    patient,
    twitching,
)

NAMED_PATIENT = {**patient("female", "1992-02-02"), "name": [{"family": "Zyxwvut", "given": ["Qoph"]}]}
MODELS = {"ServiceRequest": ServiceRequest, "MedicationRequest": MedicationRequest}

PATIENT_VIEW_SCENARIOS = {
    "all-low": (twitching(onset="2026-01-01"), lab("19123-9", 1.1, "mg/dL"), lab("2823-3", 2.8, "mmol/L"),
                lab("2951-2", 127, "mmol/L"), lab("17861-6", 7.3, "mg/dL"), lab("1751-7", 3.1, "g/dL")),
    "mild-low": (twitching(), lab("19123-9", 1.5, "mg/dL"), lab("2823-3", 3.3, "mmol/L"),
                 lab("2951-2", 133, "mmol/L"), lab("1995-0", 1.1, "mmol/L")),
    "no-labs": (twitching(), condition("73595000"), icd("G40.909"), icd("G35.A")),
    "neuro": (twitching("G51.4", ICD10CM), icd("G35.B0"), icd("T56.0X1A"), icd("G40.309", onset="2026-11-15"),
              medication("Divalproex Sodium 500 MG"), icd("G51.0"), icd("R29.0"), lab("19123-9", 2.0, "mg/dL")),
    "refractory": (twitching(onset="2025-11-01"), twitching("G24.5", ICD10CM, recorded="2026-02-01"),
                   condition("91637004"), lab("19123-9", 2.0, "mg/dL"), lab("2823-3", 4.0, "mmol/L")),
    "pregnant-valproate": (twitching(), medication(rxnorm="11118"), condition("77386006"),
                           lab("2951-2", 139, "mmol/L")),
    "male-valproate": (twitching(), medication(rxnorm="11118"), lab("2951-2", 139, "mmol/L")),
}
# Scenarios whose patient is not the named woman (sex decides some rules).
PATIENTS = {"male-valproate": {**NAMED_PATIENT, "gender": "male"}}

ORDER_SCENARIOS = {
    "renal": (orders(draft("Potassium Chloride 20 MEQ"), draft("Magnesium sulfate 50% injection")),
              (twitching(), icd("N18.5"), lab("2823-3", 5.6, "mmol/L"))),
    "antiepileptics": (orders(draft("Lamotrigine 25 MG"), draft("Valproic Acid 250 MG")), (twitching(),)),
    "botulinum": (orders(draft("IncobotulinumtoxinA 50 UNT")), (twitching(), condition("56989000"))),
    "botulinum-pregnant": (orders(draft("Botox 100 UNT")), (twitching(), condition("77386006"))),
    "botulinum-child": (orders(draft("Botox 100 UNT")), (twitching(),)),
    "valproate-man": (orders(draft("Depakote 250 MG")), (twitching(),)),
}
ORDER_PATIENTS = {"valproate-man": {**NAMED_PATIENT, "gender": "male"},
                  "botulinum-child": {**NAMED_PATIENT, "birthDate": "2017-05-01"}}


def _evaluations(knowledge):
    for name, resources in PATIENT_VIEW_SCENARIOS.items():
        person = PATIENTS.get(name, NAMED_PATIENT)
        yield name, resources, knowledge.evaluate_patient_view(chart(*resources, patient_resource=person),
                                                               today=TODAY)
    for name, (context, resources) in ORDER_SCENARIOS.items():
        patient_resource = ORDER_PATIENTS.get(name, NAMED_PATIENT)
        evaluation = knowledge.evaluate_orders(chart(*resources, patient_resource=patient_resource), context,
                                               today=TODAY)
        yield name, (*resources, *context.draft_orders), evaluation


@pytest.fixture(scope="module")
def evaluated(knowledge):
    return [(name, resources, card) for name, resources, evaluation in _evaluations(knowledge)
            for card in evaluation.cards]


def test_the_scenarios_fire_every_rule(knowledge, evaluated) -> None:
    fired = {card.rule_id for _, _, card in evaluated}
    assert fired == {rule.rule_id for rule in knowledge.rules()}


def test_rule_ids_are_unique(knowledge) -> None:
    ids = [rule.rule_id for rule in knowledge.rules()]
    assert len(ids) == len(set(ids))


def test_summaries_are_under_140_characters(evaluated) -> None:
    for _, _, card in evaluated:
        assert 0 < len(card.summary) < 140, card.summary


def test_every_card_has_basis_first_then_advice_then_evidence(evaluated) -> None:
    for _, _, card in evaluated:
        basis = card.detail.index("**Basis**")
        advice = card.detail.index("**Advice**")
        evidence = card.detail.index("**Evidence:**")
        assert basis == 0 < advice < evidence, card.rule_id
        assert re.search(r"\| .+ \| .+ \|", card.detail[:advice]), card.rule_id


def test_basis_sources_are_real_resources_of_the_chart(evaluated) -> None:
    for _, resources, card in evaluated:
        known = {f"{r['resourceType']}/{r['id']}" for r in resources}
        cited = set(re.findall(r"(?:Observation|Condition|MedicationRequest|Patient)/[\w.-]+", card.detail))
        assert cited and cited <= known | {"Patient/p1"}, card.rule_id


def test_lab_values_appear_in_the_basis_of_their_cards(evaluated) -> None:
    for _, resources, card in evaluated:
        if not card.rule_id.startswith("electrolyte.") or card.rule_id.endswith("panel.missing"):
            continue
        basis = card.detail.split("**Advice**")[0]
        shown = [f"{r['valueQuantity']['value']} {r['valueQuantity']['unit']}" for r in resources
                 if r["resourceType"] == "Observation" and f"Observation/{r['id']}" in basis]
        assert shown and all(value in basis for value in shown), card.rule_id


def test_details_never_contain_the_patient_name(evaluated) -> None:
    for _, _, card in evaluated:
        assert "Zyxwvut" not in card.detail and "Qoph" not in card.detail


def test_every_suggestion_creates_valid_r4_proposals_or_removes_drafts_under_review(evaluated) -> None:
    for _, resources, card in evaluated:
        drafts = {f"{r['resourceType']}/{r['id']}" for r in resources if r.get("status") == "draft"}
        for suggestion in card.suggestions:
            assert suggestion.key and suggestion.label and (suggestion.resources or suggestion.removals)
            assert set(suggestion.removals) <= drafts, card.rule_id  # only draft orders, never active ones
            for resource in suggestion.resources:
                MODELS[resource["resourceType"]].model_validate(resource)
                assert (resource["status"], resource["intent"]) == ("draft", "proposal")
                assert resource["subject"] == {"reference": "Patient/p1"}


def test_every_order_check_card_offers_to_remove_its_draft(evaluated) -> None:
    order_cards = [card for _, _, card in evaluated if card.rule_id.startswith("order.")]
    assert {card.rule_id for card in order_cards} >= {"order.potassium.hyperkalemia-risk", "order.magnesium.renal",
                                                       "order.botulinum.nmj-disorder"}
    for card in order_cards:
        [suggestion] = card.suggestions
        assert suggestion.label.startswith("Remove the draft order") and suggestion.removals, card.rule_id
        assert not suggestion.resources, card.rule_id


def test_medication_proposals_carry_an_rxnorm_ingredient_and_text(evaluated) -> None:
    proposals = [r for _, _, card in evaluated for s in card.suggestions for r in s.resources
                 if r["resourceType"] == "MedicationRequest"]
    assert proposals
    for resource in proposals:
        concept = resource["medicationCodeableConcept"]
        assert concept["text"]
        assert concept["coding"][0]["system"] == "http://www.nlm.nih.gov/research/umls/rxnorm"
        assert concept["coding"][0]["code"] in {"6574", "8591", "1897"}


def test_at_most_one_suggestion_is_recommended_unless_any_may_be_chosen(evaluated) -> None:
    for _, _, card in evaluated:
        if card.selection_behavior == "at-most-one":
            assert sum(s.is_recommended for s in card.suggestions) <= 1, card.rule_id


# The override reasons as reviewed (cards/knowledge/override-reasons.yaml), written out independently of the file.
OVERRIDE_REASONS = {"already-addressed": ("Already addressed", 30), "patient-declined": ("Patient declined", 90),
                    "not-relevant": ("Not relevant for this patient", 180),
                    "disagree": ("Disagree with recommendation", 0)}


def test_cards_cite_absolute_sources_and_offer_the_shared_override_reasons(evaluated) -> None:
    for _, _, card in evaluated:
        assert card.source.label and card.source.url.startswith("https://")
        assert card.guideline is None or card.guideline.url.startswith("https://")
        assert {r.code: (r.display, r.snooze_days) for r in card.override_reasons} == OVERRIDE_REASONS
        assert card.title


def test_handout_topics_exist(knowledge, evaluated) -> None:
    topics = {card.handout_topic for _, _, card in evaluated if card.handout_topic}
    assert topics and topics <= set(knowledge.handout_topics())
