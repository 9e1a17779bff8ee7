"""Unit texts as laboratories write them, pinned so that mutation testing (README, Mutation testing) notices any
change to how they are normalised: spaces, case, the micro sign (U+00B5) and the Greek mu (U+03BC).

Magnesium 1 mmol/L = 1000 umol/L = 2.431 mg/dL (molar mass 24.305 g/mol, IUPAC); adult default 0.70-0.95 mmol/L
(1.7-2.3 mg/dL, laboratory catalogues): 600 umol/L = 0.60 mmol/L is low, 800 umol/L = 0.80 mmol/L is not.
"""

from __future__ import annotations

import pytest

from builders import lab, patient_view, rule_ids, twitching

MG, K, NA, CA = "19123-9", "2823-3", "2951-2", "17861-6"
MAGNESIUM, PANEL = "electrolyte.magnesium.low", "electrolyte.panel.missing"
OTHERS = (lab(K, 4.2, "mmol/L"), lab(NA, 140, "mmol/L"), lab(CA, 9.4, "mg/dL"))


@pytest.mark.parametrize("unit", ["umol/L", "\u00b5mol/L", "\u03bcmol/L", "\u03bcmol / L", "UMOL/L", " umol/l "])
@pytest.mark.parametrize(("value", "low"), [(600, True), (800, False)])
def test_micromoles_are_read_however_the_unit_is_written(knowledge, unit, value, low) -> None:
    evaluation = patient_view(knowledge, twitching(), lab(MG, value, unit), *OTHERS)
    assert PANEL not in rule_ids(evaluation)  # the unit was read
    assert (MAGNESIUM in rule_ids(evaluation)) is low


@pytest.mark.parametrize("unit", ["mg / dL", "MG/DL", "mg/dl"])
def test_mass_units_are_read_with_spaces_and_in_any_case(knowledge, unit) -> None:
    evaluation = patient_view(knowledge, twitching(), lab(MG, 1.5, unit), *OTHERS)
    assert MAGNESIUM in rule_ids(evaluation)
