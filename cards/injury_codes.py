"""ICD-10-CM T36-T65 carry their meaning in a character: poisoning, adverse effect and underdosing share families.

T36-T50 (drugs): the last axis character before the 7th is 1 accidental, 2 intentional self-harm, 3 assault,
4 undetermined (all poisoning), 5 adverse effect, 6 underdosing. It is the 6th character, with "X" padding short
codes (T36.0X5A); a few subcategories put it 5th and pad after it (T42.71XA, T65.91XA). T51-T65 (toxic effects)
use 1-4 only. Sources: ICD-10-CM Tabular List, category T42 and Table of Drugs columns (imedicalcode.com T42 listing;
icd10coded.com/cm/drugs; americanmedicalcoding.com) [secondary copies].
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from .terminology import ICD10CM, normalise_code


class Intent(StrEnum):
    ACCIDENTAL = "accidental poisoning"
    SELF_HARM = "intentional self-harm poisoning"
    ASSAULT = "poisoning by assault"
    UNDETERMINED = "poisoning, intent undetermined"
    ADVERSE_EFFECT = "adverse effect"
    UNDERDOSING = "underdosing"


_BY_CHARACTER = {"1": Intent.ACCIDENTAL, "2": Intent.SELF_HARM, "3": Intent.ASSAULT, "4": Intent.UNDETERMINED,
                 "5": Intent.ADVERSE_EFFECT, "6": Intent.UNDERDOSING}
POISONING_INTENTS = frozenset({Intent.ACCIDENTAL, Intent.SELF_HARM, Intent.ASSAULT, Intent.UNDETERMINED})
_AXIS = 5  # 0-based index of the 6th character once the dot is removed ("T360X5A")
_FIRST_CATEGORY, _LAST_CATEGORY = 36, 65


def intent_of(code: str) -> Intent | None:
    """The intent axis of a T36-T65 code (with or without its dot), or None for other codes and headers."""
    normalised = normalise_code(ICD10CM, code)
    if len(normalised) <= _AXIS or normalised[0] != "T" or not normalised[1:3].isdigit():
        return None
    if not _FIRST_CATEGORY <= int(normalised[1:3]) <= _LAST_CATEGORY:
        return None
    character = normalised[_AXIS]
    if character == "X":  # the axis sat in the 5th place and was padded (T42.71XA)
        character = normalised[_AXIS - 1]
    return _BY_CHARACTER.get(character)


def coded_intents(codes: Iterable[tuple[str, str]]) -> frozenset[Intent]:
    """Every intent the ICD-10-CM codings of one resource state."""
    return frozenset(intent for system, code in codes if system == ICD10CM and (intent := intent_of(code)))


def is_not_poisoning(codes: Iterable[tuple[str, str]]) -> bool:
    """True when the ICD-10-CM codings say adverse effect or underdosing and none says poisoning."""
    intents = coded_intents(codes)
    return bool(intents) and not intents & POISONING_INTENTS
