"""Reading current medicines (cards/medication_reading.py), pinned so that mutation testing (README, Mutation
testing) notices any change to what counts as taken now and how it is named and dated.

The expected rules are written here, not read back from `cards`:

| Item                    | Expected                                                                  | Source              |
|-------------------------|---------------------------------------------------------------------------|---------------------|
| taken now               | MedicationRequest active; MedicationStatement active or intended           | FHIR R4 status sets |
| an order not to give    | `doNotPerform: true` is no exposure                                        | FHIR R4             |
| dated by                | request: authoredOn; statement: dateAsserted, else effective[x] (start)    | FHIR R4             |
| named by                | the concept's text, else the first coding display, else the reference's   | service rule        |
|                         | display, else "medication not named"                                       |                     |
| status shown            | "active"; a statement: "<status> (medication statement)"                   | service rule        |
"""

from __future__ import annotations

from collections import Counter

import pytest

from builders import (
    RXNORM,
    SHIPPED_THRESHOLDS,
    SHIPPED_WORDING,
    TODAY,
    medication,
    patient,
    twitching,
)
from cards import ChartData
from cards.chart_reader import read_chart
from cards.knowledge import KNOWLEDGE_VERSION
from cards.medication_reading import NamedMedication, index_products, name_medication, references_to_fetch
from cards.terminology import Concept, load_terminology


@pytest.fixture(scope="module")
def terminology():
    return load_terminology(version=KNOWLEDGE_VERSION)


def _medications(terminology, requests=(), statements=(), products=None):
    chart = ChartData(patient_id="p1", patient=patient(), conditions=[twitching()], medication_requests=list(requests),
                      medication_statements=list(statements), medication_products=products or {})
    return read_chart(chart, terminology, today=TODAY, lab_recency_days=90, thresholds=SHIPPED_THRESHOLDS,
                      wording=SHIPPED_WORDING, skipped=Counter()).medications


def _statement(text: str, status: str = "active", **extra):
    resource = medication(text, resource_type="MedicationStatement", status=status, **extra)
    del resource["intent"]
    return resource


def test_a_prescription_is_named_coded_dated_and_shown_active(terminology) -> None:
    [fact] = _medications(terminology, [medication("Depakote 250 mg", rxnorm="11118", id="r1",
                                                   authoredOn="2026-01-02")])
    assert fact.reference == "MedicationRequest/r1"
    assert fact.label == "Depakote 250 mg"
    assert fact.codes == ((RXNORM, "11118"),)
    assert fact.recorded.isoformat() == "2026-01-02"
    assert fact.status == "active"
    assert Concept.VALPROATE in fact.concepts


@pytest.mark.parametrize(("status", "counted"), [("active", True), ("intended", True), ("completed", False),
                                                 ("stopped", False), ("not-taken", False)])
def test_a_statement_counts_when_active_or_intended_and_says_it_is_a_statement(terminology, status, counted) -> None:
    facts = _medications(terminology, statements=[_statement("Lamictal 100 mg", status, id="s1")])
    assert [f.status for f in facts] == ([f"{status} (medication statement)"] if counted else [])
    if counted:
        assert facts[0].reference == "MedicationStatement/s1"


@pytest.mark.parametrize("status", ["intended", "draft", "on-hold", "completed", "stopped"])
def test_a_request_counts_only_when_active(terminology, status) -> None:
    assert _medications(terminology, [medication("Lamictal 100 mg", status=status)]) == ()


def test_a_statement_as_a_request_or_an_unknown_type_does_not_count(terminology) -> None:
    other = medication("Lamictal 100 mg", resource_type="MedicationAdministration")
    assert _medications(terminology, [other]) == ()


@pytest.mark.parametrize(("dates", "recorded"), [
    ({"dateAsserted": "2026-02-03", "effectiveDateTime": "2026-01-01"}, "2026-02-03"),
    ({"effectiveDateTime": "2026-01-01"}, "2026-01-01"),
    ({"effectivePeriod": {"start": "2025-12-01"}}, "2025-12-01"),
    ({}, None),
])
def test_a_statement_is_dated_when_asserted_else_when_taken(terminology, dates, recorded) -> None:
    [fact] = _medications(terminology, statements=[_statement("Lamictal 100 mg", **dates)])
    assert (fact.recorded.isoformat() if fact.recorded else None) == recorded


def test_an_order_not_to_give_is_no_medication(terminology) -> None:
    assert _medications(terminology, [medication("Depakote 250 mg", doNotPerform=True)]) == ()
    assert len(_medications(terminology, [medication("Depakote 250 mg", doNotPerform=False)])) == 1


def test_an_unmatched_drug_is_left_out(terminology) -> None:
    assert _medications(terminology, [medication("Paracetamol 500 mg")]) == ()


def test_codes_keep_only_complete_codings(terminology) -> None:
    request = medication("Depakote 250 mg")
    request["medicationCodeableConcept"]["coding"] = [{"system": RXNORM}, {"code": "11118"},
                                                      {"system": RXNORM, "code": "11118"}]
    [fact] = _medications(terminology, [request])
    assert fact.codes == ((RXNORM, "11118"),)


# --- the label ----------------------------------------------------------------------------------------------------

def test_the_label_is_the_text_else_the_first_coding_display_else_the_reference_display() -> None:
    assert NamedMedication(({"text": "  Depakote  "},), (), None, None).label == "Depakote"
    assert NamedMedication(({"text": "  ", "coding": [{"display": " "}, {"code": "1"}, "junk",
                                                      {"display": " Valproic acid "}, {"display": "other"}]},),
                           (), None, None).label == "Valproic acid"
    assert NamedMedication(({"coding": "junk"}, {"text": 5}), (" ", "Lamictal"), None, None).label == "Lamictal"
    assert NamedMedication((), (), None, None).label == "medication not named"
    # The text of a later concept is preferred to a display of the first.
    assert NamedMedication(({"coding": [{"display": "first display"}]}, {"text": "second text"}), (), None,
                           None).label == "second text"


