"""Order checks, pinned so that mutation testing (README, Mutation testing) notices any change to what they say.

Every card's summary, advice sentences, evidence line, citations and handout are asserted here by content, and the
reading of draft orders (resource types, `doNotPerform`, selections by bare id or absolute URL, duplicate drafts) by
behaviour. The expected wording is the reviewed wording, written out here, not read back from `cards`:

| Card                              | Safety-critical sentence                                         | Source             |
|-----------------------------------|------------------------------------------------------------------|--------------------|
| potassium order, potassium high   | "do not give potassium"                                          | openFDA KCl labels |
| potassium order, no potassium lab | "measure it before giving potassium"                             | openFDA KCl labels |
| valproate order, pregnant         | "Pregnant: do not start valproate"                               | NICE NG217, MHRA   |
| valproate order, under 55         | two specialists needed to start under 55                         | MHRA DSU Jan 2024  |
| magnesium order, eGFR < 30        | "reduced dose, with magnesium levels monitored"                  | openFDA MgSO4      |
| botulinum toxin, NMJ disorder     | "involve their neurologist before injecting"                     | openFDA, AAN 2016  |
"""

from __future__ import annotations

import pytest

from builders import (
    TODAY,
    advice_lines,
    basis_notes,
    card_for,
    chart,
    citation_links,
    condition,
    draft,
    evidence_text,
    icd,
    lab,
    medication,
    orders,
    patient,
    rule_ids,
    twitching,
)
from expected_wording import VALPROATE_EVIDENCE, VALPROATE_RISKS
from cards import OrderContext

K_MOLAR, EGFR = "2823-3", "62238-1"
EGFR_UNIT = "mL/min/{1.73_m2}"
POTASSIUM, MAGNESIUM = "order.potassium.hyperkalemia-risk", "order.magnesium.renal"
VALPROATE_PREGNANCY, VALPROATE_UNDER_55 = "order.valproate.pregnancy", "order.valproate.under-55"
LAMOTRIGINE = "order.lamotrigine.valproate"
BOTULINUM_NMJ, BOTULINUM_PREGNANCY, BOTULINUM_CHILD = ("order.botulinum.nmj-disorder", "order.botulinum.pregnancy",
                                                      "order.botulinum.under-licensed-age")

OPENFDA = ("openFDA drug labels (boxed warnings, contraindications)", "https://open.fda.gov/apis/drug/label/")
STATPEARLS_K = ("StatPearls: Hypokalemia (NBK482465)", "https://www.ncbi.nlm.nih.gov/books/NBK482465/")
NICE_NG217 = ("NICE NG217: Epilepsies in children, young people and adults", "https://www.nice.org.uk/guidance/ng217")
AAN_2016 = ("AAN 2016 guideline update: botulinum neurotoxin for blepharospasm and other movement disorders",
            "https://doi.org/10.1212/WNL.0000000000002560")
AAN_2019 = ("AAN 2019 practice guideline: treatment of tics in people with Tourette syndrome and chronic tic disorders "
            "(Pringsheim et al., Neurology 2019;92:896-906)", "https://doi.org/10.1212/WNL.0000000000007466")
MHRA_2024_MEN = ("MHRA Drug Safety Update (September 2024): valproate use in men - effective contraception as a "
                 "precaution", "https://www.gov.uk/drug-safety-update/valproate-use-in-men-as-a-precaution-men-and-"
                 "their-partners-should-use-effective-contraception")
MHRA_2025_MEN = ("MHRA (February 2025): update on two-specialist review requirements for male patients already taking "
                 "valproate", "https://www.gov.uk/government/news/update-on-2-specialist-review-requirements-for-male-"
                 "patients-already-taking-valproate")

POTASSIUM_DO_NOT_GIVE = "Potassium is already above the range: do not give potassium; review why it was ordered."
POTASSIUM_CAREFUL = ("If potassium is still needed, use the lowest effective dose and recheck potassium and kidney "
                     "function within a few days.")
POTASSIUM_MEASURE_FIRST = "There is no recent potassium result: measure it before giving potassium."
POTASSIUM_CONTRAINDICATED = (
    "Potassium supplements are contraindicated in hyperkalaemia; kidney disease, acidosis, adrenal insufficiency and "
    "potassium-sparing diuretics (spironolactone, triamterene, amiloride, eplerenone) raise the risk.")
