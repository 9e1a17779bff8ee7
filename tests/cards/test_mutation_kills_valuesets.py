"""What every value set must recognise, pinned so that the value-set mutants (README, Mutation testing: one code,
filter or imported value set removed from a file in cards/valuesets/) are noticed.

The tables below are written from the code systems a clinician would check, not read from the value set files:
ICD-10-CM FY2026 Tabular List (CMS), SNOMED CT International browser, LOINC (loinc.org), RxNorm (RxNav), the WHO
ATC/DDD index, HL7 v3 ObservationInterpretation (terminology.hl7.org). Each value set file names the same sources in
its description. A coding with that system and code must be recognised as the concept, through the public
recognition API (`Terminology.match_coding`); for a family filter, a code inside the family stands for it, and for an
imported value set, a code found only through the import. The near misses next to them (a code the value set leaves
out on purpose, the same code in another system, a neighbouring family) must not be.
"""

from __future__ import annotations

import pytest

from cards.terminology import ATC, ICD10CM, LOINC, RXNORM, SNOMED, Concept

V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
C = Concept

# (concept, system, code, what the code is): every explicit code, one code inside every family filter (marked
# "family"), and one code reached only through each imported value set (marked "through").
MEMBERS: list[tuple[Concept, str, str, str]] = [
    # Result answers: SNOMED CT qualifier values; HL7 v3 ObservationInterpretation.
    (C.ANSWER_NEGATIVE, SNOMED, "260385009", "Negative (qualifier value)"),
    (C.ANSWER_NEGATIVE, V3, "NEG", "Negative"),
    (C.ANSWER_POSITIVE, SNOMED, "10828004", "Positive (qualifier value), LOINC answer list LL360-9"),
    (C.ANSWER_POSITIVE, V3, "POS", "Positive"),
    # Chronic kidney disease: SNOMED CT; ICD-10-CM N18 (Chronic kidney disease).
    (C.CKD_SEVERE, SNOMED, "431857002", "Chronic kidney disease stage 4"),
    (C.CKD_SEVERE, SNOMED, "433146000", "Chronic kidney disease stage 5"),
    (C.CKD_SEVERE, SNOMED, "46177005", "End-stage renal disease"),
    (C.CKD_SEVERE, ICD10CM, "N18.4", "Chronic kidney disease, stage 4 (severe)"),
    (C.CKD_SEVERE, ICD10CM, "N18.5", "Chronic kidney disease, stage 5"),
    (C.CKD_SEVERE, ICD10CM, "N18.6", "End stage renal disease"),
    (C.CKD, SNOMED, "709044004", "Chronic kidney disease"),
    (C.CKD, ICD10CM, "N18.2", "family N18: Chronic kidney disease, stage 2 (mild)"),
    (C.CKD, SNOMED, "433146000", "through chronic-kidney-disease-severe: CKD stage 5"),
    # Epilepsy: SNOMED CT; ICD-10-CM G40 (Epilepsy and recurrent seizures).
    (C.EPILEPSY, SNOMED, "84757009", "Epilepsy"),
    (C.EPILEPSY, SNOMED, "128613002", "Seizure disorder"),
    (C.EPILEPSY, ICD10CM, "G40.909", "family G40: Epilepsy, unspecified, not intractable, without status"),
    (C.SEIZURE_UNSPECIFIED, ICD10CM, "R56.9", "Unspecified convulsions"),
    # Facial twitching: the union of the six kinds, each reached through its own value set.
    (C.FACIAL_TWITCHING, ICD10CM, "G51.4", "through twitching-facial-myokymia: Facial myokymia"),
    (C.FACIAL_TWITCHING, SNOMED, "13753008", "through twitching-hemifacial-spasm: Hemifacial spasm"),
    (C.FACIAL_TWITCHING, ICD10CM, "G24.5", "through twitching-blepharospasm: Blepharospasm"),
    (C.FACIAL_TWITCHING, SNOMED, "32402008", "through twitching-facial-spasm: Facial spasm"),
    (C.FACIAL_TWITCHING, SNOMED, "568005", "through twitching-tic: Tic disorder"),
    (C.FACIAL_TWITCHING, ICD10CM, "R25.3", "through twitching-eyelid: Fasciculation (twitching NOS)"),
    (C.FACIAL_MYOKYMIA, SNOMED, "1070000", "Facial myokymia"),
    (C.FACIAL_MYOKYMIA, ICD10CM, "G51.4", "Facial myokymia"),
    (C.HEMIFACIAL_SPASM, SNOMED, "13753008", "Hemifacial spasm"),
    (C.HEMIFACIAL_SPASM, ICD10CM, "G51.31", "family G51.3: Clonic hemifacial spasm, right"),
    (C.BLEPHAROSPASM, ICD10CM, "G24.5", "Blepharospasm"),
    (C.FACIAL_SPASM, SNOMED, "32402008", "Facial spasm (finding)"),
    (C.TIC, SNOMED, "568005", "Tic disorder"),
    (C.TIC, ICD10CM, "F95.2", "family F95: Tourette's disorder"),
    (C.EYELID_TWITCHING, ICD10CM, "R25.3", "Fasciculation (includes twitching NOS)"),
    # Red flags and risks: ICD-10-CM; SNOMED CT.
    (C.FACIAL_WEAKNESS, SNOMED, "193093009", "Bell's palsy"),
    (C.FACIAL_WEAKNESS, ICD10CM, "G51.0", "Bell's palsy"),
    (C.FACIAL_WEAKNESS, ICD10CM, "R29.810", "Facial weakness"),
    (C.TETANY, ICD10CM, "R29.0", "Tetany"),
    (C.NMJ_DISORDER, SNOMED, "91637004", "Myasthenia gravis"),
    (C.NMJ_DISORDER, SNOMED, "56989000", "Eaton-Lambert syndrome"),
    (C.NMJ_DISORDER, SNOMED, "86044005", "Amyotrophic lateral sclerosis"),
    (C.NMJ_DISORDER, ICD10CM, "G70.00", "Myasthenia gravis without (acute) exacerbation"),
    (C.NMJ_DISORDER, ICD10CM, "G70.01", "Myasthenia gravis with (acute) exacerbation"),
    (C.NMJ_DISORDER, ICD10CM, "G73.1", "Lambert-Eaton syndrome in neoplastic disease"),
    (C.NMJ_DISORDER, ICD10CM, "G70.80", "Lambert-Eaton syndrome, unspecified"),
    (C.NMJ_DISORDER, ICD10CM, "G70.81", "Lambert-Eaton syndrome in disease classified elsewhere"),
    (C.NMJ_DISORDER, ICD10CM, "G12.21", "Amyotrophic lateral sclerosis"),
    (C.MULTIPLE_SCLEROSIS, SNOMED, "24700007", "Multiple sclerosis"),
    (C.MULTIPLE_SCLEROSIS, SNOMED, "426373005", "Relapsing remitting multiple sclerosis"),
    (C.MULTIPLE_SCLEROSIS, ICD10CM, "G35", "family G35: Multiple sclerosis (the code before FY2026)"),
    (C.MULTIPLE_SCLEROSIS, ICD10CM, "G35.A", "family G35: Relapsing-remitting multiple sclerosis (FY2026)"),
    # Psychological contributors: SNOMED CT; ICD-10-CM Z73.3, F41.1, G47.00, F32 single-episode depression.
    (C.PSYCHOLOGICAL_STRESS, SNOMED, "73595000", "Stress"),
    (C.PSYCHOLOGICAL_STRESS, SNOMED, "48694002", "Anxiety"),
    (C.PSYCHOLOGICAL_STRESS, SNOMED, "193462001", "Insomnia"),
    (C.PSYCHOLOGICAL_STRESS, SNOMED, "35489007", "Depressive disorder"),
    (C.PSYCHOLOGICAL_STRESS, ICD10CM, "Z73.3", "Stress, not elsewhere classified"),
    (C.PSYCHOLOGICAL_STRESS, ICD10CM, "F41.1", "Generalized anxiety disorder"),
    (C.PSYCHOLOGICAL_STRESS, ICD10CM, "G47.00", "Insomnia, unspecified"),
    *((C.PSYCHOLOGICAL_STRESS, ICD10CM, f"F32.{s}", f"Major depressive disorder, single episode (F32.{s})")
      for s in "012345A9"),
    # Poisoning: SNOMED CT; ICD-10-CM categories T36-T50 (drugs) and T51-T65 (toxic effects), each its own family.
    (C.POISONING, SNOMED, "75478009", "Poisoning"),
    *((C.POISONING, ICD10CM, f"T{n}", f"family T{n}: the category itself") for n in range(36, 66)),
    (C.POISONING, ICD10CM, "T39.1X1A", "family T39: poisoning by 4-aminophenol derivatives, accidental, initial"),
    (C.POISONING, ICD10CM, "T58.01XA", "family T58: toxic effect of carbon monoxide from motor vehicle exhaust"),
    (C.ANTIEPILEPTIC_UNDERDOSING, ICD10CM, "T42.0X6A", "family T42.0X6: Underdosing of hydantoin derivatives"),
    (C.ANTIEPILEPTIC_UNDERDOSING, ICD10CM, "T42.1X6A", "family T42.1X6: Underdosing of iminostilbenes"),
    (C.ANTIEPILEPTIC_UNDERDOSING, ICD10CM, "T42.2X6A", "family T42.2X6: Underdosing of succinimides and oxazolidinediones"),
    (C.ANTIEPILEPTIC_UNDERDOSING, ICD10CM, "T42.3X6A", "family T42.3X6: Underdosing of barbiturates"),
    (C.ANTIEPILEPTIC_UNDERDOSING, ICD10CM, "T42.4X6A", "family T42.4X6: Underdosing of benzodiazepines"),
    (C.ANTIEPILEPTIC_UNDERDOSING, ICD10CM, "T42.5X6A", "family T42.5X6: Underdosing of mixed antiepileptics"),
    (C.ANTIEPILEPTIC_UNDERDOSING, ICD10CM, "T42.6X6A", "family T42.6X6: Underdosing of other antiepileptic drugs"),
    (C.ANTIEPILEPTIC_UNDERDOSING, ICD10CM, "T42.76XA", "family T42.76: Underdosing of unspecified antiepileptic drugs"),
    # Pregnancy: SNOMED CT; ICD-10-CM Z33.1, Z34 (supervision of normal pregnancy), O09 (high risk), Z3A weeks.
    (C.PREGNANCY, SNOMED, "77386006", "Pregnancy"),
    (C.PREGNANCY, ICD10CM, "Z33.1", "Pregnant state, incidental"),
    (C.PREGNANCY, ICD10CM, "Z34.00", "family Z34: Supervision of normal first pregnancy, unspecified trimester"),
    (C.PREGNANCY, ICD10CM, "O09.90", "family O09: Supervision of high risk pregnancy, unspecified"),
    (C.PREGNANCY, ICD10CM, "Z3A.01", "Less than 8 weeks gestation of pregnancy"),
    (C.PREGNANCY, ICD10CM, "Z3A.08", "8 weeks gestation of pregnancy"),
    (C.PREGNANCY, ICD10CM, "Z3A.09", "9 weeks gestation of pregnancy"),
    (C.PREGNANCY, ICD10CM, "Z3A.12", "family Z3A.1: 12 weeks gestation of pregnancy"),
    (C.PREGNANCY, ICD10CM, "Z3A.20", "family Z3A.2: 20 weeks gestation of pregnancy"),
    (C.PREGNANCY, ICD10CM, "Z3A.36", "family Z3A.3: 36 weeks gestation of pregnancy"),
    (C.PREGNANCY, ICD10CM, "Z3A.40", "family Z3A.4: 40 weeks gestation of pregnancy"),
    (C.PREGNANCY_TEST, LOINC, "82810-3", "Pregnancy status"),
    (C.PREGNANCY_TEST, LOINC, "2106-3", "Choriogonadotropin (pregnancy test) [Presence] in Urine"),
    (C.PREGNANCY_TEST, LOINC, "2118-8", "Choriogonadotropin (pregnancy test) [Presence] in Serum or Plasma"),
    (C.PREGNANCY_TEST, LOINC, "80385-8", "Choriogonadotropin (pregnancy test) [Presence] in Serum by rapid immunoassay"),
    (C.PREGNANCY_TEST, LOINC, "19080-1", "Choriogonadotropin [Units/volume] in Serum or Plasma"),
    # Laboratory results: LOINC.
    (C.LAB_ALBUMIN, LOINC, "1751-7", "Albumin [Mass/volume] in Serum or Plasma"),
    (C.LAB_CALCIUM_ADJUSTED, LOINC, "29265-6", "Calcium [Moles/volume] corrected for albumin in Serum or Plasma"),
    (C.LAB_CALCIUM_IONIZED, LOINC, "17864-0", "Calcium.ionized [Mass/volume] in Serum or Plasma by ISE"),
    (C.LAB_CALCIUM_IONIZED, LOINC, "1995-0", "Calcium.ionized [Moles/volume] in Serum or Plasma"),
    (C.LAB_CALCIUM_IONIZED, LOINC, "1994-3", "Calcium.ionized [Moles/volume] in Blood"),
    (C.LAB_CALCIUM_TOTAL, LOINC, "17861-6", "Calcium [Mass/volume] in Serum or Plasma"),
    (C.LAB_CALCIUM_TOTAL, LOINC, "2000-8", "Calcium [Moles/volume] in Serum or Plasma"),
    (C.LAB_EGFR, LOINC, "98979-8", "eGFR by creatinine-based formula (CKD-EPI 2021)"),
    (C.LAB_EGFR, LOINC, "62238-1", "eGFR by creatinine-based formula (CKD-EPI)"),
    (C.LAB_EGFR, LOINC, "48642-3", "eGFR among non-blacks (MDRD)"),
    (C.LAB_EGFR, LOINC, "48643-1", "eGFR among blacks (MDRD)"),
    (C.LAB_EGFR, LOINC, "77147-7", "eGFR in serum, plasma or blood (MDRD)"),
    (C.LAB_EGFR, LOINC, "33914-3", "eGFR in serum or plasma (MDRD)"),
    (C.LAB_MAGNESIUM, LOINC, "19123-9", "Magnesium [Mass/volume] in Serum or Plasma"),
    (C.LAB_MAGNESIUM, LOINC, "2601-3", "Magnesium [Moles/volume] in Serum or Plasma"),
    (C.LAB_POTASSIUM, LOINC, "22760-3", "Potassium [Mass/volume] in Serum or Plasma"),
    (C.LAB_POTASSIUM, LOINC, "2823-3", "Potassium [Moles/volume] in Serum or Plasma"),
    (C.LAB_POTASSIUM, LOINC, "75940-7", "Potassium [Mass/volume] in Blood"),
    (C.LAB_SODIUM, LOINC, "2951-2", "Sodium [Moles/volume] in Serum or Plasma"),
    (C.LAB_SODIUM, LOINC, "2947-0", "Sodium [Moles/volume] in Blood"),
    (C.LAB_SODIUM, LOINC, "77139-4", "Sodium [Moles/volume] in Serum, Plasma or Blood"),
    # Medicines: RxNorm (RxNav; openFDA NDC directory for products); WHO ATC index.
    (C.ANTICONVULSANT, RXNORM, "2002", "carbamazepine"),
    (C.ANTICONVULSANT, RXNORM, "32624", "oxcarbazepine"),
    (C.ANTICONVULSANT, RXNORM, "8183", "phenytoin"),
    (C.ANTICONVULSANT, RXNORM, "1739745", "brivaracetam"),
    (C.ANTICONVULSANT, RXNORM, "21241", "clobazam"),
    (C.ANTICONVULSANT, RXNORM, "114477", "levetiracetam"),
    (C.ANTICONVULSANT, ATC, "N03AF01", "family N03A (antiepileptics): carbamazepine"),
    (C.ANTICONVULSANT, RXNORM, "11118", "through medication-valproate: valproic acid"),
    (C.ANTICONVULSANT, RXNORM, "28439", "through medication-lamotrigine: lamotrigine"),
    (C.BOTULINUM_TOXIN, RXNORM, "1789950", "Dysport product"),
    (C.BOTULINUM_TOXIN, RXNORM, "1789953", "Dysport product"),
    (C.BOTULINUM_TOXIN, RXNORM, "1789956", "Dysport product"),
    (C.BOTULINUM_TOXIN, RXNORM, "1789958", "Dysport product"),
    (C.BOTULINUM_TOXIN, ATC, "M03AX01", "family M03AX01: botulinum toxin"),
    (C.LAMOTRIGINE, RXNORM, "28439", "lamotrigine (ingredient)"),
    (C.LAMOTRIGINE, ATC, "N03AX09", "family N03AX09: lamotrigine"),
    (C.MAGNESIUM_SUPPLEMENT, RXNORM, "6574", "magnesium"),
    (C.MAGNESIUM_SUPPLEMENT, RXNORM, "6585", "magnesium sulfate"),
    (C.POTASSIUM_SPARING_DIURETIC, RXNORM, "9997", "spironolactone"),
    (C.POTASSIUM_SPARING_DIURETIC, RXNORM, "10763", "triamterene"),
    (C.POTASSIUM_SUPPLEMENT, RXNORM, "8591", "potassium chloride"),
    (C.POTASSIUM_SUPPLEMENT, ATC, "A12BA01", "family A12BA (potassium): potassium chloride"),
    (C.VALPROATE, RXNORM, "11118", "valproic acid"),
    (C.VALPROATE, RXNORM, "40254", "valproate (ingredient)"),
    (C.VALPROATE, RXNORM, "266856", "divalproex sodium (precise ingredient)"),
    (C.VALPROATE, RXNORM, "9919", "sodium valproate (precise ingredient)"),
    (C.VALPROATE, RXNORM, "1099625", "divalproex sodium 125 MG delayed-release oral tablet"),
    (C.VALPROATE, RXNORM, "1099678", "divalproex sodium 250 MG delayed-release oral tablet"),
    (C.VALPROATE, RXNORM, "1099870", "divalproex sodium 500 MG delayed-release oral tablet"),
    (C.VALPROATE, RXNORM, "1099563", "24 HR divalproex sodium 250 MG extended-release oral tablet"),
    (C.VALPROATE, RXNORM, "1099569", "24 HR divalproex sodium 500 MG extended-release oral tablet"),
    (C.VALPROATE, RXNORM, "1099596", "divalproex sodium 125 MG delayed-release oral capsule"),
    (C.VALPROATE, RXNORM, "1099681", "valproic acid 250 MG oral capsule"),
    (C.VALPROATE, RXNORM, "1099687", "valproic acid 50 MG/ML oral solution"),
    (C.VALPROATE, RXNORM, "1099648", "valproate sodium injection"),
    (C.VALPROATE, ATC, "N03AG01", "family N03AG01: valproic acid"),
]