def test_a_reference_display_names_a_contained_or_bundled_product_too(terminology) -> None:
    raw = {"resourceType": "MedicationRequest", "id": "r1", "status": "active",
           "medicationReference": {"reference": "Medication/m1", "display": "Lamictal"}}
    named = name_medication(raw, {"Medication/m1": {"resourceType": "Medication", "id": "m1", "code": {}}})
    assert named.names == ("Lamictal",) and named.product == "Medication/m1" and named.unresolved is None
    assert Concept.LAMOTRIGINE in named.match(terminology)


def test_a_reference_without_an_address_is_named_by_its_display_only() -> None:
    raw = {"medicationReference": {"reference": "", "display": "Lamictal"}}
    assert name_medication(raw, {}) == NamedMedication((), ("Lamictal",), None, None)
    assert name_medication({"medicationReference": "Medication/m1"}, {}) == NamedMedication((), (), None, None)
    assert name_medication({"medicationReference": {"display": 7}}, {}) == NamedMedication((), (), None, None)


def test_a_contained_product_is_found_by_its_local_id_only() -> None:
    contained = [{"resourceType": "Substance", "id": "c1"}, "junk",
                 {"resourceType": "Medication", "id": "c2", "code": {"text": "wrong"}},
                 {"resourceType": "Medication", "id": "c1", "code": {"text": "Depakote"}}]
    named = name_medication({"contained": contained, "medicationReference": {"reference": "#c1"}}, {})
    assert named.concepts == ({"text": "Depakote"},)
    assert named.product == "contained Medication #c1"
    missing = name_medication({"contained": contained, "medicationReference": {"reference": "#c9"}}, {})
    assert (missing.product, missing.unresolved) == ("contained Medication #c9", "#c9")


def test_a_product_names_its_code_and_each_ingredient() -> None:
    product = {"resourceType": "Medication", "id": "m1", "code": {"text": "combo"},
               "ingredient": [{"itemCodeableConcept": {"text": "a"}}, "junk", {"itemReference": {}},
                              {"itemCodeableConcept": {"text": "b"}}]}
    named = name_medication({"medicationReference": {"reference": "Medication/m1"}}, {"Medication/m1": product})
    assert named.concepts == ({"text": "combo"}, {"text": "a"}, {"text": "b"})


def test_products_found_by_full_address_before_their_path() -> None:
    by_url = {"resourceType": "Medication", "id": "m1", "code": {"text": "by url"}}
    by_path = {"resourceType": "Medication", "id": "m1", "code": {"text": "by path"}}
    products = {"https://ehr.example/fhir/Medication/m1": by_url, "Medication/m1": by_path}
    named = name_medication({"medicationReference": {"reference": "https://ehr.example/fhir/Medication/m1"}},
                            products)
    assert named.concepts == ({"text": "by url"},)
    assert named.product == "Medication/m1"
    unknown = name_medication({"medicationReference": {"reference": "urn:uuid:7"}}, {})
    assert (unknown.product, unknown.unresolved) == ("urn:uuid:7", "urn:uuid:7")


def test_references_to_fetch_are_medication_paths_once_each_in_order() -> None:
    holders = [{"medicationReference": {"reference": "https://ehr.example/fhir/Medication/b"}},
               {"medicationReference": {"reference": "Medication/a"}},
               {"medicationReference": {"reference": "Medication/b"}},
               {"medicationReference": {"reference": "urn:uuid:7"}}]
    assert references_to_fetch(holders, {}) == ("Medication/b", "Medication/a")


def test_index_products_without_an_id_or_full_url() -> None:
    product = {"resourceType": "Medication", "code": {"text": "x"}}
    assert index_products([{"resource": product}]) == {}
    assert index_products([{"resource": product, "fullUrl": "urn:uuid:1"}]) == {"urn:uuid:1": product}
    assert index_products([{"resource": {**product, "id": 5}, "fullUrl": 7}]) == {}


def test_every_entry_and_holder_is_read_past_one_that_is_not_a_medication() -> None:
    product = {"resourceType": "Medication", "id": "m1", "code": {"text": "x"}}
    assert index_products([{"resource": {"resourceType": "Patient", "id": "p1"}}, "junk",
                           {"resource": product}]) == {"Medication/m1": product}
    holders = ["junk", {"medicationReference": {"reference": "Medication/a"}}]
    assert references_to_fetch(holders, {}) == ("Medication/a",)


def test_a_local_reference_is_never_fetched_even_when_it_ends_like_a_medication_path() -> None:
    assert references_to_fetch([{"medicationReference": {"reference": "#x/Medication/m1"}}], {}) == ()


@pytest.mark.parametrize("first", [
    "junk",
    {"resourceType": "MedicationRequest", "status": {"code": "active"}, "medicationCodeableConcept": {"text": "x"}},
    medication("Depakote 250 mg", status="completed"),
    medication("Depakote 250 mg", doNotPerform=True),
    medication("Paracetamol 500 mg"),
    {**medication("Depakote 250 mg"), "authoredOn": "not a date"},  # fails validation
], ids=["not-an-object", "status-an-object", "completed", "do-not-perform", "unmatched", "invalid"])
def test_a_medication_after_one_that_does_not_count_is_still_read(terminology, first) -> None:
    facts = _medications(terminology, [first, medication("Lamictal 100 mg", id="later")])
    assert [fact.reference for fact in facts] == ["MedicationRequest/later"]
