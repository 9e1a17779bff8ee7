"""Refractory twitching (botulinum toxin), pinned so that mutation testing (README, Mutation testing) notices any
change to what the card says, cites or proposes.

The expected wording and figures are written here, not read back from `cards`:

| Item                         | Expected                                                         | Source             |
|------------------------------|------------------------------------------------------------------|--------------------|
| refractory                   | a twitching Condition documented (onset, else recorded) >= 90 d  | Duodecim (months)  |
| blepharospasm                | onabotulinumtoxinA, incobotulinumtoxinA Level B; abo Level C     | AAN 2016           |
| hemifacial spasm             | Level C; MRI first (recommended), toxin referral not recommended | AAN 2008           |
| myokymia, eyelid twitching   | no trial evidence                                                | Duodecim           |
| tics                         | not rated here; adolescents and adults                           | AAN 2019           |
| youngest licensed age        | 12 years (BOTOX, blepharospasm); Xeomin adults                   | product labels     |
| cautions (make it a warning) | NMJ disorder, pregnancy, age below 12                            | product labels     |
"""

from __future__ import annotations

from builders import (
    ICD10CM,
    advice_lines,
    basis_notes,
    card_for,
    citation_links,
    condition,
    finding,
    icd,
    lab,
    patient,
    patient_view,
    rule_ids,
    twitching,
)

REFRACTORY = "refractory.botulinum-toxin"
NORMAL_LABS = (lab("19123-9", 2.0, "mg/dL", id="mg"), lab("2823-3", 4.2, "mmol/L", id="k"),
               lab("2951-2", 140, "mmol/L", id="na"), lab("17861-6", 9.4, "mg/dL", id="ca"))
OLD = "2026-01-01"  # well over 90 days before 2026-11-25

EVIDENCE = {
    "blepharospasm": "Blepharospasm: onabotulinumtoxinA and incobotulinumtoxinA Level B (probably effective), "
                     "abobotulinumtoxinA Level C (possibly effective) - AAN 2016.",
    "hemifacial": "Hemifacial spasm: Level C (possibly effective) - AAN 2008.",
    "myokymia": "Facial or eyelid myokymia: no trial evidence; Duodecim suggests toxin only when symptoms persist for "
                "months and trouble the patient.",
    "eyelid": "Eyelid twitching: no trial evidence; Duodecim suggests toxin only when symptoms persist for months and "
              "trouble the patient.",
    "facial-spasm": "Facial spasm not otherwise specified: no specific trial evidence.",
    "tic": "Tics: not rated in the sources used here.",
}
HEMIFACIAL_MRI = ("Hemifacial spasm: MRI first to exclude a secondary cause (e.g. a vessel or mass at the facial nerve); "
                  "microvascular decompression is an option if toxin fails.")
CONSIDER = ("Twitching has been documented for 90 days or more: if first-line measures (sleep, stress, caffeine and "
            "alcohol) have not helped, consider botulinum toxin injections through neurology or ophthalmology.")
CONTRAINDICATIONS = ("Do not inject with hypersensitivity to the product or infection at the injection site; "
                     "myasthenia gravis, Lambert-Eaton syndrome and ALS carry a higher risk.")
BOXED = ("Boxed warning: the toxin effect can spread - the patient should seek help at once for trouble swallowing, "
         "speaking or breathing.")
AGE_LIMITS = ("Age limits: onabotulinumtoxinA (BOTOX) is licensed for blepharospasm from 12 years and "
              "incobotulinumtoxinA (Xeomin) for adults (product labels); for tics, the AAN 2019 guideline offers "
              "onabotulinumtoxinA to adolescents and adults only.")
PREGNANCY = ("Pregnancy is recorded: botulinum toxin is not advised in pregnancy without specialist advice; defer "
             "where possible.")
BELOW_AGE_10 = ("The patient is 10 years old, below the youngest licensed age (12 years): botulinum toxin only on a "
                "paediatric neurologist's or ophthalmologist's decision.")
NOTE = ("Twitching documented for at least 90 days (onset, else recorded date); recent electrolytes not low; no "
        "poisoning recorded.")