POTASSIUM_EVIDENCE = "Contraindication and interaction warnings from the potassium chloride product labels (openFDA)."

VALPROATE_PREGNANT_DO_NOT_START = ("Pregnant: do not start valproate; arrange urgent specialist review of the epilepsy "
                                   "treatment.")


def _check(knowledge, order_context, *resources, person=None):
    return knowledge.evaluate_orders(chart(twitching(), *resources, patient_resource=person or patient()),
                                     order_context, today=TODAY)


# --- potassium -------------------------------------------------------------------------------------------------------

def test_potassium_order_with_high_potassium_says_do_not_give_it(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft("Potassium Chloride 20 MEQ", id="k1")),
                           lab(K_MOLAR, 5.9, "mmol/L", id="k-lab")), POTASSIUM)
    assert card.summary == "Potassium order with potassium above range: risk of dangerously high potassium"
    assert card.indicator == "critical"
    assert advice_lines(card) == [POTASSIUM_DO_NOT_GIVE, POTASSIUM_CONTRAINDICATED]
    assert evidence_text(card) == POTASSIUM_EVIDENCE
    assert citation_links(card) == [OPENFDA, STATPEARLS_K]
    assert (card.source.label, card.source.url) == OPENFDA
    assert card.handout_topic is None


def test_potassium_order_without_a_potassium_result_says_measure_it_first(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft("Potassium Chloride 20 MEQ")), icd("N18.3", id="ckd")), POTASSIUM)
    assert card.summary == "Potassium order with chronic kidney disease: risk of dangerously high potassium"
    assert card.indicator == "warning"
    assert advice_lines(card) == [POTASSIUM_CAREFUL, POTASSIUM_MEASURE_FIRST, POTASSIUM_CONTRAINDICATED]
    assert "Condition/ckd" in card.detail  # the kidney evidence is in the basis


def test_potassium_order_with_a_result_does_not_ask_to_measure_it(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft("Potassium Chloride 20 MEQ")), icd("N18.3"),
                           lab(K_MOLAR, 4.0, "mmol/L")), POTASSIUM)
    assert POTASSIUM_MEASURE_FIRST not in advice_lines(card)
    assert POTASSIUM_DO_NOT_GIVE not in advice_lines(card)


def test_potassium_order_lists_every_risk_and_its_basis(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft("Potassium Chloride 20 MEQ", id="k1"),
                                             draft("Amiloride 5 MG", id="ami")),
                           lab(K_MOLAR, 5.6, "mmol/L", id="k-lab"), lab(EGFR, 45, EGFR_UNIT, id="egfr"),
                           medication("spironolactone 25 MG", rxnorm="9997", id="spiro")), POTASSIUM)
    assert card.summary == ("Potassium order with potassium above range and chronic kidney disease and a "
                            "potassium-sparing diuretic: risk of dangerously high potassium")
    for reference in ("MedicationRequest/k1", "Observation/k-lab", "MedicationRequest/spiro", "MedicationRequest/ami",
                      "Observation/egfr"):
        assert reference in card.detail


@pytest.mark.parametrize(("value", "high"), [(5.2, False), (5.3, True)])
def test_potassium_order_uses_the_default_upper_limit_of_5_2(knowledge, value, high) -> None:
    """Mayo Clinic Laboratories (potassium, serum): 3.6-5.2 mmol/L for adults; no range sent with the result."""
    evaluation = _check(knowledge, orders(draft("Potassium Chloride 20 MEQ")), lab(K_MOLAR, value, "mmol/L"))
    assert (POTASSIUM in rule_ids(evaluation)) is high
    if high:
        assert card_for(evaluation, POTASSIUM).indicator == "critical"


def test_potassium_order_with_only_a_sparing_diuretic_draft(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft("Potassium chloride 10 MEQ"), draft("Eplerenone 25 MG", id="ep")),
                           lab(K_MOLAR, 4.0, "mmol/L")), POTASSIUM)
    assert card.summary == "Potassium order with a potassium-sparing diuretic: risk of dangerously high potassium"
    assert "MedicationRequest/ep" in card.detail


# --- magnesium -------------------------------------------------------------------------------------------------------