# (concept, system, code, why not): codes next to a value set that it must not recognise.
NEAR_MISSES: list[tuple[Concept, str, str, str]] = [
    (C.ANSWER_NEGATIVE, V3, "POS", "the positive interpretation"),
    (C.ANSWER_POSITIVE, V3, "NEG", "the negative interpretation"),
    (C.ANSWER_POSITIVE, SNOMED, "260385009", "Negative (qualifier value)"),
    (C.CKD, ICD10CM, "N19", "Unspecified kidney failure: not chronic kidney disease"),
    (C.CKD_SEVERE, ICD10CM, "N18.3", "stage 3 is not severe"),
    (C.CKD_SEVERE, SNOMED, "709044004", "CKD of any stage is not severe"),
    (C.EPILEPSY, ICD10CM, "R56.9", "unspecified convulsions are not epilepsy"),
    (C.SEIZURE_UNSPECIFIED, ICD10CM, "G40.909", "epilepsy is its own value set"),
    (C.HEMIFACIAL_SPASM, ICD10CM, "G51.4", "facial myokymia"),
    (C.FACIAL_TWITCHING, ICD10CM, "G51.0", "Bell's palsy is facial weakness, not twitching"),
    (C.TIC, ICD10CM, "F98.4", "stereotyped movement disorders: outside F95"),
    (C.MULTIPLE_SCLEROSIS, ICD10CM, "G36.0", "neuromyelitis optica: outside G35"),
    (C.NMJ_DISORDER, ICD10CM, "G70.9", "myoneural disorder, unspecified: not listed"),
    (C.PSYCHOLOGICAL_STRESS, ICD10CM, "F41.9", "the wider F41 family is left out"),
    (C.PSYCHOLOGICAL_STRESS, ICD10CM, "F33.0", "recurrent depression: only the single-episode F32 codes"),
    (C.POISONING, ICD10CM, "T66", "radiation sickness: after T65"),
    (C.POISONING, ICD10CM, "T35.0", "just below the T36-T65 range (WHO ICD-10 frostbite; not in ICD-10-CM)"),
    (C.ANTIEPILEPTIC_UNDERDOSING, ICD10CM, "T42.8X6A", "antiparkinsonism drugs are not antiepileptic"),
    (C.ANTIEPILEPTIC_UNDERDOSING, ICD10CM, "T42.6X1A", "poisoning, not underdosing"),
    (C.PREGNANCY, ICD10CM, "Z3A.00", "weeks of gestation not specified: left out"),
    (C.PREGNANCY, ICD10CM, "O80", "delivery: other O codes are left out"),
    (C.PREGNANCY, ICD10CM, "Z39.2", "routine postpartum follow-up"),
    (C.PREGNANCY_TEST, "urn:oid:2.16.840.1.113883.6.238", "2106-3", "CDC race code 'White', not LOINC"),
    (C.LAB_POTASSIUM, LOINC, "6298-4", "unverified, left out"),
    (C.LAB_CALCIUM_TOTAL, LOINC, "29265-6", "albumin-adjusted calcium is its own value set"),
    (C.LAB_CALCIUM_ADJUSTED, LOINC, "17861-6", "total calcium"),
    (C.LAB_MAGNESIUM, "http://snomed.info/sct", "19123-9", "the LOINC code in another system"),
    (C.ANTICONVULSANT, ATC, "N05BA01", "diazepam as an anxiolytic (N05B), not N03A"),
    (C.BOTULINUM_TOXIN, ATC, "M03BX01", "baclofen"),
    (C.LAMOTRIGINE, ATC, "N03AX14", "levetiracetam"),
    (C.VALPROATE, ATC, "N03AF01", "carbamazepine"),
    (C.POTASSIUM_SUPPLEMENT, ATC, "A12CC02", "magnesium sulfate"),
    (C.MAGNESIUM_SUPPLEMENT, RXNORM, "8591", "potassium chloride"),
]


def _ids(rows):
    return [f"{concept.value}-{code}" for concept, _, code, _ in rows]


@pytest.mark.parametrize(("concept", "system", "code", "meaning"), MEMBERS, ids=_ids(MEMBERS))
def test_the_code_is_recognised_as_its_concept(terminology, concept, system, code, meaning) -> None:
    assert concept in terminology.match_coding(system, code), meaning


@pytest.mark.parametrize(("concept", "system", "code", "why"), NEAR_MISSES, ids=_ids(NEAR_MISSES))
def test_the_near_miss_is_not_recognised(terminology, concept, system, code, why) -> None:
    assert concept not in terminology.match_coding(system, code), why


def test_every_concept_has_its_table() -> None:
    assert {row[0] for row in MEMBERS} == set(Concept)


def test_every_listed_code_is_in_the_table(terminology) -> None:
    """A code added to a value set needs its row above, so that removing it later is noticed too."""
    table = {(system, code) for _, system, code, _ in MEMBERS}
    assert [pair for pair in terminology.listed_codings(list(Concept)) if pair not in table] == []