CITATIONS = [
    ("AAN 2016 guideline update: botulinum neurotoxin for blepharospasm and other movement disorders",
     "https://doi.org/10.1212/WNL.0000000000002560"),
    ("AAN 2008 assessment: botulinum neurotoxin for movement disorders (PMID 18458230)",
     "https://pubmed.ncbi.nlm.nih.gov/18458230/"),
    ("AAN 2019 practice guideline: treatment of tics in people with Tourette syndrome and chronic tic disorders "
     "(Pringsheim et al., Neurology 2019;92:896-906)", "https://doi.org/10.1212/WNL.0000000000007466"),
    ("openFDA drug labels (boxed warnings, contraindications)", "https://open.fda.gov/apis/drug/label/"),
    ("Duodecim EBM Guidelines: Eyelid myokymia (subscription)", "https://www.ebm-guidelines.com/"),
]


def _request(text: str, *reasons: str) -> dict:
    return {"resourceType": "ServiceRequest", "status": "draft", "intent": "proposal", "priority": "routine",
            "subject": {"reference": "Patient/p1"}, "code": {"text": text},
            "reasonReference": [{"reference": r} for r in reasons]}


ASSESSMENT_TEXT = "Referral for botulinum toxin assessment (neurology or ophthalmology)"
MRI_TEXT = "MRI brain, with attention to the facial nerve root exit zone"


def test_plain_blepharospasm_in_an_adult_is_info_with_a_recommended_assessment(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching("G24.5", ICD10CM, id="bl", onset=OLD), *NORMAL_LABS),
                    REFRACTORY)
    assert card.title == "Persistent facial twitching: consider botulinum toxin"
    assert card.summary == "Facial twitching documented since 2026-01-01: consider botulinum toxin"
    assert card.indicator == "info"
    assert advice_lines(card) == [CONSIDER, CONTRAINDICATIONS, BOXED, AGE_LIMITS]
    assert card.detail.split("**Evidence:** ", 1)[1].split("\n", 1)[0] == EVIDENCE["blepharospasm"]
    assert basis_notes(card) == [NOTE]
    assert citation_links(card) == CITATIONS
    assert (card.source.label, card.source.url) == CITATIONS[0]
    assert card.handout_topic == "botulinum-toxin"
    basis = card.detail.split("**Advice**", 1)[0]
    for row in ("| Condition/bl |", "| Sex, age | female, 36 years | - | - | Patient/p1 |", "| Observation/mg |",
                "| Observation/k |", "| Observation/na |", "| Observation/ca |"):
        assert row in basis
    [assessment] = card.suggestions
    assert (assessment.key, assessment.label, assessment.is_recommended) == (
        "botulinum-assessment", "Refer for botulinum toxin assessment", True)
    assert assessment.resources == (_request(ASSESSMENT_TEXT, "Condition/bl"),)


def test_every_kind_gives_its_evidence_in_the_fixed_order_and_hemifacial_spasm_asks_for_mri(knowledge) -> None:
    kinds = [twitching("F95.1", ICD10CM, onset=OLD, id="tic"), twitching("32402008", onset=OLD, id="fs"),
             twitching("R25.3", ICD10CM, onset=OLD, id="eye"), twitching("G51.4", ICD10CM, onset=OLD, id="myo"),
             twitching(onset=OLD, id="hfs"), twitching("G24.5", ICD10CM, onset=OLD, id="bl")]
    card = card_for(patient_view(knowledge, *kinds, *NORMAL_LABS), REFRACTORY)
    assert card.detail.split("**Evidence:** ", 1)[1].split("\n", 1)[0] == " ".join(
        EVIDENCE[k] for k in ("blepharospasm", "hemifacial", "myokymia", "eyelid", "facial-spasm", "tic"))
    assert card.indicator == "info"  # hemifacial spasm asks for MRI, but is no caution
    assert advice_lines(card) == [HEMIFACIAL_MRI, CONSIDER, CONTRAINDICATIONS, BOXED, AGE_LIMITS]
    mri, assessment = card.suggestions
    references = ("Condition/tic", "Condition/fs", "Condition/eye", "Condition/myo", "Condition/hfs", "Condition/bl")
    assert (mri.key, mri.label, mri.is_recommended) == ("mri-brain", "Request MRI brain (facial nerve)", True)
    assert mri.resources == (_request(MRI_TEXT, *references),)
    assert (assessment.key, assessment.is_recommended) == ("botulinum-assessment", False)
    assert assessment.resources == (_request(ASSESSMENT_TEXT, *references),)


