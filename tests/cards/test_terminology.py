"""Value sets: loaded and validated as FHIR ValueSets at start-up, compiled to lookups that match real-world codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import edit_valueset
from cards.knowledge import KNOWLEDGE_VERSION
from cards.terminology import (
    ATC,
    ICD10CM,
    LOINC,
    RXNORM,
    SNOMED,
    VALUESET_DIR,
    Concept,
    ValueSetError,
    load_terminology,
)





def test_every_shipped_value_set_is_one_the_rules_use() -> None:
    shipped = {path.stem for path in VALUESET_DIR.glob("*.json")}
    assert shipped == {concept.value for concept in Concept}


@pytest.mark.parametrize(
    ("system", "code", "concept"),
    [
        (SNOMED, "13753008", Concept.HEMIFACIAL_SPASM),
        (SNOMED, "1070000", Concept.FACIAL_MYOKYMIA),
        (ICD10CM, "G51.4", Concept.FACIAL_MYOKYMIA),
        (ICD10CM, "G514", Concept.FACIAL_MYOKYMIA),
        (ICD10CM, "g51.31", Concept.HEMIFACIAL_SPASM),
        (ICD10CM, "G24.5", Concept.BLEPHAROSPASM),
        (ICD10CM, "F95.1", Concept.TIC),
        (ICD10CM, "R25.3", Concept.EYELID_TWITCHING),
    ],
)
def test_twitching_codes_match_their_kind_and_the_gate(terminology, system: str, code: str, concept: Concept) -> None:
    matched = terminology.match_coding(system, code)
    assert concept in matched
    assert Concept.FACIAL_TWITCHING in matched


@pytest.mark.parametrize("code", ["G35", "G35.A", "G35A", "G35.B0", "G35.C2", "G35.D"])
def test_multiple_sclerosis_matches_old_g35_and_fy2026_codes(terminology, code: str) -> None:
    assert terminology.match_coding(ICD10CM, code) == {Concept.MULTIPLE_SCLEROSIS}


@pytest.mark.parametrize("code", ["T36.0X1A", "T50.901D", "T56.0X1A", "T60.0X1S", "T65.91XA"])
def test_poisoning_matches_every_t36_to_t65_family(terminology, code: str) -> None:
    assert Concept.POISONING in terminology.match_coding(ICD10CM, code)


@pytest.mark.parametrize("code", ["T35.0", "T66", "T14.90", "R56.9"])
def test_codes_outside_the_families_do_not_match_poisoning(terminology, code: str) -> None:
    assert Concept.POISONING not in terminology.match_coding(ICD10CM, code)


def test_unspecified_seizure_is_not_epilepsy(terminology) -> None:
    assert terminology.match_coding(ICD10CM, "R56.9") == {Concept.SEIZURE_UNSPECIFIED}
    assert Concept.EPILEPSY in terminology.match_coding(ICD10CM, "G40.909")
    assert Concept.EPILEPSY in terminology.match_coding(SNOMED, "84757009")


def test_a_code_in_the_wrong_system_does_not_match(terminology) -> None:
    assert not terminology.match_coding(SNOMED, "G51.4")
    assert not terminology.match_coding(ICD10CM, "13753008")


def test_severe_ckd_codes_are_also_ckd(terminology) -> None:
    assert terminology.match_coding(ICD10CM, "N18.5") == {Concept.CKD, Concept.CKD_SEVERE}
    assert terminology.match_coding(ICD10CM, "N18.30") == {Concept.CKD}
    assert terminology.match_coding(SNOMED, "46177005") == {Concept.CKD, Concept.CKD_SEVERE}


def test_medications_match_by_rxnorm_atc_prefix_and_text(terminology) -> None:
    assert terminology.match_coding(RXNORM, "11118") == {Concept.VALPROATE, Concept.ANTICONVULSANT}
    assert terminology.match_coding(ATC, "n03ag01") == {Concept.VALPROATE, Concept.ANTICONVULSANT}
    assert terminology.match_coding(ATC, "N03AX14") == {Concept.ANTICONVULSANT}
    assert terminology.match_text("Divalproex Sodium 500 MG Delayed Release Tablet") == {
        Concept.VALPROATE, Concept.ANTICONVULSANT}
    assert terminology.match_text("LAMOTRIGINE 25 MG") == {Concept.LAMOTRIGINE, Concept.ANTICONVULSANT}


def test_text_matching_is_by_whole_word_and_names_the_salt(terminology) -> None:
    assert terminology.match_text("losartan potassium 50 MG Oral Tablet") == frozenset()
    assert terminology.match_text("Potassium Chloride 20 MEQ Extended Release Tablet") == {
        Concept.POTASSIUM_SUPPLEMENT}
    assert terminology.match_text("amiloride hydrochloride 5 MG") == {Concept.POTASSIUM_SPARING_DIURETIC}
    assert terminology.match_text("magnesiumoxid") == frozenset()


def test_medication_concept_matching_uses_text_only_when_asked(terminology) -> None:
    concept = {"text": "Botox 100 unit injection"}
    assert terminology.match_concept(concept) == frozenset()
    assert terminology.match_concept(concept, with_text=True) == {Concept.BOTULINUM_TOXIN}


def test_observation_codings_are_listed_as_written(terminology) -> None:
    listed = terminology.listed_codings([Concept.LAB_MAGNESIUM, Concept.FACIAL_TWITCHING])
    assert (LOINC, "19123-9") in listed and (LOINC, "2601-3") in listed
    assert (SNOMED, "13753008") in listed and (ICD10CM, "G51.4") in listed


def test_displays_come_from_the_reviewed_value_set(terminology) -> None:
    assert terminology.display(ICD10CM, "N184") == "Chronic kidney disease, stage 4 (severe)"
    assert terminology.display(ICD10CM, "G40.909") is None


def test_draft_value_sets_are_validated_but_never_match(valueset_copy: Path) -> None:
    candidate = json.loads((valueset_copy / "tetany.json").read_text())
    candidate.update(id="candidate-codes", url=candidate["url"].replace("tetany", "candidate-codes"),
                     status="draft")
    candidate["compose"] = {"include": [{"system": SNOMED, "concept": [{"code": "999999"}]}]}
    (valueset_copy / "candidate-codes.json").write_text(json.dumps(candidate))
    terminology = load_terminology(valueset_copy, version=KNOWLEDGE_VERSION)
    assert terminology.match_coding(SNOMED, "999999") == frozenset()


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("tetany", lambda d: d.update(version="1999.1.0"), "knowledge version"),
        ("tetany", lambda d: d.update(status="retired"), "status"),
        ("tetany", lambda d: d.update(resourceType="CodeSystem"), "not a valid FHIR R4B ValueSet"),
        ("tetany", lambda d: d.update(unexpected=True), "not a valid FHIR R4B ValueSet"),
        ("poisoning", lambda d: d["compose"]["include"][1]["filter"][0].update(op="regex"), "is-a"),
        ("epilepsy", lambda d: d["compose"]["include"][0].update(
            filter=[{"property": "concept", "op": "is-a", "value": "1"}]), "ICD-10-CM or ATC"),
        ("facial-twitching", lambda d: d["compose"]["include"][0]["valueSet"].append(
            "http://facial-twitch-cds.example.org/fhir/ValueSet/nowhere"), "unknown or draft"),
        ("medication-lamotrigine", lambda d: d["extension"].append({"url": "urn:other", "valueString": "x"}),
         "extension"),
    ],
)
def test_invalid_value_sets_fail_loading_loudly(valueset_copy: Path, name: str, change, message: str) -> None:
    edit_valueset(valueset_copy, name, change)
    with pytest.raises(ValueSetError, match=message):
        load_terminology(valueset_copy, version=KNOWLEDGE_VERSION)


def test_a_missing_value_set_fails_loading(valueset_copy: Path) -> None:
    (valueset_copy / "tetany.json").unlink()
    with pytest.raises(ValueSetError, match="tetany"):
        load_terminology(valueset_copy, version=KNOWLEDGE_VERSION)


def test_the_code_memo_never_keeps_huge_codes(terminology) -> None:
    """A hostile chart's multi-megabyte codes are matched but never remembered, so memory stays bounded."""
    huge = "9" * 3_000_000
    assert terminology.match_concept({"coding": [{"system": "http://snomed.info/sct", "code": huge}]}) == frozenset()
    assert ("http://snomed.info/sct", huge) not in terminology._memo
