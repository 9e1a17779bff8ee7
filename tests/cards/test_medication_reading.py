"""Naming the drug of a prescription, statement or draft order in every shape FHIR R4 allows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cards.medication_reading import index_products, name_medication, product_path, references_to_fetch
from cards.terminology import Concept

DEPAKOTE = {"resourceType": "Medication", "id": "m1", "code": {"text": "Depakote 250 mg"}}
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"


def holder(**medication: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "r1", "status": "active", **medication}


@pytest.mark.parametrize("reference, expected", [
    ("Medication/m1", "Medication/m1"),
    ("https://ehr.example/fhir/Medication/m1", "Medication/m1"),
    ("Medication/m1/_history/7", "Medication/m1"),
    ("Substance/m1", None),
    ("#m1", None),
    ("Medication/has space", None),
])
def test_product_path_reads_relative_absolute_and_versioned_references(reference: str, expected: str | None) -> None:
    assert product_path(reference) == expected


def test_products_are_indexed_by_id_and_full_url_and_other_resources_ignored() -> None:
    entries = [{"fullUrl": "urn:uuid:1", "resource": DEPAKOTE}, {"resource": holder()}, "junk", {"resource": []}]
    assert index_products(entries) == {"Medication/m1": DEPAKOTE, "urn:uuid:1": DEPAKOTE}


def test_a_codeable_concept_names_the_drug_directly(terminology) -> None:
    named = name_medication(holder(medicationCodeableConcept={"coding": [{"system": RX, "code": "11118"}]}), {})
    assert Concept.VALPROATE in named.match(terminology)
    assert named.product is None


def test_a_contained_medication_is_followed(terminology) -> None:
    raw = holder(contained=[{**DEPAKOTE, "id": "c1"}], medicationReference={"reference": "#c1"})
    named = name_medication(raw, {})
    assert named.label == "Depakote 250 mg"
    assert Concept.VALPROATE in named.match(terminology)


def test_a_bundled_medication_is_followed_by_any_address(terminology) -> None:
    products = index_products([{"fullUrl": "urn:uuid:9", "resource": DEPAKOTE}])
    for reference in ("Medication/m1", "urn:uuid:9", "https://other.example/fhir/Medication/m1"):
        assert Concept.VALPROATE in name_medication(holder(medicationReference={"reference": reference}),
                                                    products).match(terminology)


def test_compound_ingredients_count(terminology) -> None:
    compound = {"resourceType": "Medication", "id": "m2",
                "ingredient": [{"itemCodeableConcept": {"text": "potassium chloride"}}]}
    named = name_medication(holder(medicationReference={"reference": "Medication/m2"}),
                            {"Medication/m2": compound})
    assert Concept.POTASSIUM_SUPPLEMENT in named.match(terminology)


def test_an_unresolved_reference_falls_back_to_its_display_and_is_to_be_fetched(terminology) -> None:
    raw = holder(medicationReference={"reference": "Medication/gone", "display": "Lamictal 100 mg"})
    named = name_medication(raw, {})
    assert named.unresolved == "Medication/gone"
    assert named.label == "Lamictal 100 mg"
    assert Concept.LAMOTRIGINE in named.match(terminology)
    assert references_to_fetch([raw, raw, holder(medicationReference={"reference": "#absent"})], {}) == (
        "Medication/gone",)


def test_nothing_to_fetch_when_every_reference_is_at_hand() -> None:
    raw = holder(medicationReference={"reference": "Medication/m1"})
    assert references_to_fetch([raw, "junk", holder()], {"Medication/m1": DEPAKOTE}) == ()


@pytest.mark.parametrize("text, concept", [
    ("Epilim Chrono 500 prolonged-release tablets", Concept.VALPROATE),
    ("Sodium valproate 200mg gastro-resistant tablets", Concept.VALPROATE),
    ("valproate semisodium 250 mg", Concept.VALPROATE),
    ("Depakote Sprinkles 125 mg", Concept.VALPROATE),
    ("Subvenite 25 mg", Concept.LAMOTRIGINE),
    ("LAMICTAL ODT 50 MG", Concept.LAMOTRIGINE),
    ("Spritam 1000 mg", Concept.ANTICONVULSANT),
    ("Myobloc 5000 units", Concept.BOTULINUM_TOXIN),
    ("Magnesium oxide 400 mg", Concept.MAGNESIUM_SUPPLEMENT),
])
def test_brand_and_salt_names_are_recognised(terminology, text: str, concept: Concept) -> None:
    assert concept in terminology.match_text(text)


@pytest.mark.parametrize("text", ["esomeprazole magnesium 40 MG capsule", "Omeprazole magnesium 20 mg",
                                  "losartan potassium 50 mg"])
def test_drugs_formulated_as_a_salt_are_not_supplements(terminology, text: str) -> None:
    assert not terminology.match_text(text) & {Concept.MAGNESIUM_SUPPLEMENT, Concept.POTASSIUM_SUPPLEMENT}


def test_hostile_shapes_are_not_medications_and_do_not_crash(knowledge) -> None:
    from builders import chart, orders, twitching
    hostile = [{"resourceType": "MedicationRequest", "status": {"x": 1}, "medicationCodeableConcept": {"text": "Depakote"}},
               {"resourceType": ["MedicationRequest"], "status": "active"},
               {"resourceType": "MedicationStatement", "status": ["active"]}]
    patient_chart = chart(twitching())
    patient_chart = type(patient_chart)(**{**patient_chart.__dict__, "medication_requests": hostile[:2],
                                           "medication_statements": hostile[2:]})
    view = knowledge.evaluate_patient_view(patient_chart, today=date(2026, 11, 25))
    assert "epilepsy.valproate.pregnancy-prevention" not in [card.rule_id for card in view.cards]
    # A draft is checked whatever its status says: the odd status does not hide the valproate order.
    evaluation = knowledge.evaluate_orders(patient_chart, orders(*hostile), today=date(2026, 11, 25))
    assert [card.rule_id for card in evaluation.cards] == ["order.valproate.pregnancy"]


def test_chart_labels_inside_advice_are_escaped(knowledge) -> None:
    from builders import chart, condition, lab, medication, twitching
    hostile = "<img src=x onerror=alert(1)> spironolactone"
    view = knowledge.evaluate_patient_view(
        chart(twitching(), lab("2823-3", 3.2, "mmol/L"), medication(hostile)), today=date(2026, 11, 25))
    potassium = next(card for card in view.cards if card.rule_id == "electrolyte.potassium.low")
    assert "<img" not in potassium.detail and "&lt;img" in potassium.detail
    nmj = {**condition("91637004"), "code": {**condition("91637004")["code"], "text": "<b>MG</b> [x](http://e)"}}
    view = knowledge.evaluate_patient_view(chart(twitching(onset="2025-01-01"), nmj, lab("19123-9", 2.0, "mg/dL"),
                                                 lab("2823-3", 4.0, "mmol/L")), today=date(2026, 11, 25))
    refractory = next(card for card in view.cards if card.rule_id == "refractory.botulinum-toxin")
    assert "neuromuscular junction disorder is recorded" in refractory.detail
    assert "<b>" not in refractory.detail and "[x](http" not in refractory.detail
