"""ICD-10-CM T36-T65 intent axis: only poisoning is poisoning."""

from __future__ import annotations

import pytest

from cards.injury_codes import Intent, intent_of, is_not_poisoning
from cards.terminology import ICD10CM, SNOMED


@pytest.mark.parametrize(
    ("code", "intent"),
    [("T42.0X1A", Intent.ACCIDENTAL), ("T42.0X2D", Intent.SELF_HARM), ("T42.0X3A", Intent.ASSAULT),
     ("T42.0X4S", Intent.UNDETERMINED), ("T36.0X5A", Intent.ADVERSE_EFFECT), ("T42.0X6A", Intent.UNDERDOSING),
     ("t420x6a", Intent.UNDERDOSING), ("T40.411A", Intent.ACCIDENTAL), ("T42.76XA", Intent.UNDERDOSING),
     ("T65.91XA", Intent.ACCIDENTAL), ("T56.0X1A", Intent.ACCIDENTAL), ("T60.0X4D", Intent.UNDETERMINED)],
)
def test_intent_is_read_from_the_axis_character_with_or_without_padding(code, intent) -> None:
    assert intent_of(code) is intent


@pytest.mark.parametrize("code", ["T42", "T42.0", "T42.0X", "S06.0X1A", "T33.011A", "T66.XXXA", "G40.909"])
def test_headers_and_codes_outside_t36_t65_have_no_intent(code) -> None:
    assert intent_of(code) is None


def test_adverse_effect_or_underdosing_alone_is_not_poisoning() -> None:
    assert is_not_poisoning([(ICD10CM, "T42.0X5A")])
    assert is_not_poisoning([(ICD10CM, "T42.6X6A"), (SNOMED, "75478009")])
    assert not is_not_poisoning([(ICD10CM, "T42.0X5A"), (ICD10CM, "T42.0X1A")])
    assert not is_not_poisoning([(SNOMED, "75478009")])
    assert not is_not_poisoning([(ICD10CM, "T56.0")])