def test_magnesium_order_with_severe_kidney_disease_says_reduce_and_monitor(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft("Magnesium Oxide 400 MG Oral Tablet", id="mg")),
                           icd("N18.5", id="ckd5")), MAGNESIUM)
    assert card.summary == "Magnesium order with severe kidney disease: magnesium is cleared only by the kidneys"
    assert card.indicator == "warning"
    assert advice_lines(card) == [
        "Magnesium can build up to toxic levels when kidney function is severely reduced: give it only if clearly "
        "needed, at a reduced dose, with magnesium levels monitored.",
        "Watch for toxicity: drowsiness, weakness, low blood pressure, loss of reflexes.",
    ]
    assert evidence_text(card) == ("Magnesium sulfate labels: excreted solely by the kidneys, use with caution in renal "
                               "impairment.")
    assert citation_links(card) == [OPENFDA]
    assert "Condition/ckd5" in card.detail and "MedicationRequest/mg" in card.detail


# --- valproate -------------------------------------------------------------------------------------------------------

def test_valproate_order_in_pregnancy_says_do_not_start(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft("Valproic Acid 250 MG Oral Capsule", id="v")),
                           icd("Z33.1", id="preg"), person=patient("female", "1998-05-01")), VALPROATE_PREGNANCY)
    assert card.summary == ("Valproate ordered during pregnancy: high risk of birth defects; specialist review now")
    assert card.indicator == "critical"
    assert advice_lines(card) == [VALPROATE_PREGNANT_DO_NOT_START, *VALPROATE_RISKS]
    assert evidence_text(card) == VALPROATE_EVIDENCE
    assert citation_links(card) == [NICE_NG217, OPENFDA]
    assert basis_notes(card) == ["Could become pregnant: female, age 28 (within 12-55)."]
    assert card.handout_topic == "epilepsy"
    assert "Condition/preg" in card.detail and "Patient/p1" in card.detail


def test_valproate_order_for_someone_who_could_become_pregnant_states_the_risks(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft("Valproic Acid 250 MG Oral Capsule")),
                           person=patient("female", "1998-05-01")), VALPROATE_PREGNANCY)
    assert card.summary == ("Valproate ordered for someone who could become pregnant: birth-defect risk, pregnancy "
                            "prevention")
    assert card.indicator == "warning"
    assert advice_lines(card) == list(VALPROATE_RISKS)
    assert not card.suggestions[0].is_recommended


def test_valproate_order_for_a_pregnant_woman_outside_the_age_band_is_still_critical(knowledge) -> None:
    """Pregnancy recorded overrides the age band (a 57-year-old with a pregnancy is pregnant)."""
    evaluation = _check(knowledge, orders(draft("Valproic Acid 250 MG Oral Capsule")), icd("Z33.1"),
                        person=patient("female", "1969-05-01"))
    card = card_for(evaluation, VALPROATE_PREGNANCY)
    assert card.indicator == "critical" and VALPROATE_PREGNANT_DO_NOT_START in advice_lines(card)
    assert VALPROATE_UNDER_55 not in rule_ids(evaluation)


VALPROATE_UNDER_55_START = (
    "Valproate must not be started in anyone younger than 55 unless two specialists independently consider and "
    "document that no other treatment is effective or tolerated, or that the reproductive risks do not apply (MHRA, "
    "January 2024).")
VALPROATE_UNDER_55_CONTINUING = (
    "Valproate is already on the medication list: if this continues existing treatment, the two-specialist requirement "
    "is for new starts (for men already taking valproate the CHM no longer requires it, February 2025); review at the "
    "next annual review.")
VALPROATE_UNDER_55_MEN = (
    "Men: as a precaution, use effective contraception (condoms plus the partner's contraception) during treatment and "
    "for 3 months after stopping, do not donate sperm in that time, and discuss family plans at each review (MHRA, "
    "September 2024). A records study suggests a possible small increase in neurodevelopmental disorders in children "
    "of fathers on valproate (about 5% vs 3%); causation is not confirmed.")


