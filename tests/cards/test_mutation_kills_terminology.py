"""Value-set loading and matching, pinned so that mutation testing (README, Mutation testing) notices any change:
each way a value set file can be refused (with its message), code normalisation per system, codings that cannot be
matched next to ones that can, and medication names found only in a coding's display.

Codes used (from the shipped, reviewed value sets): ICD-10-CM R29.0 tetany, G51.0 Bell's palsy (facial weakness),
G40.* epilepsy; SNOMED CT 13753008 hemifacial spasm; ATC M03AX01 botulinum toxin.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import edit_valueset
from cards.knowledge import KNOWLEDGE_VERSION
from cards.terminology import ATC, ICD10CM, RXNORM, SNOMED, Concept, ValueSetError, load_terminology

BASE = "http://facial-twitch-cds.example.org/fhir/ValueSet/"





def _refused(directory: Path, message: str) -> None:
    with pytest.raises(ValueSetError) as raised:
        load_terminology(directory, version=KNOWLEDGE_VERSION)
    assert str(raised.value) == message


def test_an_exclude_is_refused(valueset_copy) -> None:
    edit_valueset(valueset_copy, "tetany", lambda d: d["compose"].update(exclude=[{"system": SNOMED, "concept": [{"code": "1"}]}]))
    _refused(valueset_copy, "tetany: needs compose.include and no compose.exclude")


def test_concepts_without_a_system_are_refused(valueset_copy) -> None:
    edit_valueset(valueset_copy, "tetany", lambda d: d["compose"]["include"].append({"valueSet": [BASE + "facial-weakness"],
                                                                          "concept": [{"code": "R29.0"}]}))
    _refused(valueset_copy, "tetany: concepts or filters without a system")


def test_two_filters_in_one_include_are_refused(valueset_copy) -> None:
    rule = {"property": "concept", "op": "is-a", "value": "G40"}
    edit_valueset(valueset_copy, "epilepsy", lambda d: d["compose"].update(include=[{"system": ICD10CM, "filter": [rule, rule]}]))
    _refused(valueset_copy, "epilepsy: filters in one include are ANDed; put each family in its own include")


@pytest.mark.parametrize("rule", [{"property": "code", "op": "is-a", "value": "G40"},
                                  {"property": "concept", "op": "descendent-of", "value": "G40"}])
def test_filters_other_than_concept_is_a_are_refused(valueset_copy, rule) -> None:
    edit_valueset(valueset_copy, "epilepsy", lambda d: d["compose"].update(include=[{"system": ICD10CM, "filter": [rule]}]))
    _refused(valueset_copy, "epilepsy: only 'concept is-a' filters on ICD-10-CM or ATC are supported")


def test_an_include_cycle_is_refused(valueset_copy) -> None:
    edit_valueset(valueset_copy, "tetany", lambda d: d["compose"]["include"].append({"valueSet": [BASE + "facial-weakness"]}))
    edit_valueset(valueset_copy, "facial-weakness", lambda d: d["compose"]["include"].append({"valueSet": [BASE + "tetany"]}))
    with pytest.raises(ValueSetError, match=r"include cycle through http://facial-twitch-cds\.example\.org/fhir/"):
        load_terminology(valueset_copy, version=KNOWLEDGE_VERSION)


def test_a_file_name_that_disagrees_with_the_id_is_refused(valueset_copy) -> None:
    (valueset_copy / "tetany.json").rename(valueset_copy / "tetany-renamed.json")
    _refused(valueset_copy, "tetany-renamed.json: file name, id and url must agree")


def test_a_value_set_the_rules_do_not_know_is_refused(valueset_copy) -> None:
    data = json.loads((valueset_copy / "tetany.json").read_text())
    data.update(id="unknown-set", url=BASE + "unknown-set")
    (valueset_copy / "unknown-set.json").write_text(json.dumps(data))
    _refused(valueset_copy, "unknown-set.json: id 'unknown-set' is not a value set the rules know")


def test_a_value_set_only_include_before_a_code_include_keeps_both(valueset_copy) -> None:
    edit_valueset(valueset_copy, "tetany", lambda d: d["compose"]["include"].insert(0, {"valueSet": [BASE + "facial-weakness"]}))
    terminology = load_terminology(valueset_copy, version=KNOWLEDGE_VERSION)
    assert Concept.TETANY in terminology.match_coding(ICD10CM, "R29.0")
    assert Concept.TETANY in terminology.match_coding(ICD10CM, "G51.0")  # through the included set
    assert Concept.FACIAL_WEAKNESS not in terminology.match_coding(ICD10CM, "R29.0")


@pytest.mark.parametrize(("system", "code", "concept"), [
    (ICD10CM, "R29.0", Concept.TETANY), (ICD10CM, "r290", Concept.TETANY), (ICD10CM, " R29.0 ", Concept.TETANY),
    (ICD10CM, "g40.909", Concept.EPILEPSY), (ATC, "m03ax01", Concept.BOTULINUM_TOXIN),
    (SNOMED, " 13753008 ", Concept.FACIAL_TWITCHING),
])
def test_codes_are_normalised_per_system(terminology, system, code, concept) -> None:
    assert concept in terminology.match_coding(system, code)


@pytest.mark.parametrize("code", ["G4", "G", ""])
def test_a_code_shorter_than_a_family_prefix_matches_nothing_of_it(terminology, code) -> None:
    assert Concept.EPILEPSY not in terminology.match_coding(ICD10CM, code)


def test_an_unusable_coding_does_not_stop_the_next_one_from_matching(terminology) -> None:
    codeable = {"coding": [{"system": SNOMED, "code": 13753008}, {"system": None, "code": "x"}, "not a coding",
                           {"system": SNOMED, "code": "13753008"}]}
    assert Concept.FACIAL_TWITCHING in terminology.match_concept(codeable)


@pytest.mark.parametrize("codeable", [None, "13753008", {"coding": {"system": SNOMED, "code": "13753008"}}])
def test_shapes_that_are_not_codeable_concepts_match_nothing(terminology, codeable) -> None:
    assert terminology.match_concept(codeable) == frozenset()


def test_a_medication_named_only_in_a_coding_display_matches_with_text(terminology) -> None:
    codeable = {"coding": [{"system": RXNORM, "code": "0000000", "display": "Lamotrigine 25 MG Oral Tablet"}]}
    assert Concept.LAMOTRIGINE in terminology.match_concept(codeable, with_text=True)
    assert Concept.LAMOTRIGINE not in terminology.match_concept(codeable)


def test_text_and_codes_add_up(terminology) -> None:
    codeable = {"text": "Botox 100 unit", "coding": [{"system": RXNORM, "code": "0000000", "display": "Lamotrigine"}]}
    found = terminology.match_concept(codeable, with_text=True)
    assert {Concept.BOTULINUM_TOXIN, Concept.LAMOTRIGINE} <= found


def test_displays_are_found_for_normalised_codes(terminology) -> None:
    assert terminology.display(ICD10CM, "r29.0") == terminology.display(ICD10CM, "R29.0") == "Tetany"
    assert terminology.display(ATC, "M03AX01") is None  # matched by a family filter only


def test_listed_codings_have_no_duplicates(terminology) -> None:
    listed = terminology.listed_codings([Concept.CKD, Concept.CKD_SEVERE, Concept.CKD])
    assert len(listed) == len(set(listed))
    assert set(terminology.listed_codings([Concept.CKD_SEVERE])) <= set(listed)


# Every explicit code of two value sets whose removal went unnoticed (README, value-set mutants): ICD-10-CM FY2026
# and SNOMED CT names, written here from the code systems, not read from the value set files.
NMJ_CODES = [(SNOMED, "91637004"), (SNOMED, "56989000"), (SNOMED, "86044005"), (ICD10CM, "G70.00"),
             (ICD10CM, "G70.01"), (ICD10CM, "G73.1"), (ICD10CM, "G70.80"), (ICD10CM, "G70.81"), (ICD10CM, "G12.21")]
STRESS_CODES = [(SNOMED, "73595000"), (SNOMED, "48694002"), (SNOMED, "193462001"), (SNOMED, "35489007"),
                (ICD10CM, "Z73.3"), (ICD10CM, "F41.1"), (ICD10CM, "G47.00"), *((ICD10CM, f"F32.{s}") for s in
                                                                                 "012345A9")]


@pytest.mark.parametrize(("system", "code"), NMJ_CODES)
def test_every_neuromuscular_junction_disorder_code_matches(terminology, system, code) -> None:
    """Myasthenia gravis (G70.00/.01), Lambert-Eaton (G70.80/.81, G73.1), ALS (G12.21): botulinum toxin warning."""
    assert Concept.NMJ_DISORDER in terminology.match_coding(system, code)


@pytest.mark.parametrize(("system", "code"), STRESS_CODES)
def test_every_psychological_stress_code_matches(terminology, system, code) -> None:
    """Stress, anxiety, insomnia and single-episode major depression F32.0-F32.5, F32.9, F32.A."""
    assert Concept.PSYCHOLOGICAL_STRESS in terminology.match_coding(system, code)


def test_the_terminology_carries_the_knowledge_version(terminology) -> None:
    assert terminology.version == KNOWLEDGE_VERSION


def test_every_missing_value_set_is_named(valueset_copy) -> None:
    (valueset_copy / "tetany.json").unlink()
    (valueset_copy / "lab-sodium.json").unlink()
    _refused(valueset_copy, "value sets missing or not active: lab-sodium, tetany")


def test_listed_codings_are_system_and_code_as_written(terminology) -> None:
    assert terminology.listed_codings([Concept.TETANY]) == ((ICD10CM, "R29.0"),)
