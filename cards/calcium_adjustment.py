"""Albumin-adjusted calcium, so a low total calcium explained by low albumin is never graded as hypocalcaemia.

Half of plasma calcium is bound to albumin: with low albumin the total falls while the ionized (active) calcium
stays normal. The laboratory's own adjusted value (LOINC 29265-6) is preferred; without it, Payne's formula
(`cards.thresholds`) adjusts the total when an albumin from the same day (or the day before or after) is there and
the formula is trustworthy (albumin not below 20 g/L, a unit we can read, a value that can exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from .facts import LabResult, Measurement, format_number
from .labs import classify
from .markdown import escape_markdown
from .thresholds import CANONICAL_UNIT, Analyte, Limit, Thresholds, normalise_unit

# Serum albumin cannot exceed total protein (~60-80 g/L): 100 g/L or more is a unit error (g/L sent as g/dL).
_IMPOSSIBLE_FROM_G_PER_L = 100.0

# Albumin units to g/L (UCUM codes and unit texts, normalised by `normalise_unit`).
ALBUMIN_G_PER_L = MappingProxyType({"g/l": 1.0, "g/dl": 10.0, "mg/dl": 0.01, "mg/l": 0.001})


def formula(thresholds: Thresholds) -> str:
    """Payne's formula as the card states it."""
    return (f"adjusted calcium = total calcium + {thresholds.payne_mmol_per_g_albumin:g} x "
            f"({thresholds.payne_reference_albumin_g_per_l:g} - albumin in g/L) mmol/L (Payne et al., BMJ 1973)")


@dataclass(frozen=True)
class CalciumAdjustment:
    """The calculated adjusted calcium, or (Markdown, chart text escaped) why the total could not be adjusted."""

    result: LabResult | None
    problem: str = ""


def albumin_g_per_l(albumin: Measurement) -> float | None:
    """The albumin in g/L, trying the UCUM code and then the unit text; None when neither can be read."""
    for unit in albumin.units:
        factor = ALBUMIN_G_PER_L.get(normalise_unit(unit))
        if factor is not None:
            return albumin.value * factor
    return None


def adjust_for_albumin(total: LabResult, albumin: Measurement | None, thresholds: Thresholds) -> CalciumAdjustment:
    if albumin is None:
        return CalciumAdjustment(None)
    shown = escape_markdown(f"{albumin.shown}, {albumin.effective.isoformat()}")
    if abs((albumin.effective - total.effective).days) > thresholds.whole(Limit.ALBUMIN_PAIRING_DAYS):
        return CalciumAdjustment(None, f"The latest albumin ({shown}) is not from the same day as the calcium "
                                       f"({total.effective.isoformat()}), so calcium was not adjusted for it.")
    grams = albumin_g_per_l(albumin)
    if grams is None or grams <= 0 or grams >= _IMPOSSIBLE_FROM_G_PER_L:
        return CalciumAdjustment(None, f"The albumin result ({shown}) could not be read as g/L, so calcium was not "
                                       "adjusted for it: check it in the laboratory report.")
    unreliable_below = thresholds[Limit.ALBUMIN_UNRELIABLE_BELOW_G_PER_L]
    if grams < unreliable_below:
        return CalciumAdjustment(None, f"Albumin is below {unreliable_below:g} g/L "
                                       f"({shown}), where albumin adjustment is unreliable: calcium is graded "
                                       "unadjusted; measure ionized calcium.")
    value = total.value + thresholds.payne_mmol_per_g_albumin * (thresholds.payne_reference_albumin_g_per_l - grams)
    spec = thresholds.analytes[Analyte.CALCIUM_ADJUSTED]
    result = LabResult(
        analyte=Analyte.CALCIUM_ADJUSTED,
        label="Calcium (albumin-adjusted), calculated",
        reference=total.reference,
        effective=total.effective,
        original=f"{format_number(value)} {CANONICAL_UNIT}",
        reported_in_canonical_unit=True,
        value=value,
        low=total.low,
        high=total.high,
        range_origin=f"as for total calcium: {total.range_origin}",
        severity=classify(spec, value, total.low),
        range_as_sent=total.range_as_sent,
        derivation=f"from total calcium {total.original} and albumin {albumin.shown} "
                   f"({format_number(grams)} g/L)",
    )
    return CalciumAdjustment(result)