def test_valproate_order_for_a_man_under_55(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft("Valproic Acid 250 MG Oral Capsule", id="v")),
                           person=patient("male", "1990-01-01")), VALPROATE_UNDER_55)
    assert card.summary == ("Valproate ordered for a patient under 55: two-specialist agreement needed to start "
                            "(MHRA 2024)")
    assert card.indicator == "warning"
    assert advice_lines(card) == [VALPROATE_UNDER_55_START, VALPROATE_UNDER_55_MEN]
    assert evidence_text(card) == (
        "MHRA Drug Safety Updates: start restriction for patients under 55 (January 2024); precautions for men "
        "(September 2024), based on an observational Nordic registry study (pooled adjusted hazard ratio 1.50, 95% CI "
        "1.09-2.07) - a possible, unconfirmed risk, far below the 30-40% after exposure in the womb.")
    assert citation_links(card) == [MHRA_2025_MEN, MHRA_2024_MEN, NICE_NG217]
    assert card.handout_topic == "epilepsy"
    assert not card.suggestions[0].is_recommended


def test_valproate_order_continuing_treatment_in_a_girl_before_menarche(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft("Valproic Acid 250 MG Oral Capsule")),
                           medication("Divalproex Sodium 250 MG", id="on-vpa"), person=patient("female", "2016-01-01")),
                    VALPROATE_UNDER_55)
    assert advice_lines(card) == [VALPROATE_UNDER_55_START, VALPROATE_UNDER_55_CONTINUING]  # no advice for men
    assert "MedicationRequest/on-vpa" in card.detail


def test_valproate_order_for_a_man_of_unknown_age_is_treated_as_under_55(knowledge) -> None:
    """MHRA 2024 restricts starting valproate under 55; an unknown age is the safer "under 55", and the card says
    the age is missing."""
    evaluation = _check(knowledge, orders(draft("Valproic Acid 250 MG Oral Capsule")), person=patient("male", None))
    card = card_for(evaluation, VALPROATE_UNDER_55)
    assert card.summary == ("Valproate ordered, age not recorded: under 55, two-specialist agreement is needed "
                            "(MHRA 2024)")
    assert advice_lines(card)[0] == ("The patient's age is not recorded: check it. The start restriction applies to "
                                     "anyone younger than 55, so it is shown here until the age says otherwise.")
    assert VALPROATE_PREGNANCY not in rule_ids(evaluation)


# --- lamotrigine with valproate ----------------------------------------------------------------------------------------

def test_lamotrigine_with_valproate_says_halve_the_titration_and_warns_of_rash(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft("Lamotrigine 25 MG", id="lam")),
                           medication("Divalproex Sodium 250 MG", id="vpa"), person=patient("male")), LAMOTRIGINE)
    assert card.summary == ("Lamotrigine with valproate: use the halved titration; higher risk of serious rash "
                            "(SJS/TEN)")
    assert card.indicator == "warning"
    assert advice_lines(card) == [
        "With valproate, lamotrigine needs about half the usual titration (for example 25 mg every other day for 2 "
        "weeks, then 25 mg daily for 2 weeks), following the product label.",
        "Serious rash (Stevens-Johnson syndrome, toxic epidermal necrolysis) is more likely with valproate and with "
        "fast titration: tell the patient to report any rash at once.",
    ]
    assert evidence_text(card) == ("Lamotrigine boxed warning (serious rash; risk increased by valproate and by exceeding "
                               "the recommended titration), openFDA label.")
    assert citation_links(card) == [OPENFDA, NICE_NG217]
    assert card.handout_topic == "epilepsy"
    assert "MedicationRequest/lam" in card.detail and "MedicationRequest/vpa" in card.detail


def test_lamotrigine_and_valproate_drafted_together_show_each_draft_once(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft("Lamotrigine 25 MG", id="lam"), draft("Valproic acid 250 MG",
                                                                                         id="vpa")),
                           person=patient("male")), LAMOTRIGINE)
    assert card.detail.count("MedicationRequest/lam") == 1 and card.detail.count("MedicationRequest/vpa") == 1


def test_valproate_draft_with_lamotrigine_on_the_list(knowledge) -> None:
    evaluation = _check(knowledge, orders(draft("Valproate sodium 500 MG", id="vpa")),
                        medication("Lamotrigine 100 MG", id="on-lam"), person=patient("male"))
    card = card_for(evaluation, LAMOTRIGINE)
    assert "MedicationRequest/on-lam" in card.detail
    assert card.suggestions[0].removals == ("MedicationRequest/vpa",)


