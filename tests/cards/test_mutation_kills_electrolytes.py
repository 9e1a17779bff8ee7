"""Electrolyte cards, pinned so that mutation testing (README, Mutation testing) notices any change to what they say.

Every advice sentence, summary, evidence line, citation and supplement proposal is written out here (the reviewed
wording), not read back from `cards`. Figures the sentences carry, with their sources:

| Figure                                      | Value                                  | Source                         |
|---------------------------------------------|----------------------------------------|--------------------------------|
| magnesium severe / moderate                 | < 1.0 / < 1.2 mg/dL                    | StatPearls hypomagnesaemia     |
| potassium severe / moderate                 | < 2.5 / < 3.0 mmol/L                   | StatPearls NBK482465           |
| sodium profound / moderate                  | < 125 / < 130 mmol/L                   | European guideline PMC5404708  |
| sodium high-risk for over-correction        | < 115 mmol/L, or low potassium         | Kidney360 2021 (PMC8786124)    |
| sodium correction limit                     | 8-10 mmol/L per 24 h, < 8 if high-risk | Kidney360 2021 (PMC8786124)    |
| calcium severe (adjusted or total)          | < 1.9 mmol/L (7.6 mg/dL)               | Society for Endocrinology 2016 |
| eGFR kidney disease / severe                | < 60 / < 30 mL/min/1.73 m2             | KDIGO                          |
| electrolyte recency window                  | 90 days                                | service default                |
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from builders import (
    TODAY,
    advice_lines,
    card_for,
    citation_links,
    evidence_text,
    icd,
    lab,
    medication,
    patient,
    patient_view,
    rule_ids,
    twitching,
)
from cards import ChartData

MG, K, NA, CA, CA_ION, CA_ADJ, ALB, EGFR = ("19123-9", "2823-3", "2951-2", "17861-6", "1994-3", "29265-6", "1751-7",
                                            "62238-1")
MAGNESIUM, POTASSIUM, SODIUM, CALCIUM, PANEL = ("electrolyte.magnesium.low", "electrolyte.potassium.low",
                                                "electrolyte.sodium.low", "electrolyte.calcium.low",
                                                "electrolyte.panel.missing")
RXNORM, LOINC = "http://www.nlm.nih.gov/research/umls/rxnorm", "http://loinc.org"

STATPEARLS_MG = ("StatPearls: Hypomagnesemia", "https://statpearls.com/point-of-care/23271")
STATPEARLS_K = ("StatPearls: Hypokalemia (NBK482465)", "https://www.ncbi.nlm.nih.gov/books/NBK482465/")
STATPEARLS_NA = ("StatPearls: Hyponatremia", "https://statpearls.com/point-of-care/23274")
EUROPEAN_NA = ("European clinical practice guideline on hyponatraemia (PMC5404708)",
               "https://pmc.ncbi.nlm.nih.gov/articles/PMC5404708/")
KIDNEY360 = ("Osmotic demyelination and sodium correction, Kidney360 2021 (PMC8786124)",
             "https://pmc.ncbi.nlm.nih.gov/articles/PMC8786124")
SFE = ("Society for Endocrinology emergency guidance: acute hypocalcaemia in adults (2016)",
       "https://ec.bioscientifica.com/view/journals/ec/5/5/G7.xml")
PAYNE = ("Payne RB et al. Interpretation of serum calcium in patients with abnormal serum proteins. BMJ 1973;4:643-6",
         "https://doi.org/10.1136/bmj.4.5893.643")
DUODECIM = ("Duodecim EBM Guidelines: Eyelid myokymia (subscription)", "https://www.ebm-guidelines.com/")
PDDI = ("HL7 PDDI IG: magnesium LOINC value set",
        "https://hl7.org/fhir/uv/pddi/en/ValueSet-valueset-magnesium-LOINC.html")

MG_CAUSE = "Look for the cause: poor intake, alcohol, diarrhoea, diuretics or proton-pump inhibitors."
MG_DIET = ("Diet: magnesium-rich foods such as pumpkin and sunflower seeds, nuts (almonds, cashews), whole grains, "
           "beans and lentils, and green leafy vegetables.")
MG_SUPPLEMENT = "If diet is not enough, an oral magnesium supplement; recheck magnesium after a few weeks."
MG_SEVERE = ("Severe: arrange same-day assessment; replacement is usually intravenous, with monitoring. Oral "
             "supplements and diet are not enough.")
MG_CKD = "Kidney function is reduced: start low and recheck magnesium, because it is cleared only by the kidneys."
MG_SEVERE_CKD = ("Kidney function is severely reduced: magnesium leaves the body only through the kidneys, so no "
                 "supplement is proposed here. Replace only with specialist advice and close monitoring.")
MG_EVIDENCE = (
    "Severity bands: symptoms usually appear below 1.2 mg/dL (0.5 mmol/L); below 1.0 mg/dL is a laboratory critical "
    "value (StatPearls). Magnesium salts are excreted only by the kidneys (product labels: caution in renal "
    "impairment). Magnesium is sometimes used for twitching itself, but Duodecim EBM Guidelines notes there is no "
    "research evidence of its effect; benign eyelid myokymia usually settles on its own within days.")

K_SEVERE = ("Severe: arrange same-day assessment; check an ECG; intravenous potassium only with cardiac monitoring. "
            "Oral supplements and diet are not enough.")
K_CAUSE = "Look for the cause: diuretics (loop or thiazide), vomiting or diarrhoea, low magnesium."
K_DIET = "Diet: potassium-rich foods such as potatoes, avocado, bananas, beans and lentils, tomatoes and dried fruit."
K_SUPPLEMENT = "If diet is not enough, oral potassium chloride; recheck potassium within days."
K_EVIDENCE = (
    "Severity bands mild 3.0-3.4, moderate 2.5-2.9, severe below 2.5 mmol/L (StatPearls). Potassium chloride labels: "
    "contraindicated in hyperkalaemia; kidney disease, acidosis, adrenal insufficiency and potassium-sparing diuretics "
    "raise the risk of hyperkalaemia. No trial evidence links potassium to relief of facial twitching itself.")

NA_PROFOUND = ("Profound hyponatraemia: assess urgently for confusion, vomiting, drowsiness or seizures; severe "
               "symptoms need emergency treatment in hospital.")
NA_CAUSE = ("Find the cause before treating: fluid status, medicines (especially thiazide diuretics), SIADH, and intake "
            "or losses (vomiting, diarrhoea, heavy sweating, very low food intake).")
NA_SALT = ("Extra dietary salt helps only when low intake or salt losses explain the result; it does not treat SIADH or "
           "diuretic-related hyponatraemia, so do not advise salting food without a cause that fits.")
NA_CORRECTION = (
    "When correcting, raise sodium by no more than 8-10 mmol/L in any 24 hours, and by less than 8 mmol/L in high-risk "
    "patients (sodium below 115, alcohol use disorder, low potassium, liver disease, malnutrition): faster correction "
    "can cause osmotic demyelination.")
NA_EVIDENCE = (
    "Classification mild 130-134, moderate 125-129, profound below 125 mmol/L (European guideline). Osmotic "
    "demyelination has occurred even at 10 mmol/L per 24 h or less; high-risk patients should stay below 8 (Kidney360 "
    "2021). No trial evidence links salt intake to relief of facial twitching.")

CA_SEVERE = ("Severe: arrange same-day assessment; intravenous calcium with cardiac monitoring is the treatment. Oral "
             "supplements and diet are not enough.")
CA_EMERGENCY = "Any tetany, laryngospasm, seizure or QT prolongation makes this an emergency whatever the number."
CA_TOTAL_ONLY = ("Check albumin-adjusted or ionized calcium: low albumin lowers total calcium without true "
                 "hypocalcaemia.")
CA_CHVOSTEK = ("Examine for Chvostek sign (a facial twitch when the facial nerve is tapped in front of the ear) and "
               "Trousseau sign: facial twitching can itself be a sign of low calcium.")
CA_CAUSE = ("Look for the cause: vitamin D deficiency, low magnesium, low parathyroid hormone (e.g. after neck "
            "surgery), kidney disease; measure phosphate, PTH, vitamin D and magnesium.")
CA_DIET = ("Diet: calcium-rich foods such as milk, yoghurt and cheese, calcium-fortified plant drinks, tinned fish "
           "eaten with the bones, and green leafy vegetables.")
CA_SUPPLEMENT = ("If diet is not enough, oral calcium (e.g. calcium carbonate), often with vitamin D when it is low; "
                 "recheck calcium.")
CA_EVIDENCE = (
    "True hypocalcaemia: ionized calcium below 1.15 mmol/L (CMDT). Severe: adjusted calcium below 1.9 mmol/L (7.6 "
    "mg/dL) or any symptoms - emergency treatment with intravenous calcium (Society for Endocrinology 2016); ionized "
    "below 0.9 mmol/L is graded severe here as its ionized equivalent (no guideline grades ionized calcium). Low "
    "magnesium makes low calcium refractory.")


def _normal(*except_for: str):
    normal = {MG: lab(MG, 2.0, "mg/dL"), K: lab(K, 4.2, "mmol/L"), NA: lab(NA, 140, "mmol/L"),
              CA: lab(CA, 9.4, "mg/dL")}
    return tuple(resource for code, resource in normal.items() if code not in except_for)


def _view(knowledge, *resources, person=None):
    return patient_view(knowledge, twitching(id="tw"), *resources, patient_resource=person)


def _proposal(card, key):
    [suggestion] = [s for s in card.suggestions if s.key == key]
    [resource] = suggestion.resources
    return suggestion, resource


# --- all four severe ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def all_severe(knowledge):
    return _view(knowledge, lab(MG, 0.8, "mg/dL", id="mg"), lab(K, 2.2, "mmol/L", id="k"),
                 lab(CA, 7.0, "mg/dL", id="ca"), lab(NA, 112, "mmol/L", id="na"))


def test_severe_magnesium_with_low_potassium_and_calcium(all_severe) -> None:
    card = card_for(all_severe, MAGNESIUM)
    assert card.summary == "Low magnesium 0.8 mg/dL (severe) with facial twitching: replace and find the cause"
    assert card.indicator == "critical"
    assert advice_lines(card) == [MG_SEVERE, MG_CAUSE, MG_DIET, "Potassium and calcium are also low: correct magnesium "
                             "first, otherwise they will not stay corrected."]
    assert evidence_text(card) == MG_EVIDENCE
    assert citation_links(card) == [STATPEARLS_MG, DUODECIM]
    assert card.suggestions == ()
    assert card.handout_topic == "electrolytes"
    for reference in ("Observation/mg", "Observation/k", "Observation/ca", "Condition/tw"):
        assert reference in card.detail


def test_severe_potassium_with_low_magnesium(all_severe) -> None:
    card = card_for(all_severe, POTASSIUM)
    assert card.summary == "Low potassium 2.2 mmol/L (severe) with facial twitching: replace and find the cause"
    assert card.indicator == "critical"
    assert advice_lines(card) == [K_SEVERE, K_CAUSE, K_DIET, "Magnesium is also low: correct magnesium first (or together), "
                             "otherwise potassium will not stay corrected."]
    assert evidence_text(card) == K_EVIDENCE
    assert citation_links(card) == [STATPEARLS_K]
    assert card.suggestions == ()
    assert card.handout_topic == "electrolytes"
    assert "Observation/mg" in card.detail


def test_profound_sodium_below_115_with_low_potassium(all_severe) -> None:
    card = card_for(all_severe, SODIUM)
    assert card.summary == "Low sodium 112 mmol/L (severe) with facial twitching: find the cause; correct slowly"
    assert card.indicator == "critical"
    assert advice_lines(card) == [NA_PROFOUND, NA_CAUSE, NA_SALT, NA_CORRECTION, "This patient is high-risk (sodium below "
                             "115 mmol/L, low potassium): keep correction under 8 mmol/L in 24 hours."]
    assert evidence_text(card) == NA_EVIDENCE
    assert citation_links(card) == [EUROPEAN_NA, KIDNEY360, STATPEARLS_NA]
    assert card.handout_topic == "electrolytes"
    assert "Observation/k" in card.detail


def test_severe_calcium_with_low_magnesium(all_severe) -> None:
    card = card_for(all_severe, CALCIUM)
    assert card.summary == ("Low calcium 7.0 mg/dL (severe) with facial twitching: check Chvostek sign, albumin and "
                            "magnesium")
    assert card.indicator == "critical"
    assert advice_lines(card) == [CA_SEVERE, CA_EMERGENCY, CA_TOTAL_ONLY, CA_CHVOSTEK, CA_CAUSE, "Magnesium is also low: "
                             "correct magnesium first (or together), otherwise calcium will not stay corrected.", CA_DIET]
    assert evidence_text(card) == CA_EVIDENCE
    assert citation_links(card) == [SFE]
    assert card.suggestions == ()
    assert card.handout_topic == "electrolytes"


# --- mild, one at a time ---------------------------------------------------------------------------------------------

def test_mild_magnesium_alone_proposes_a_supplement(knowledge) -> None:
    card = card_for(_view(knowledge, lab(MG, 1.5, "mg/dL", id="mg"), *_normal(MG)), MAGNESIUM)
    assert card.summary == "Low magnesium 1.5 mg/dL (mild) with facial twitching: replace and find the cause"
    assert card.indicator == "info"
    assert advice_lines(card) == [MG_CAUSE, MG_DIET, MG_SUPPLEMENT]
    suggestion, resource = _proposal(card, "magnesium-supplement")
    assert suggestion.label == "Propose oral magnesium supplement (if diet is not enough)"
    assert resource["medicationCodeableConcept"] == {
        "coding": [{"system": RXNORM, "code": "6574", "display": "magnesium"}], "text": "Oral magnesium supplement"}
    assert resource["reasonReference"] == [{"reference": "Observation/mg"}]


def test_moderate_magnesium_is_a_warning(knowledge) -> None:
    card = card_for(_view(knowledge, lab(MG, 1.1, "mg/dL"), *_normal(MG)), MAGNESIUM)
    assert card.indicator == "warning" and "(moderate)" in card.summary


@pytest.mark.parametrize(("egfr", "sentence", "proposed"), [(45, MG_CKD, True), (25, MG_SEVERE_CKD, False)])
def test_mild_magnesium_with_kidney_disease(knowledge, egfr, sentence, proposed) -> None:
    card = card_for(_view(knowledge, lab(MG, 1.5, "mg/dL"), lab(EGFR, egfr, "mL/min/{1.73_m2}", id="egfr"),
                          *_normal(MG)), MAGNESIUM)
    assert sentence in advice_lines(card)
    assert ("magnesium-supplement" in [s.key for s in card.suggestions]) is proposed
    assert "Observation/egfr" in card.detail


def test_magnesium_with_only_potassium_also_low_says_it(knowledge) -> None:
    card = card_for(_view(knowledge, lab(MG, 1.5, "mg/dL"), lab(K, 3.2, "mmol/L", id="k"), *_normal(MG, K)),
                    MAGNESIUM)
    assert advice_lines(card)[-1] == "Potassium is also low: correct magnesium first, otherwise it will not stay corrected."
    assert "Observation/k" in card.detail


def test_magnesium_with_only_calcium_also_low_says_it(knowledge) -> None:
    card = card_for(_view(knowledge, lab(MG, 1.5, "mg/dL"), lab(CA, 8.0, "mg/dL"), *_normal(MG, CA)), MAGNESIUM)
    assert advice_lines(card)[-1] == "Calcium is also low: correct magnesium first, otherwise it will not stay corrected."


def test_low_sodium_is_not_named_on_the_magnesium_card(knowledge) -> None:
    card = card_for(_view(knowledge, lab(MG, 1.5, "mg/dL"), lab(NA, 131, "mmol/L", id="na"), *_normal(MG, NA)),
                    MAGNESIUM)
    assert advice_lines(card) == [MG_CAUSE, MG_DIET, MG_SUPPLEMENT]
    assert "Observation/na" not in card.detail


def test_mild_potassium_without_magnesium_asks_for_magnesium(knowledge) -> None:
    card = card_for(_view(knowledge, lab(K, 3.2, "mmol/L", id="k"), *_normal(MG, K)), POTASSIUM)
    assert card.summary == "Low potassium 3.2 mmol/L (mild) with facial twitching: replace and find the cause"
    assert card.indicator == "info"
    assert advice_lines(card) == [K_CAUSE, K_DIET, "Magnesium has not been measured recently: check it, because low "
                             "magnesium makes low potassium hard to correct.", K_SUPPLEMENT]
    suggestion, resource = _proposal(card, "potassium-supplement")
    assert suggestion.label == "Propose oral potassium chloride (if diet is not enough)"
    assert resource["medicationCodeableConcept"] == {
        "coding": [{"system": RXNORM, "code": "8591", "display": "potassium chloride"}],
        "text": "Oral potassium chloride"}
    assert resource["reasonReference"] == [{"reference": "Observation/k"}]


def test_potassium_with_normal_magnesium_says_nothing_about_magnesium(knowledge) -> None:
    card = card_for(_view(knowledge, lab(K, 3.2, "mmol/L"), *_normal(K)), POTASSIUM)
    assert advice_lines(card) == [K_CAUSE, K_DIET, K_SUPPLEMENT]


def test_moderate_potassium_is_a_warning_and_still_proposes_a_supplement(knowledge) -> None:
    card = card_for(_view(knowledge, lab(K, 2.7, "mmol/L"), *_normal(K)), POTASSIUM)
    assert card.indicator == "warning" and "(moderate)" in card.summary
    assert "potassium-supplement" in [s.key for s in card.suggestions]


def test_potassium_with_kidney_disease_and_a_sparing_diuretic_proposes_nothing(knowledge) -> None:
    card = card_for(_view(knowledge, lab(K, 3.2, "mmol/L"), icd("N18.3", id="ckd"),
                          medication("spironolactone 25 MG", rxnorm="9997", id="spiro"), *_normal(K)), POTASSIUM)
    assert advice_lines(card)[-1] == (
        "No potassium supplement is proposed because of chronic kidney disease and a potassium-sparing diuretic "
        "(spironolactone 25 MG): these raise the risk of dangerously high potassium. Replace only with close "
        "monitoring of potassium.")
    assert card.suggestions == ()
    assert "Condition/ckd" in card.detail and "MedicationRequest/spiro" in card.detail


def test_potassium_with_a_sparing_diuretic_alone(knowledge) -> None:
    card = card_for(_view(knowledge, lab(K, 3.2, "mmol/L"), medication("Amiloride 5 MG"), *_normal(K)), POTASSIUM)
    assert advice_lines(card)[-1] == (
        "No potassium supplement is proposed because of a potassium-sparing diuretic (Amiloride 5 MG): this raises "
        "the risk of dangerously high potassium. Replace only with close monitoring of potassium.")


def test_mild_sodium_alone(knowledge) -> None:
    card = card_for(_view(knowledge, lab(NA, 132, "mmol/L"), *_normal(NA)), SODIUM)
    assert card.summary == "Low sodium 132 mmol/L (mild) with facial twitching: find the cause; correct slowly"
    assert card.indicator == "info"
    assert advice_lines(card) == [NA_CAUSE, NA_SALT, NA_CORRECTION]
    assert card.suggestions == ()


@pytest.mark.parametrize(("sodium", "severity", "high_risk"),
                         [(114, "severe", True), (115, "severe", False), (124, "severe", False),
                          (125, "moderate", False), (129, "moderate", False), (130, "mild", False)])
def test_sodium_bands_and_the_115_high_risk_cut_off(knowledge, sodium, severity, high_risk) -> None:
    """European guideline: profound < 125, moderate 125-129; Kidney360: high risk below 115 mmol/L."""
    card = card_for(_view(knowledge, lab(NA, sodium, "mmol/L"), *_normal(NA)), SODIUM)
    assert f"({severity})" in card.summary
    assert (NA_PROFOUND in advice_lines(card)) is (severity == "severe")
    high_risk_line = "This patient is high-risk (sodium below 115 mmol/L): keep correction under 8 mmol/L in 24 hours."
    assert (high_risk_line in advice_lines(card)) is high_risk


def test_sodium_with_low_potassium_is_high_risk(knowledge) -> None:
    card = card_for(_view(knowledge, lab(NA, 132, "mmol/L"), lab(K, 3.2, "mmol/L", id="k"), *_normal(NA, K)), SODIUM)
    assert advice_lines(card)[-1] == "This patient is high-risk (low potassium): keep correction under 8 mmol/L in 24 hours."
    assert "Observation/k" in card.detail


def test_mild_total_calcium_proposes_calcium_carbonate(knowledge) -> None:
    card = card_for(_view(knowledge, lab(CA, 8.2, "mg/dL", id="ca"), *_normal(CA)), CALCIUM)
    assert card.summary == ("Low calcium 8.2 mg/dL (mild) with facial twitching: check Chvostek sign, albumin and "
                            "magnesium")
    assert card.indicator == "info"
    assert advice_lines(card) == [CA_EMERGENCY, CA_TOTAL_ONLY, CA_CHVOSTEK, CA_CAUSE, CA_DIET, CA_SUPPLEMENT]
    suggestion, resource = _proposal(card, "calcium-supplement")
    assert suggestion.label == "Propose oral calcium carbonate (if diet is not enough)"
    assert resource["medicationCodeableConcept"] == {
        "coding": [{"system": RXNORM, "code": "1897", "display": "calcium carbonate"}],
        "text": "Oral calcium carbonate"}
    assert resource["reasonReference"] == [{"reference": "Observation/ca"}]


def test_low_ionized_calcium_confirms_true_hypocalcaemia_and_shows_no_albumin(knowledge) -> None:
    card = card_for(_view(knowledge, lab(CA_ION, 1.05, "mmol/L", id="ica"), lab(CA, 8.0, "mg/dL", id="ca"),
                          lab(ALB, 3.0, "g/dL", id="alb"), *_normal(CA)), CALCIUM)
    assert card.summary.startswith("Low ionized calcium 1.05 mmol/L (mild) with facial twitching")
    assert advice_lines(card)[1] == "Ionized calcium is low, which confirms true hypocalcaemia."
    assert "Observation/alb" not in card.detail
    assert citation_links(card) == [SFE]


def test_the_laboratory_adjusted_calcium(knowledge) -> None:
    card = card_for(_view(knowledge, lab(CA_ADJ, 2.0, "mmol/L"), *_normal(CA)), CALCIUM)
    assert card.summary.startswith("Low adjusted calcium 2.0 mmol/L (mild) with facial twitching")
    assert advice_lines(card)[1] == ("Graded on the laboratory's albumin-adjusted calcium; ionized calcium confirms true "
                                "hypocalcaemia.")


def test_a_calculated_adjusted_calcium_states_the_formula_and_cites_payne(knowledge) -> None:
    """Payne 1973: adjusted = total + 0.8 x (4.0 - albumin g/dL): 8.0 + 0.8 x (4.0 - 3.5) = 8.4 mg/dL."""
    card = card_for(_view(knowledge, lab(CA, 8.0, "mg/dL", id="ca"), lab(ALB, 3.5, "g/dL", id="alb"), *_normal(CA)),
                    CALCIUM)
    assert card.summary.startswith("Low adjusted calcium")
    sentence = advice_lines(card)[1]
    # What it was calculated from (the chart's values as sent), then Payne's formula in SI units: 0.02 x (40 - g/L).
    assert sentence.startswith("Graded on albumin-adjusted calcium, calculated from total calcium 8.0 mg/dL and "
                               "albumin 3.5 g/dL (35 g/L): adjusted calcium = total calcium + 0.02 x (40 - albumin "
                               "in g/L) mmol/L (Payne et al., BMJ 1973). ")
    assert sentence.endswith(". This is an estimate, unreliable in critical illness, acid-base disturbance, kidney "
                             "failure and paraproteinaemia: measure ionized calcium to confirm.")
    assert citation_links(card) == [SFE, PAYNE]
    assert "Observation/alb" in card.detail and "Observation/ca" in card.detail


def test_an_adjusted_calcium_older_than_the_total_does_not_decide(knowledge) -> None:
    card = card_for(_view(knowledge, lab(CA, 8.2, "mg/dL", when="2026-11-20"),
                          lab(CA_ADJ, 2.5, "mmol/L", when="2026-11-10"), *_normal(CA)), CALCIUM)
    assert card.summary.startswith("Low calcium 8.2 mg/dL")


def test_a_child_is_told_where_the_dose_comes_from(knowledge) -> None:
    child = patient("female", "2018-01-01")
    evaluation = _view(knowledge, lab(MG, 1.5, "mg/dL"), lab(K, 3.2, "mmol/L"), lab(CA, 9.0, "mg/dL"),
                       lab(NA, 140, "mmol/L"), person=child)
    dose = ("The patient is 8 years old: the proposal carries no dose, and children's doses go by weight - take the "
            "dose from a paediatric formulary.")
    for rule in (MAGNESIUM, POTASSIUM, CALCIUM):
        assert dose in advice_lines(card_for(evaluation, rule))


def test_an_adult_gets_no_paediatric_dosing_sentence(knowledge) -> None:
    card = card_for(_view(knowledge, lab(MG, 1.5, "mg/dL"), *_normal(MG)), MAGNESIUM)
    assert not any("paediatric formulary" in line for line in advice_lines(card))


# --- the panel card --------------------------------------------------------------------------------------------------

def test_no_electrolytes_asks_for_the_panel(knowledge) -> None:
    card = card_for(_view(knowledge), PANEL)
    assert card.summary == ("Facial twitching and no recent electrolytes: consider magnesium, potassium, sodium and "
                            "calcium")
    assert card.indicator == "info"
    assert "| Magnesium, potassium, sodium, calcium | no usable result | - | none since 2026-08-27 (90 days) | " \
           "Observation search |" in card.detail
    assert advice_lines(card) == [
        "Low magnesium, potassium, sodium or calcium can cause muscle twitching and are easy to correct.",
        "Test when twitching persists, spreads beyond one eyelid, or comes with cramps, tingling or weakness; add "
        "albumin to interpret total calcium.",
        "Brief eyelid twitching in one muscle that settles within days needs no tests.",
    ]
    assert evidence_text(card) == (
        "Duodecim EBM Guidelines: no investigations are needed for benign myokymia of one muscle that does not spread; "
        "electrolyte causes of twitching are treatable when present. Test codes from the HL7 PDDI LOINC value sets.")
    assert citation_links(card) == [DUODECIM, PDDI]
    assert card.handout_topic == "electrolytes"
    [suggestion] = card.suggestions
    assert (suggestion.key, suggestion.label, suggestion.is_recommended) == (
        "electrolyte-panel", "Order magnesium, potassium, sodium, calcium and albumin", True)
    assert [r["code"]["coding"][0]["code"] for r in suggestion.resources] == [MG, K, NA, CA, ALB]
    assert [r["code"]["coding"][0]["display"] for r in suggestion.resources] == [
        "Magnesium [Mass/volume] in Serum or Plasma", "Potassium [Moles/volume] in Serum or Plasma",
        "Sodium [Moles/volume] in Serum or Plasma", "Calcium [Mass/volume] in Serum or Plasma",
        "Albumin [Mass/volume] in Serum or Plasma"]
    assert all(r["code"]["text"] == r["code"]["coding"][0]["display"] for r in suggestion.resources)
    assert all(r["reasonReference"] == [{"reference": "Condition/tw"}] for r in suggestion.resources)


def test_an_unusable_result_gets_the_review_panel_card(knowledge) -> None:
    evaluation = _view(knowledge, lab(MG, 1.9, "furlongs", id="bad"), lab(K, 4.2, "mmol/L", id="k"))
    card = card_for(evaluation, PANEL)
    assert card.summary == "Facial twitching: a recent electrolyte result could not be used; review it (details)"
    assert "Observation/k" in card.detail
    assert len(advice_lines(card)) == 4


def test_normal_electrolytes_raise_no_electrolyte_card(knowledge) -> None:
    assert not [r for r in rule_ids(_view(knowledge, *_normal())) if r.startswith("electrolyte.")]



@pytest.mark.parametrize(("value", "shown"), [("1.50000000", "1.50000000 mg/dL"), ("1.500000000", "0.62 mmol/L")])
def test_a_long_reported_value_is_summarised_in_mmol_per_litre(knowledge, value, shown) -> None:
    """Up to 16 characters the value is shown as reported (the lab's precision kept); longer, in mmol/L
    (1.5 mg/dL x 10 / 24.305 g/mol = 0.617 mmol/L)."""
    body = json.loads(json.dumps(lab(MG, 1.5, "mg/dL")).replace('"value": 1.5', f'"value": {value}'),
                      parse_float=Decimal)
    data = ChartData(patient_id="p1", patient=patient(), conditions=[twitching()], observations=[body, *_normal(MG)])
    card = card_for(knowledge.evaluate_patient_view(data, today=TODAY), MAGNESIUM)
    assert card.summary.startswith(f"Low magnesium {shown} (mild) with facial twitching")


@pytest.mark.parametrize(("code", "older", "rule", "label"), [
    (MG, lab(MG, 1.5, "mg/dL", when="2026-11-10"), MAGNESIUM, "Magnesium (LOINC 19123-9)"),
    (K, lab(K, 3.2, "mmol/L", when="2026-11-10"), POTASSIUM, "Potassium (LOINC 2823-3)"),
    (NA, lab(NA, 131, "mmol/L", when="2026-11-10"), SODIUM, "Sodium (LOINC 2951-2)"),
    (CA, lab(CA, 8.2, "mg/dL", when="2026-11-10"), CALCIUM, "Calcium (total) (LOINC 17861-6)"),
])
def test_each_card_mentions_a_newer_result_it_could_not_read(knowledge, code, older, rule, label) -> None:
    newer = lab(code, 1.0, "furlongs", id="bad", when="2026-11-20")
    evaluation = _view(knowledge, newer, older, *_normal(code))
    card = card_for(evaluation, rule)
    assert (f"A result could not be read because its unit is not one we can interpret ({label}: value 1.0, unit "
            "furlongs, dated 2026-11-20, Observation/bad): check it in the laboratory report.") in advice_lines(card)
    assert PANEL not in rule_ids(evaluation)  # the card that shows the note is enough


def test_two_potassium_sparing_diuretics_are_both_named(knowledge) -> None:
    card = card_for(_view(knowledge, lab(K, 3.2, "mmol/L"), medication("spironolactone 25 MG", rxnorm="9997"),
                          medication("Amiloride 5 MG"), *_normal(K)), POTASSIUM)
    assert advice_lines(card)[-1] == (
        "No potassium supplement is proposed because of a potassium-sparing diuretic (spironolactone 25 MG, Amiloride "
        "5 MG): this raises the risk of dangerously high potassium. Replace only with close monitoring of potassium.")


def test_the_calcium_card_shows_the_low_magnesium_it_mentions(all_severe) -> None:
    card = card_for(all_severe, CALCIUM)
    assert "Observation/mg" in card.detail and "Observation/ca" in card.detail


@pytest.mark.parametrize(("result", "rule", "key"), [(lab(MG, 1.5, "mg/dL"), MAGNESIUM, "magnesium-supplement"),
                                                     (lab(K, 3.2, "mmol/L"), POTASSIUM, "potassium-supplement"),
                                                     (lab(CA, 8.2, "mg/dL"), CALCIUM, "calcium-supplement")])
def test_supplement_proposals_are_for_this_patient(knowledge, result, rule, key) -> None:
    code = result["code"]["coding"][0]["code"]
    card = card_for(_view(knowledge, result, *_normal(code)), rule)
    _, resource = _proposal(card, key)
    assert resource["subject"] == {"reference": "Patient/p1"}
    assert (resource["status"], resource["intent"]) == ("draft", "proposal")
