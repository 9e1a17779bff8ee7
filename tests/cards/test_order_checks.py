"""Order checks: hazards in the draft medication orders under review, for the twitching population only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import (
    TODAY,
    card_for,
    chart,
    condition,
    draft,
    icd,
    lab,
    medication,
    orders,
    patient,
    rule_ids,
    twitching,
)
from cards import OrderContext

SANDBOX = Path(__file__).parents[2] / "fixtures" / "sandbox"


def _check(knowledge, order_context, *resources, patient_resource=None):
    return knowledge.evaluate_orders(chart(*resources, patient_resource=patient_resource or patient()),
                                     order_context, today=TODAY)


def test_no_order_cards_without_documented_twitching(knowledge) -> None:
    evaluation = _check(knowledge, orders(draft("Potassium Chloride 20 MEQ")), lab("2823-3", 5.9, "mmol/L"),
                        icd("N18.5"))
    assert evaluation.cards == []


def test_potassium_with_high_potassium_is_critical(knowledge) -> None:
    evaluation = _check(knowledge, orders(draft("Potassium Chloride 20 MEQ", id="k1")), twitching(),
                        lab("2823-3", 5.8, "mmol/L", id="k-lab"))
    card = card_for(evaluation, "order.potassium.hyperkalemia-risk")
    assert card.indicator == "critical"
    assert "5.8 mmol/L" in card.detail and "Observation/k-lab" in card.detail and "MedicationRequest/k1" in card.detail


@pytest.mark.parametrize(
    "risk",
    [icd("N18.2"), lab("98979-8", 52, "mL/min/{1.73_m2}"), medication("spironolactone 25 MG", rxnorm="9997"),
     medication("Eplerenone 25 MG Oral Tablet"), medication(rxnorm="10763")],
)
def test_potassium_with_ckd_or_potassium_sparing_diuretic_is_a_warning(knowledge, risk) -> None:
    evaluation = _check(knowledge, orders(draft(rxnorm="8591")), twitching(), lab("2823-3", 4.1, "mmol/L"), risk)
    assert card_for(evaluation, "order.potassium.hyperkalemia-risk").indicator == "warning"


def test_potassium_sparing_diuretic_in_the_same_drafts_counts(knowledge) -> None:
    context = orders(draft("Potassium chloride 10 MEQ"), draft("Amiloride 5 MG"))
    assert "order.potassium.hyperkalemia-risk" in rule_ids(_check(knowledge, context, twitching()))


def test_potassium_without_a_risk_is_silent(knowledge) -> None:
    evaluation = _check(knowledge, orders(draft("Potassium Chloride 20 MEQ")), twitching(),
                        lab("2823-3", 3.2, "mmol/L"))
    assert evaluation.cards == []


def test_losartan_potassium_is_not_a_potassium_supplement(knowledge) -> None:
    evaluation = _check(knowledge, orders(draft("Losartan Potassium 50 MG Oral Tablet")), twitching(), icd("N18.5"))
    assert evaluation.cards == []


def test_magnesium_with_severe_kidney_disease_is_a_warning(knowledge) -> None:
    evaluation = _check(knowledge, orders(draft("Magnesium Oxide 400 MG Oral Tablet")), twitching(), icd("N18.4"))
    assert card_for(evaluation, "order.magnesium.renal").indicator == "warning"


@pytest.mark.parametrize("kidney", [(), (icd("N18.3"),), (lab("98979-8", 40, "mL/min/{1.73_m2}"),)])
def test_magnesium_without_severe_kidney_disease_is_silent(knowledge, kidney) -> None:
    evaluation = _check(knowledge, orders(draft(rxnorm="6585")), twitching(), *kidney)
    assert "order.magnesium.renal" not in rule_ids(evaluation)


@pytest.mark.parametrize(
    ("person", "extra", "indicator"),
    [(patient("female", "1998-05-01"), (), "warning"),
     ({"resourceType": "Patient", "id": "p1"}, (), "warning"),
     (patient("female", "1998-05-01"), (icd("Z33.1"),), "critical")],
)
def test_valproate_order_for_someone_who_could_become_pregnant(knowledge, person, extra, indicator) -> None:
    evaluation = _check(knowledge, orders(draft("Valproic Acid 250 MG Oral Capsule")), twitching(), *extra,
                        patient_resource=person)
    assert card_for(evaluation, "order.valproate.pregnancy").indicator == indicator


@pytest.mark.parametrize("person", [patient("male", "1990-01-01"), patient("female", "1950-01-01")])
def test_valproate_order_is_silent_when_pregnancy_is_not_possible(knowledge, person) -> None:
    evaluation = _check(knowledge, orders(draft(rxnorm="11118")), twitching(), patient_resource=person)
    assert "order.valproate.pregnancy" not in rule_ids(evaluation)


@pytest.mark.parametrize(
    ("context", "chart_meds"),
    [
        (orders(draft("Lamotrigine 25 MG Oral Tablet")), (medication("Divalproex Sodium 250 MG"),)),
        (orders(draft("Valproate sodium 500 MG")), (medication(rxnorm="28439"),)),
        (orders(draft("Lamotrigine 25 MG"), draft("Valproic acid 250 MG")), ()),
    ],
    ids=["lamotrigine-on-valproate", "valproate-on-lamotrigine", "both-drafted"],
)
def test_lamotrigine_with_valproate_is_a_warning(knowledge, context, chart_meds) -> None:
    evaluation = _check(knowledge, context, twitching(), *chart_meds, patient_resource=patient("male"))
    card = card_for(evaluation, "order.lamotrigine.valproate")
    assert card.indicator == "warning" and "half" in card.detail and "Stevens-Johnson" in card.detail


def test_lamotrigine_alone_is_silent(knowledge) -> None:
    evaluation = _check(knowledge, orders(draft("Lamotrigine 25 MG")), twitching(), patient_resource=patient("male"))
    assert evaluation.cards == []


@pytest.mark.parametrize("disorder", [condition("91637004"), icd("G70.00"), icd("G73.1"), condition("86044005")])
def test_botulinum_with_a_neuromuscular_junction_disorder_is_a_warning(knowledge, disorder) -> None:
    evaluation = _check(knowledge, orders(draft("onabotulinumtoxinA 100 UNT Injection")), twitching(), disorder)
    assert card_for(evaluation, "order.botulinum.nmj-disorder").indicator == "warning"


def test_botulinum_without_nmj_disorder_is_silent(knowledge) -> None:
    evaluation = _check(knowledge, orders(draft("Botox 100 unit", atc="M03AX01")), twitching())
    assert evaluation.cards == []


def test_only_selected_orders_are_checked(knowledge) -> None:
    context = orders(draft("Potassium Chloride 20 MEQ", id="k"), draft("Metformin 500 MG", id="m"),
                     selections=("MedicationRequest/m",))
    assert _check(knowledge, context, twitching(), icd("N18.5")).cards == []
    context = orders(*context.draft_orders, selections=("MedicationRequest/k",))
    assert rule_ids(_check(knowledge, context, twitching(), icd("N18.5"))) == ["order.potassium.hyperkalemia-risk"]


def test_order_hooks_return_only_order_check_cards(knowledge) -> None:
    evaluation = _check(knowledge, orders(draft(rxnorm="6574")), twitching(), icd("N18.5"),
                        lab("19123-9", 1.0, "mg/dL"), icd("G40.909"))
    assert rule_ids(evaluation) == ["order.magnesium.renal"]


def test_sandbox_draft_orders_are_read_despite_non_r4_shapes(knowledge) -> None:
    request = json.loads((SANDBOX / "order-select-request.json").read_text())
    drafts = [entry["resource"] for entry in request["context"]["draftOrders"]["entry"]]
    drafts[0]["medicationCodeableConcept"] = {"text": "Potassium Chloride 20 MEQ Extended Release Oral Tablet"}
    context = OrderContext(draft_orders=drafts, selections=tuple(request["context"]["selections"]))
    evaluation = _check(knowledge, context, twitching(), icd("N18.4"))
    card = card_for(evaluation, "order.potassium.hyperkalemia-risk")
    assert "MedicationRequest/request-123" in card.detail
    assert not evaluation.skipped_resources


def test_unmodified_sandbox_order_raises_nothing(knowledge) -> None:
    request = json.loads((SANDBOX / "order-sign-request.json").read_text())
    drafts = [entry["resource"] for entry in request["context"]["draftOrders"]["entry"]]
    assert _check(knowledge, OrderContext(draft_orders=drafts), twitching(), icd("N18.4")).cards == []


# --- the suggestion every order-check card offers: remove the draft ---------------------------------------------


def _removal(card):
    [suggestion] = card.suggestions
    assert not suggestion.resources
    return suggestion


def test_a_potassium_card_offers_to_remove_the_draft_and_recommends_it_when_potassium_is_high(knowledge) -> None:
    high = _check(knowledge, orders(draft("Potassium Chloride 20 MEQ", id="k1")), twitching(),
                  lab("2823-3", 5.8, "mmol/L"))
    suggestion = _removal(card_for(high, "order.potassium.hyperkalemia-risk"))
    assert suggestion.removals == ("MedicationRequest/k1",)
    assert suggestion.key == "order.potassium.hyperkalemia-risk.remove-draft"
    assert suggestion.label == "Remove the draft order: Potassium Chloride 20 MEQ"
    assert suggestion.is_recommended
    ckd = _check(knowledge, orders(draft("Potassium Chloride 20 MEQ", id="k1")), twitching(), icd("N18.2"),
                 lab("2823-3", 4.1, "mmol/L"))
    assert not _removal(card_for(ckd, "order.potassium.hyperkalemia-risk")).is_recommended


@pytest.mark.parametrize(
    ("rule", "context", "resources", "person", "recommended"),
    [
        ("order.magnesium.renal", orders(draft("Magnesium Oxide 400 MG Oral Tablet", id="d1")), (icd("N18.4"),),
         None, False),
        ("order.valproate.pregnancy", orders(draft("Valproic Acid 250 MG Oral Capsule", id="d1")), (icd("Z33.1"),),
         patient("female", "1998-05-01"), True),
        ("order.valproate.pregnancy", orders(draft("Valproic Acid 250 MG Oral Capsule", id="d1")), (),
         patient("female", "1998-05-01"), False),
        ("order.valproate.under-55", orders(draft("Valproic Acid 250 MG Oral Capsule", id="d1")), (),
         patient("male", "1990-01-01"), False),
        ("order.botulinum.nmj-disorder", orders(draft("onabotulinumtoxinA 100 UNT Injection", id="d1")),
         (condition("91637004"),), None, False),
        ("order.botulinum.pregnancy", orders(draft("onabotulinumtoxinA 100 UNT Injection", id="d1")),
         (icd("Z33.1"),), None, False),
        ("order.botulinum.under-licensed-age", orders(draft("onabotulinumtoxinA 100 UNT Injection", id="d1")), (),
         patient("female", "2017-05-01"), False),
    ],
)
def test_every_order_check_offers_to_remove_the_checked_draft(knowledge, rule, context, resources, person,
                                                               recommended) -> None:
    card = card_for(_check(knowledge, context, twitching(), *resources, patient_resource=person), rule)
    suggestion = _removal(card)
    assert suggestion.removals == ("MedicationRequest/d1",)
    assert suggestion.label == f"Remove the draft order: {context.draft_orders[0]['medicationCodeableConcept']['text']}"
    assert suggestion.is_recommended is recommended


@pytest.mark.parametrize(
    ("context", "chart_meds", "removed"),
    [
        (orders(draft("Lamotrigine 25 MG", id="lam")), (medication("Divalproex Sodium 250 MG"),), "lam"),
        (orders(draft("Valproate sodium 500 MG", id="vpa")), (medication(rxnorm="28439"),), "vpa"),
        (orders(draft("Lamotrigine 25 MG", id="lam"), draft("Valproic acid 250 MG", id="vpa")), (), "lam"),
    ],
    ids=["lamotrigine-on-valproate", "valproate-on-lamotrigine", "both-drafted"],
)
def test_lamotrigine_with_valproate_offers_to_remove_the_new_drug_without_recommending_it(
        knowledge, context, chart_meds, removed) -> None:
    card = card_for(_check(knowledge, context, twitching(), *chart_meds, patient_resource=patient("male")),
                    "order.lamotrigine.valproate")
    suggestion = _removal(card)
    assert suggestion.removals == (f"MedicationRequest/{removed}",)
    assert not suggestion.is_recommended  # the advice is the halved titration, not stopping


def test_order_select_removes_only_the_selected_drafts(knowledge) -> None:
    context = orders(draft("Potassium Chloride 20 MEQ", id="k-selected"), draft("Potassium Chloride 10 MEQ", id="k2"),
                     selections=("MedicationRequest/k-selected",))
    card = card_for(_check(knowledge, context, twitching(), icd("N18.5")), "order.potassium.hyperkalemia-risk")
    assert _removal(card).removals == ("MedicationRequest/k-selected",)


def test_order_sign_removes_every_draft_of_the_drug_in_one_suggestion(knowledge) -> None:
    context = orders(draft("Potassium Chloride 20 MEQ", id="k1"), draft("Potassium Chloride 10 MEQ", id="k2"),
                     draft("Metformin 500 MG", id="m"))
    card = card_for(_check(knowledge, context, twitching(), icd("N18.5")), "order.potassium.hyperkalemia-risk")
    suggestion = _removal(card)
    assert suggestion.removals == ("MedicationRequest/k1", "MedicationRequest/k2")
    assert suggestion.label == "Remove the draft orders: Potassium Chloride 20 MEQ, Potassium Chloride 10 MEQ"


@pytest.mark.parametrize("bad_id", [None, "", "has space", "x" * 65, "under_score"])
def test_a_draft_without_a_usable_id_gets_no_suggestion(knowledge, bad_id) -> None:
    order = draft("Potassium Chloride 20 MEQ")
    if bad_id is None:
        del order["id"]
    else:
        order["id"] = bad_id
    card = card_for(_check(knowledge, orders(order), twitching(), icd("N18.5")), "order.potassium.hyperkalemia-risk")
    assert card.suggestions == ()


def test_no_suggestion_when_one_of_the_drafts_cannot_be_named(knowledge) -> None:
    nameless = draft("Potassium Chloride 10 MEQ")
    del nameless["id"]
    context = orders(draft("Potassium Chloride 20 MEQ", id="k1"), nameless)
    card = card_for(_check(knowledge, context, twitching(), icd("N18.5")), "order.potassium.hyperkalemia-risk")
    assert card.suggestions == ()


def test_the_sandbox_draft_is_removed_by_its_relative_reference(knowledge) -> None:
    request = json.loads((SANDBOX / "order-select-request.json").read_text())
    drafts = [entry["resource"] for entry in request["context"]["draftOrders"]["entry"]]
    drafts[0]["medicationCodeableConcept"] = {"text": "Potassium Chloride 20 MEQ Extended Release Oral Tablet"}
    context = OrderContext(draft_orders=drafts, selections=tuple(request["context"]["selections"]))
    card = card_for(_check(knowledge, context, twitching(), icd("N18.4")), "order.potassium.hyperkalemia-risk")
    assert _removal(card).removals == ("MedicationRequest/request-123",)
