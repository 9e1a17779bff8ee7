"""Text terms of the medication value sets (cards/terminology.py), pinned so that mutation testing (README, Mutation
testing) notices any change to how overlapping phrases are read.

The expected readings are written here, not read back from `cards`:

| Text                                         | Expected                          | Why                                  |
|----------------------------------------------|-----------------------------------|--------------------------------------|
| "... with magnesium stearate"                | no magnesium supplement           | an excipient, not a supplement: the  |
|                                              |                                   | longer excluded phrase wins          |
| "Magnesium oxide 400 mg"                     | magnesium supplement              | the term alone                       |
| "MAGNESIUM STEARATE" (any case)              | no magnesium supplement           | terms are matched case-insensitively |
"""

from __future__ import annotations

import pytest

from builders import edit_valueset
from cards.knowledge import KNOWLEDGE_VERSION
from cards.terminology import Concept, load_terminology


@pytest.mark.parametrize("text", ["Paracetamol 500 mg tablets with magnesium stearate",
                                  "PARACETAMOL 500 MG (MAGNESIUM STEARATE)", "Magnesium Stearate"])
def test_an_excluded_phrase_hides_the_term_it_starts_with(terminology, text) -> None:
    assert Concept.MAGNESIUM_SUPPLEMENT not in terminology.match_text(text)


@pytest.mark.parametrize("text", ["Magnesium oxide 400 mg", "MAGNESIUM glycerophosphate",
                                  "magnesium stearate-free magnesium citrate"])
def test_the_term_alone_still_names_the_supplement(terminology, text) -> None:
    assert Concept.MAGNESIUM_SUPPLEMENT in terminology.match_text(text)


def test_value_sets_without_any_text_term_match_no_text(valueset_copy) -> None:
    for path in valueset_copy.glob("*.json"):
        edit_valueset(valueset_copy, path.stem, lambda d: d.pop("extension", None))
    bare = load_terminology(valueset_copy, version=KNOWLEDGE_VERSION)
    assert bare.match_text("Magnesium oxide 400 mg") == frozenset()
    assert bare.match_text("") == frozenset()
    assert bare.match_concept({"text": "Depakote 250 mg"}, with_text=True) == frozenset()


def test_any_mapping_is_read_as_a_codeable_concept_not_only_a_dict(terminology) -> None:
    from types import MappingProxyType

    from cards.terminology import SNOMED, is_mapping

    assert is_mapping({}) and is_mapping(MappingProxyType({})) and not is_mapping([("a", 1)])
    concept = MappingProxyType({"coding": [MappingProxyType({"system": SNOMED, "code": "13753008"})]})
    assert Concept.HEMIFACIAL_SPASM in terminology.match_concept(concept)