def test_the_summary_gives_the_earliest_date_of_onset_else_record(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching("G24.5", ICD10CM, onset="2026-03-01"),
                                 twitching("F95.1", ICD10CM, recorded="2025-12-01", onset=None),
                                 twitching("G51.4", ICD10CM, onset="2026-02-01", recorded="2025-06-01"),
                                 *NORMAL_LABS), REFRACTORY)
    assert card.summary == "Facial twitching documented since 2025-12-01: consider botulinum toxin"


def test_only_the_twitching_documented_90_days_counts(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching("G24.5", ICD10CM, onset=OLD, id="old"),
                                 twitching(onset="2026-11-01", id="new"), twitching("G51.4", ICD10CM, id="undated"),
                                 *NORMAL_LABS), REFRACTORY)
    assert card.detail.split("**Evidence:** ", 1)[1].split("\n", 1)[0] == EVIDENCE["blepharospasm"]
    assert HEMIFACIAL_MRI not in advice_lines(card)  # the hemifacial spasm is recent
    [assessment] = card.suggestions
    assert assessment.resources[0]["reasonReference"] == [{"reference": "Condition/old"}]


def test_a_twitching_finding_is_not_counted_beside_a_refractory_condition(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching("G24.5", ICD10CM, onset=OLD, id="bl"),
                                 finding("13753008", when="2025-01-01"), *NORMAL_LABS), REFRACTORY)
    assert card.suggestions[0].resources[0]["reasonReference"] == [{"reference": "Condition/bl"}]
    assert HEMIFACIAL_MRI not in advice_lines(card)


def test_every_caution_at_once(knowledge) -> None:
    ocular = icd("G70.00", id="mg1")
    ocular["code"]["text"] = "MG *ocular*"  # chart text: escaped in the caution
    card = card_for(patient_view(knowledge, twitching("G24.5", ICD10CM, onset=OLD, id="bl"), ocular,
                                 icd("G73.1", id="lems"), condition("77386006", id="preg"), *NORMAL_LABS,
                                 patient_resource=patient(birth_date="2016-01-01")), REFRACTORY)
    assert card.indicator == "warning"
    nmj = ("A neuromuscular junction disorder is recorded - MG \\*ocular\\* \u2014 Myasthenia gravis without (acute) "
           "exacerbation (ICD-10-CM G70.00); Lambert-Eaton syndrome in neoplastic disease (ICD-10-CM G73.1): much "
           "higher risk of serious weakness, swallowing and breathing problems - only with the neurologist's "
           "agreement.")
    assert advice_lines(card) == [nmj, PREGNANCY, BELOW_AGE_10, CONSIDER, CONTRAINDICATIONS, BOXED, AGE_LIMITS]
    basis = card.detail.split("**Advice**", 1)[0]
    for reference in ("Condition/mg1", "Condition/lems", "Condition/preg"):
        assert f"| {reference} |" in basis
    [assessment] = card.suggestions
    assert assessment.is_recommended is False


def test_pregnancy_alone_makes_it_a_warning_but_keeps_the_assessment_recommended(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching("G24.5", ICD10CM, onset=OLD), condition("77386006"),
                                 *NORMAL_LABS), REFRACTORY)
    assert card.indicator == "warning"
    assert advice_lines(card) == [PREGNANCY, CONSIDER, CONTRAINDICATIONS, BOXED, AGE_LIMITS]
    assert card.suggestions[0].is_recommended is True


def test_a_differential_nmj_disorder_is_no_caution(knowledge) -> None:
    card = card_for(patient_view(knowledge, twitching("G24.5", ICD10CM, onset=OLD),
                                 icd("G70.00", verification="differential"), *NORMAL_LABS), REFRACTORY)
    assert card.indicator == "info"
    assert advice_lines(card)[0] == CONSIDER


def test_a_poisoning_on_record_keeps_the_card_back(knowledge) -> None:
    assert REFRACTORY not in rule_ids(patient_view(knowledge, twitching("G24.5", ICD10CM, onset=OLD),
                                                   icd("T56.0X1S"), *NORMAL_LABS))