def test_unselected_lamotrigine_draft_is_a_partner_of_the_selected_valproate(knowledge) -> None:
    context = orders(draft("Lamotrigine 25 MG", id="lam"), draft("Valproic acid 250 MG", id="vpa"),
                     selections=("MedicationRequest/vpa",))
    card = card_for(_check(knowledge, context, person=patient("male")), LAMOTRIGINE)
    assert card.suggestions[0].removals == ("MedicationRequest/vpa",)


# --- botulinum toxin -------------------------------------------------------------------------------------------------

BOTOX = "onabotulinumtoxinA 100 UNT Injection"


def test_botulinum_with_myasthenia_says_involve_the_neurologist(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft(BOTOX, id="b")), condition("91637004", id="mg")), BOTULINUM_NMJ)
    assert card.summary == ("Botulinum toxin ordered with a neuromuscular junction disorder: higher risk of serious "
                            "weakness")
    assert advice_lines(card) == [
        "Patients with myasthenia gravis, Lambert-Eaton syndrome or ALS are at higher risk of severe weakness, "
        "swallowing and breathing problems after botulinum toxin: involve their neurologist before injecting, and use "
        "the lowest dose if it goes ahead.",
        "Tell the patient to seek help at once for trouble swallowing, speaking or breathing.",
    ]
    assert evidence_text(card) == ("Botulinum toxin boxed warning (distant spread of toxin effect) and label warnings for "
                               "pre-existing neuromuscular disorders, openFDA labels.")
    assert citation_links(card) == [OPENFDA, AAN_2016]
    assert card.handout_topic == "botulinum-toxin"
    assert "Condition/mg" in card.detail


def test_botulinum_in_pregnancy_says_defer(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft(BOTOX)), icd("Z33.1", id="preg")), BOTULINUM_PREGNANCY)
    assert card.summary == ("Botulinum toxin ordered during pregnancy: insufficient safety data; defer unless clearly "
                            "needed")
    assert card.indicator == "warning"
    assert advice_lines(card) == [
        "There are insufficient data on botulinum toxin in pregnancy: defer treatment until after the pregnancy where "
        "possible, or go ahead only on specialist advice after discussing the uncertainty with the patient."]
    assert evidence_text(card) == "Product labels (openFDA): no adequate data in pregnant women."
    assert citation_links(card) == [OPENFDA]
    assert card.handout_topic == "botulinum-toxin"
    assert "Condition/preg" in card.detail


def test_botulinum_for_a_child_under_12_says_below_the_licensed_age(knowledge) -> None:
    """openFDA BOTOX label: blepharospasm from 12 years; Xeomin: adults; AAN 2019 tics: adolescents and adults."""
    card = card_for(_check(knowledge, orders(draft(BOTOX)), person=patient("female", "2017-05-01")), BOTULINUM_CHILD)
    assert card.summary == "Botulinum toxin ordered for a child under 12: below the licensed age"
    assert card.indicator == "warning"
    assert advice_lines(card) == [
        "The patient is 9 years old, below the youngest licensed age (12 years): botulinum toxin only on a paediatric "
        "neurologist's or ophthalmologist's decision.",
        "Age limits: onabotulinumtoxinA (BOTOX) is licensed for blepharospasm from 12 years and incobotulinumtoxinA "
        "(Xeomin) for adults (product labels); for tics, the AAN 2019 guideline offers onabotulinumtoxinA to "
        "adolescents and adults only.",
    ]
    assert evidence_text(card) == ("Product labels (openFDA): blepharospasm indications from 12 years (onabotulinumtoxinA) "
                               "or in adults (incobotulinumtoxinA); AAN 2019 tic guideline: adolescents and adults.")
    assert citation_links(card) == [OPENFDA, AAN_2019]
    assert card.handout_topic == "botulinum-toxin"
    assert "Patient/p1" in card.detail


# --- reading the drafts ----------------------------------------------------------------------------------------------

KCL = "Potassium Chloride 20 MEQ"


