"""Lab selection, pinned so that mutation testing (README, Mutation testing) notices any change: which result is
used when the newest one has no value, an impossible value or an unusable range; one-sided ranges; and when a newer
preliminary result is reported as critically low.

| Rule / figure                              | Value                                               | Source            |
|--------------------------------------------|-----------------------------------------------------|-------------------|
| usable statuses                            | final, amended, corrected (not preliminary)          | FHIR R4 ObsStatus |
| magnesium severe                           | < 1.0 mg/dL (laboratory critical value)              | StatPearls        |
| adult magnesium default range              | 1.7-2.3 mg/dL                                        | lab catalogues    |
| adult sodium default range                 | 135-145 mmol/L                                       | Mayo Clinic Labs  |
| a concentration of 0 or less               | a data error, skipped                                | service rule      |
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from builders import card_for, lab, patient_view, rule_ids, twitching

MG, K, NA, CA, ALB = "19123-9", "2823-3", "2951-2", "17861-6", "1751-7"
MAGNESIUM, SODIUM, PANEL = "electrolyte.magnesium.low", "electrolyte.sodium.low", "electrolyte.panel.missing"
OTHERS = (lab(K, 4.2, "mmol/L"), lab(NA, 140, "mmol/L"), lab(CA, 9.4, "mg/dL"))


def _view(knowledge, *resources):
    return patient_view(knowledge, twitching(), *resources)


def _row(card, source: str) -> str:
    [row] = [line for line in card.detail.split("\n") if line.startswith("| ") and f"| {source} |" in line]
    return row


def _preliminary_note(value: str, when: str, reference: str) -> str:
    return (f"A newer preliminary result is critically low (Magnesium (LOINC 19123-9): value {value}, unit mg/dL, "
            f"dated {when}, {reference}): it is not final and was not used for this advice; check the final result "
            "urgently.")


# --- preliminary critical results ------------------------------------------------------------------------------------

def test_a_newer_preliminary_critical_result_is_reported(knowledge) -> None:
    card = card_for(_view(knowledge, lab(MG, 2.0, "mg/dL", when="2026-11-10"),
                          lab(MG, 0.8, "mg/dL", id="p", when="2026-11-20", status="preliminary"), *OTHERS), PANEL)
    assert _preliminary_note("0.8", "2026-11-20", "Observation/p") in card.detail


def test_a_preliminary_result_dated_today_is_reported(knowledge) -> None:
    card = card_for(_view(knowledge, lab(MG, 2.0, "mg/dL", when="2026-11-10"),
                          lab(MG, 0.8, "mg/dL", id="p", when="2026-11-25", status="preliminary"), *OTHERS), PANEL)
    assert _preliminary_note("0.8", "2026-11-25", "Observation/p") in card.detail


def test_a_future_preliminary_result_is_passed_over_for_the_next_one(knowledge) -> None:
    card = card_for(_view(knowledge, lab(MG, 2.0, "mg/dL", when="2026-11-10"),
                          lab(MG, 0.7, "mg/dL", id="future", when="2026-11-27", status="preliminary"),
                          lab(MG, 0.8, "mg/dL", id="p", when="2026-11-20", status="preliminary"), *OTHERS), PANEL)
    assert _preliminary_note("0.8", "2026-11-20", "Observation/p") in card.detail
    assert "Observation/future" not in card.detail


@pytest.mark.parametrize(("value", "unit"), [(0, "mg/dL"), (-1, "mg/dL"), (1.1, "mg/dL"), (0.8, "furlongs")],
                         ids=["zero", "negative", "moderate", "unreadable-unit"])
def test_a_preliminary_result_that_is_not_critically_low_is_not_reported(knowledge, value, unit) -> None:
    evaluation = _view(knowledge, lab(MG, 2.0, "mg/dL", when="2026-11-10"),
                       lab(MG, value, unit, when="2026-11-20", status="preliminary"), *OTHERS)
    assert not [rule for rule in rule_ids(evaluation) if rule.startswith("electrolyte.")]


def test_a_preliminary_result_without_a_value_is_not_reported(knowledge) -> None:
    preliminary = lab(MG, 0.8, "mg/dL", when="2026-11-20", status="preliminary")
    del preliminary["valueQuantity"]
    evaluation = _view(knowledge, lab(MG, 2.0, "mg/dL", when="2026-11-10"), preliminary, *OTHERS)
    assert not [rule for rule in rule_ids(evaluation) if rule.startswith("electrolyte.")]


def test_a_preliminary_result_older_than_the_final_one_is_not_reported(knowledge) -> None:
    evaluation = _view(knowledge, lab(MG, 2.0, "mg/dL", when="2026-11-20"),
                       lab(MG, 0.8, "mg/dL", when="2026-11-10", status="preliminary"), *OTHERS)
    assert not [rule for rule in rule_ids(evaluation) if rule.startswith("electrolyte.")]


# --- which final result is used --------------------------------------------------------------------------------------

def test_a_newest_result_without_a_value_gives_way_to_the_previous_one(knowledge) -> None:
    valueless = lab(MG, 2.0, "mg/dL", when="2026-11-22")
    del valueless["valueQuantity"]
    valueless["valueString"] = "haemolysed"
    card = card_for(_view(knowledge, valueless, lab(MG, 1.5, "mg/dL", id="used", when="2026-11-15"), *OTHERS),
                    MAGNESIUM)
    assert "Observation/used" in card.detail


@pytest.mark.parametrize("value", [0, -0.5])
def test_an_impossible_newest_value_gives_way_to_the_previous_one(knowledge, value) -> None:
    card = card_for(_view(knowledge, lab(MG, value, "mg/dL", when="2026-11-22"),
                          lab(MG, 1.5, "mg/dL", id="used", when="2026-11-15"), *OTHERS), MAGNESIUM)
    assert "Observation/used" in card.detail


@pytest.mark.parametrize(("status", "used"), [("final", True), ("amended", True), ("corrected", True),
                                              ("preliminary", False), ("registered", False),
                                              ("entered-in-error", False)])
def test_only_final_amended_and_corrected_results_are_used(knowledge, status, used) -> None:
    evaluation = _view(knowledge, lab(MG, 1.5, "mg/dL", status=status), *OTHERS)
    assert (MAGNESIUM in rule_ids(evaluation)) is used


# --- reference ranges ------------------------------------------------------------------------------------------------

def _sodium(value, ranges):
    resource = lab(NA, value, "mmol/L", id="na")
    resource["referenceRange"] = ranges
    return resource


def test_a_range_without_bounds_is_passed_over_for_the_next_range(knowledge) -> None:
    card = card_for(_view(knowledge, _sodium(136, [{"text": "see report"},
                                                   {"low": {"value": 137, "unit": "mmol/L"},
                                                    "high": {"value": 147, "unit": "mmol/L"}}]),
                          lab(MG, 2.0, "mg/dL"), lab(K, 4.2, "mmol/L")), SODIUM)
    assert "| 137-147 mmol/L (reporting lab) |" in _row(card, "Observation/na")


def test_a_range_with_only_a_high_bound_takes_the_low_limit_from_the_default(knowledge) -> None:
    card = card_for(_view(knowledge, _sodium(131, [{"high": {"value": 145, "unit": "mmol/L"}}]),
                          lab(MG, 2.0, "mg/dL"), lab(K, 4.2, "mmol/L")), SODIUM)
    assert ("| ?-145 mmol/L (= 135-145 mmol/L; reporting lab; low limit from default: adult default, Mayo Clinic "
            "Laboratories) |") in _row(card, "Observation/na")


def test_a_range_with_only_a_low_bound_takes_the_high_limit_from_the_default(knowledge) -> None:
    card = card_for(_view(knowledge, _sodium(131, [{"low": {"value": 133, "unit": "mmol/L"}}]),
                          lab(MG, 2.0, "mg/dL"), lab(K, 4.2, "mmol/L")), SODIUM)
    assert ("| 133-? mmol/L (= 133-145 mmol/L; reporting lab; high limit from default: adult default, Mayo Clinic "
            "Laboratories) |") in _row(card, "Observation/na")


def test_a_one_sided_low_range_still_judges_a_low_value(knowledge) -> None:
    """A lab low limit of 133 makes 134 normal, although the default low limit is 135."""
    evaluation = _view(knowledge, _sodium(134, [{"low": {"value": 133, "unit": "mmol/L"}}]), lab(MG, 2.0, "mg/dL"),
                       lab(K, 4.2, "mmol/L"))
    assert SODIUM not in rule_ids(evaluation)


def test_range_bounds_without_a_unit_share_the_value_unit(knowledge) -> None:
    # 1.6 mg/dL against a lab range 1.8-2.4 (mg/dL, as the value): mild low.
    result = lab(MG, 1.6, "mg/dL", id="mg")
    result["referenceRange"] = [{"low": {"value": 1.8}, "high": {"value": 2.4}}]
    card = card_for(_view(knowledge, result, *OTHERS), MAGNESIUM)
    assert "| 1.8-2.4 mg/dL (= 0.74-0.99 mmol/L; reporting lab) |" in _row(card, "Observation/mg")


def test_a_range_bound_in_an_unreadable_unit_falls_back_to_the_default(knowledge) -> None:
    result = lab(MG, 1.6, "mg/dL", id="mg")
    result["referenceRange"] = [{"low": {"value": 1.8, "unit": "furlongs"}, "high": {"value": 2.4, "unit": "mg/dL"}}]
    card = card_for(_view(knowledge, result, *OTHERS), MAGNESIUM)
    assert "(= 0.7-0.95 mmol/L; default: adult default, laboratory catalogues) |" in _row(card, "Observation/mg")


# --- measurements (albumin, eGFR) -----------------------------------------------------------------------------------

def test_the_albumin_row_names_the_code_and_the_observation(knowledge) -> None:
    card = card_for(_view(knowledge, lab(CA, 8.0, "mg/dL"), lab(ALB, 35, "g/L", id="alb"), lab(MG, 2.0, "mg/dL"),
                          lab(K, 4.2, "mmol/L"), lab(NA, 140, "mmol/L")), "electrolyte.calcium.low")
    assert _row(card, "Observation/alb") == "| Albumin (LOINC 1751-7) | 35 g/L | - | 2026-11-20 | Observation/alb |"


def test_a_newest_albumin_without_a_value_gives_way_to_the_previous_one(knowledge) -> None:
    valueless = lab(ALB, 35, "g/L", when="2026-11-20")
    del valueless["valueQuantity"]
    card = card_for(_view(knowledge, lab(CA, 8.0, "mg/dL"), valueless, lab(ALB, 35, "g/L", id="alb",
                                                                          when="2026-11-19"),
                          lab(MG, 2.0, "mg/dL"), lab(K, 4.2, "mmol/L"), lab(NA, 140, "mmol/L")),
                    "electrolyte.calcium.low")
    assert "Observation/alb" in card.detail and card.summary.startswith("Low adjusted calcium")


def test_a_one_sided_range_in_another_unit_than_the_value_names_its_own_unit(knowledge) -> None:
    # 1.5 mg/dL = 0.617 mmol/L against a lab low limit of 0.70 mmol/L: mild low.
    result = lab(MG, 1.5, "mg/dL", id="mg")
    result["referenceRange"] = [{"low": {"value": 0.70, "unit": "mmol/L"}}]
    card = card_for(_view(knowledge, result, *OTHERS), MAGNESIUM)
    assert "| 0.7-? mmol/L (= 0.7-0.95 mmol/L; reporting lab; high limit from default:" in _row(card, "Observation/mg")


def test_a_range_whose_bounds_have_no_values_is_passed_over_for_the_default(knowledge) -> None:
    card = card_for(_view(knowledge, _sodium(131, [{"low": {"unit": "mmol/L"}, "high": {"unit": "mmol/L"}}]),
                          lab(MG, 2.0, "mg/dL"), lab(K, 4.2, "mmol/L")), SODIUM)
    assert "| 135-145 mmol/L (default: adult default, Mayo Clinic Laboratories) |" in _row(card, "Observation/na")


def test_a_result_sent_with_only_a_ucum_code_shows_that_code_as_its_unit(knowledge) -> None:
    card = card_for(_view(knowledge, lab(MG, 1.5, None, unit_code="mg/dL"), *OTHERS), MAGNESIUM)
    assert card.summary.startswith("Low magnesium 1.5 mg/dL (mild)")


def test_a_result_in_the_canonical_unit_is_not_re_expressed(knowledge) -> None:
    card = card_for(_view(knowledge, lab(K, 3.2, "mmol/L", id="k"), lab(MG, 2.0, "mg/dL"), lab(NA, 140, "mmol/L"),
                          lab(CA, 9.4, "mg/dL")), "electrolyte.potassium.low")
    assert _row(card, "Observation/k") == (
        "| Potassium (LOINC 2823-3) | 3.2 mmol/L, low (mild) | 3.5-5.2 mmol/L (default: adult default, Mayo Clinic "
        "Laboratories) | 2026-11-20 | Observation/k |")


def test_a_result_in_another_unit_is_re_expressed_in_mmol_per_litre(knowledge) -> None:
    # 1.5 mg/dL x 10 / 24.305 g/mol = 0.617 mmol/L.
    card = card_for(_view(knowledge, lab(MG, 1.5, "mg/dL", id="mg"), *OTHERS), MAGNESIUM)
    assert _row(card, "Observation/mg").startswith(
        "| Magnesium (LOINC 19123-9) | 1.5 mg/dL (= 0.62 mmol/L), low (mild) | 1.7-2.3 mg/dL (= 0.7-0.95 mmol/L; ")


def test_two_results_at_the_same_instant_are_both_candidates(knowledge) -> None:
    evaluation = _view(knowledge, lab(MG, 1.5, "mg/dL", id="a", when="2026-11-20T08:00:00Z"),
                       lab(MG, 1.6, "mg/dL", id="b", when="2026-11-20T08:00:00Z"), *OTHERS)
    card = card_for(evaluation, MAGNESIUM)
    assert "Observation/a" in card.detail or "Observation/b" in card.detail


def test_a_local_coding_before_the_loinc_one_does_not_name_the_result(knowledge) -> None:
    result = lab(MG, 1.5, "mg/dL", id="mg")
    result["code"]["coding"].insert(0, {"system": "urn:oid:1.2.3.4", "code": "MG-LOCAL"})
    card = card_for(_view(knowledge, result, *OTHERS), MAGNESIUM)
    assert _row(card, "Observation/mg").startswith("| Magnesium (LOINC 19123-9) |")


def test_an_albumin_too_large_to_be_a_number_is_skipped_and_counted(knowledge) -> None:
    huge = json.loads(json.dumps(lab(ALB, 35, "g/L")).replace('"value": 35', '"value": 1e999'), parse_float=Decimal)
    evaluation = _view(knowledge, lab(CA, 8.0, "mg/dL"), huge, lab(MG, 2.0, "mg/dL"), lab(K, 4.2, "mmol/L"),
                       lab(NA, 140, "mmol/L"))
    assert card_for(evaluation, "electrolyte.calcium.low").summary.startswith("Low calcium 8.0 mg/dL")
    assert evaluation.skipped_resources["Observation:impossible-value"] == 1


def test_an_invalid_preliminary_result_is_passed_over_quietly(knowledge) -> None:
    invalid = lab(MG, 0.8, "mg/dL", when="2026-11-20", status="preliminary")
    invalid["valueQuantity"]["value"] = "not a number"
    evaluation = _view(knowledge, lab(MG, 2.0, "mg/dL", when="2026-11-10"), invalid, *OTHERS)
    assert not [rule for rule in rule_ids(evaluation) if rule.startswith("electrolyte.")]
