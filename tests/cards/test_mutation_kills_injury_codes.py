"""The ICD-10-CM intent axis of T36-T65 codes (cards/injury_codes.py), pinned so that mutation testing (README,
Mutation testing) notices any change to how it is read.

The expected readings are written here, not read back from `cards` (ICD-10-CM Tabular List, T36-T65):

| Code      | Expected              | Why                                                                      |
|-----------|-----------------------|--------------------------------------------------------------------------|
| T50.A11A  | accidental poisoning  | T50.A- (bacterial vaccines): a letter in the 4th place, 6th character 1 |
| T50.Z15A  | adverse effect        | T50.Z- (other vaccines), 6th character 5                                 |
| S36.0X1A  | none                  | not a T-code (injury of spleen), whatever its 6th character             |
| TA5.0X1A  | none                  | not a category number                                                    |
| T35.0X1A  | none                  | below T36                                                                |
| T66.XXXA  | none                  | above T65 (radiation sickness)                                           |
"""

from __future__ import annotations

import pytest

from cards.injury_codes import Intent, intent_of


@pytest.mark.parametrize(("code", "intent"), [
    ("T50.A11A", Intent.ACCIDENTAL), ("T50A11A", Intent.ACCIDENTAL), ("T50.Z15A", Intent.ADVERSE_EFFECT),
    ("T36.0X1A", Intent.ACCIDENTAL), ("T65.91XA", Intent.ACCIDENTAL), ("T42.76XA", Intent.UNDERDOSING),
    ("S36.0X1A", None), ("TA5.0X1A", None), ("TAB.0X1A", None), ("T35.0X1A", None), ("T66.XXXA", None),
    ("T42.0", None), ("T42.0X", None), ("T42.0X9A", None),
])
def test_the_intent_axis(code, intent) -> None:
    assert intent_of(code) == intent