@pytest.mark.parametrize("selection", ["k", "MedicationRequest/k", "https://ehr.example/fhir/MedicationRequest/k"])
def test_a_draft_is_selected_by_reference_bare_id_or_absolute_url(knowledge, selection) -> None:
    context = orders(draft(KCL, id="k"), draft("Potassium Chloride 10 MEQ", id="other"), selections=(selection,))
    card = card_for(_check(knowledge, context, icd("N18.3")), POTASSIUM)
    assert card.suggestions[0].removals == ("MedicationRequest/k",)


def test_a_selection_naming_no_draft_checks_nothing(knowledge) -> None:
    context = orders(draft(KCL, id="k"), selections=("MedicationRequest/kk", "other-k"))
    assert _check(knowledge, context, icd("N18.3")).cards == []


def test_dstu2_medication_order_drafts_are_checked(knowledge) -> None:
    order = draft(KCL, id="k", resource_type="MedicationOrder")
    card = card_for(_check(knowledge, orders(order), icd("N18.3")), POTASSIUM)
    assert card.suggestions[0].removals == ("MedicationOrder/k",)


@pytest.mark.parametrize("resource_type", ["ServiceRequest", "MedicationStatement", None, 7])
def test_drafts_that_are_not_medication_orders_are_ignored(knowledge, resource_type) -> None:
    order = draft(KCL, id="k")
    order["resourceType"] = resource_type
    assert _check(knowledge, orders(order), icd("N18.3")).cards == []


def test_a_draft_that_is_not_an_object_is_ignored(knowledge) -> None:
    context = OrderContext(draft_orders=("MedicationRequest/k", draft(KCL, id="k")))
    card = card_for(_check(knowledge, context, icd("N18.3")), POTASSIUM)
    assert card.suggestions[0].removals == ("MedicationRequest/k",)


def test_an_order_not_to_give_potassium_is_not_checked(knowledge) -> None:
    assert _check(knowledge, orders(draft(KCL, id="k", doNotPerform=True)), icd("N18.3")).cards == []


def test_a_draft_sent_twice_is_removed_once(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft(KCL, id="k"), draft(KCL, id="k")), icd("N18.3")), POTASSIUM)
    [suggestion] = card.suggestions
    assert suggestion.removals == ("MedicationRequest/k",)
    assert suggestion.label == "Remove the draft order: Potassium Chloride 20 MEQ"


def test_two_drafts_with_the_same_name_are_named_once(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft(KCL, id="k1"), draft(KCL, id="k2")), icd("N18.3")), POTASSIUM)
    [suggestion] = card.suggestions
    assert suggestion.removals == ("MedicationRequest/k1", "MedicationRequest/k2")
    assert suggestion.label == "Remove the draft orders: Potassium Chloride 20 MEQ"


def test_a_non_string_id_cannot_be_removed(knowledge) -> None:
    order = draft(KCL)
    order["id"] = 12
    card = card_for(_check(knowledge, orders(order), icd("N18.3")), POTASSIUM)
    assert card.suggestions == ()


@pytest.mark.parametrize("order_id", ["a", "A-z.0", "x" * 64])
def test_every_valid_fhir_id_can_be_removed(knowledge, order_id) -> None:
    card = card_for(_check(knowledge, orders(draft(KCL, id=order_id)), icd("N18.3")), POTASSIUM)
    assert card.suggestions[0].removals == (f"MedicationRequest/{order_id}",)
    assert card.suggestions[0].key == "order.potassium.hyperkalemia-risk.remove-draft"


def test_the_draft_order_row_of_the_basis(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft(KCL, id="k1")), icd("N18.3")), POTASSIUM)
    assert "| Draft order: Potassium Chloride 20 MEQ | being ordered | - | - | MedicationRequest/k1 |" in card.detail


def test_the_botulinum_card_shows_the_draft_beside_the_disorder(knowledge) -> None:
    card = card_for(_check(knowledge, orders(draft(BOTOX, id="b")), condition("91637004")), BOTULINUM_NMJ)
    assert f"| Draft order: {BOTOX} | being ordered | - | - | MedicationRequest/b |" in card.detail


def test_an_order_not_to_give_does_not_hide_the_drafts_after_it(knowledge) -> None:
    context = orders(draft(KCL, id="no", doNotPerform=True), draft(KCL, id="k"))
    card = card_for(_check(knowledge, context, icd("N18.3")), POTASSIUM)
    assert card.suggestions[0].removals == ("MedicationRequest/k",)
