"""The cards depend on what a lab result means, not on how it is written: property tests over every golden scenario.

1. Units. Each electrolyte Observation (magnesium, potassium, sodium, total and ionized calcium, recognised by the
   LOINC codes of `cards/valuesets/lab-*.json`) is re-expressed, value AND reference-range bounds together, in
   another legal unit (UCUM mg/dL, mg/L, mmol/L, umol/L, meq/L shown as "mEq/L"). The conversions are computed here
   from the molar masses and valences in `cards/thresholds.py` (mg/dL x 10/M, mg/L x 1/M, umol/L / 1000,
   mEq/L / valence; Na and K mEq/L = mmol/L) and rounded to 6 significant digits, as a lab would print them.
   Rounding moves a value by at most 5e-6 relative, so it can only flip a comparison for a value sitting on a
   cut-off. A result whose value lies within 0.5% of any figure a rule compares it with (the severity bands, every
   default range bound, its own range bounds, the sodium high-risk figure) is therefore left as sent: the margin is
   a thousand times the rounding error, so no example can flip a boundary by rounding.
   Rule ids and indicators must not change (the summary quotes the value as reported, so it may).

2. Time zones. Every effectiveDateTime, effectiveInstant, issued and effectivePeriod start/end written with a time
   and an offset is rewritten in another offset (Z, +05:30, -08:00, ...) naming the same instant; the test asserts
   instant identity for every rewrite. Date-only, partial and offset-less values cannot be shifted and are left.
   The service takes the calendar date *as written* (the recording site's local date, `cards.instants.local_date`)
   for the recency window and the future-date check, so an offset that moves the written date could legitimately
   move a result across a window day relative to the scenario's fixed `today` (from expected.json, as in the other
   tests). To keep the property exact rather than flaky, only offsets under which the written date stays the same
   are chosen (the original offset always qualifies). Under that constraint the whole card, summary included, must
   be unchanged. Keeping the written date means the rewrite can only reorder, as text, results written on the same
   date; scenario 100 carries such a same-date pair (sodium), so a service that sorted on the text would fail here.
   Order across different written dates is pinned by the golden scenarios themselves (100).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cards import Knowledge
from cards.thresholds import Analyte, AnalyteSpec, Limit
from tests.cards.builders import ANALYTES, SHIPPED_THRESHOLDS
from tests.cards.test_chart_invariance import _cards, _chart
from tests.scenarios import Scenario, load_scenarios

SCENARIOS = load_scenarios()
VALUESETS = Path(__file__).parents[2] / "cards" / "valuesets"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
# UCUM code -> the unit text an EHR shows.
UNITS = {"mg/dL": "mg/dL", "mg/L": "mg/L", "mmol/L": "mmol/L", "umol/L": "\u00b5mol/L", "meq/L": "mEq/L"}
MARGIN = 0.005  # relative distance to a cut-off under which a result is left as sent
SIGNIFICANT = 6


def _loinc_codes() -> dict[str, AnalyteSpec]:
    codes: dict[str, AnalyteSpec] = {}
    for analyte in Analyte:
        valueset = json.loads((VALUESETS / f"lab-{analyte.value}.json").read_text())
        for include in valueset["compose"]["include"]:
            assert include["system"] == LOINC
            codes.update({concept["code"]: ANALYTES[analyte] for concept in include["concept"]})
    return codes


CODES = _loinc_codes()


def to_mmol(spec: AnalyteSpec) -> dict[str, float]:
    """Our own factor table (UCUM code, lower case, micro sign read as u) -> mmol/L, from M and the valence."""
    return {"mg/dl": 10.0 / spec.molar_mass, "mg/l": 1.0 / spec.molar_mass, "mmol/l": 1.0, "umol/l": 0.001,
            "meq/l": 1.0 / spec.valence}


def _unit_key(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    return text.strip().replace(" ", "").replace("\u00b5", "u").replace("\u03bc", "u").lower()


def _factor(spec: AnalyteSpec, quantity: Any) -> float | None:
    if not isinstance(quantity, dict):
        return None
    for key in ("code", "unit"):
        factor = to_mmol(spec).get(_unit_key(quantity.get(key)) or "")
        if factor is not None:
            return factor
    return None


def _number(quantity: Any) -> float | None:
    value = quantity.get("value") if isinstance(quantity, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _cut_offs(spec: AnalyteSpec) -> list[float]:
    figures = [floor for _, floor in spec.canonical_bands]
    for default in spec.default_ranges:
        figures += [spec.to_canonical(default.low), spec.to_canonical(default.high)]
    if spec.analyte is Analyte.SODIUM:
        figures.append(SHIPPED_THRESHOLDS[Limit.SODIUM_HIGH_RISK_BELOW])
    return figures


def _round(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT}g}")


def _spec(observation: dict[str, Any]) -> AnalyteSpec | None:
    code = observation.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    for coding in codings if isinstance(codings, list) else ():
        if isinstance(coding, dict) and coding.get("system") == LOINC and coding.get("code") in CODES:
            return CODES[coding["code"]]
    return None


def _observations(request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    bundle = request["prefetch"].get("observations") or {}
    for entry in bundle.get("entry", []) if isinstance(bundle, dict) else ():
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Observation":
            yield resource


def reexpressible(observation: dict[str, Any]) -> AnalyteSpec | None:
    """The analyte when the value and every range bound are in units we convert and the value is clear of every
    cut-off by MARGIN; None otherwise (the result is then left as sent)."""
    spec = _spec(observation)
    quantity = observation.get("valueQuantity")
    if spec is None or (factor := _factor(spec, quantity)) is None or (value := _number(quantity)) is None \
            or value <= 0:
        return None
    mmol = value * factor
    figures = _cut_offs(spec)
    ranges = observation.get("referenceRange")
    for item in ranges if isinstance(ranges, list) else ():
        for bound in (item.get("low"), item.get("high")) if isinstance(item, dict) else ():
            if bound is None:
                continue
            has_unit = isinstance(bound, dict) and (bound.get("code") or bound.get("unit"))
            bound_factor = _factor(spec, bound) if has_unit else factor
            if bound_factor is None or _number(bound) is None:
                return None
            figures.append(_number(bound) * bound_factor)
    if any(abs(mmol - figure) <= MARGIN * figure for figure in figures):
        return None
    return spec


def _convert(spec: AnalyteSpec, quantity: dict[str, Any], factor: float, target: str) -> None:
    """Rewrite one Quantity in place into `target` (a UCUM code); a bound without a unit stays without one."""
    had_unit = bool(quantity.get("code") or quantity.get("unit"))
    quantity["value"] = _round(float(quantity["value"]) * factor / to_mmol(spec)[target.lower()])
    if had_unit:
        quantity.update({"unit": UNITS[target], "system": UCUM, "code": target})


def reexpress_units(request: dict[str, Any], data: st.DataObject) -> tuple[dict[str, Any], int]:
    """A copy of the request with each re-expressible electrolyte result in another unit, and how many changed."""
    request = copy.deepcopy(request)
    changed = 0
    for observation in _observations(request):
        spec = reexpressible(observation)
        if spec is None:
            continue
        quantity = observation["valueQuantity"]
        factor = _factor(spec, quantity)
        current = next((code for code in UNITS if _unit_key(code) == _unit_key(quantity.get("code"))), None)
        target = data.draw(st.sampled_from([code for code in UNITS if code != current]), label="unit")
        for item in observation.get("referenceRange") or ():
            for key in ("low", "high"):
                bound = item.get(key)
                if bound is not None:
                    has_unit = bound.get("code") or bound.get("unit")
                    _convert(spec, bound, _factor(spec, bound) if has_unit else factor, target)
        _convert(spec, quantity, factor, target)
        changed += 1
    return request, changed


def _labels_only(cards: Counter[tuple[str, str, str]]) -> Counter[tuple[str, str]]:
    return Counter({(rule, indicator): n for (rule, indicator, _), n in cards.items()})


ELECTROLYTE_SCENARIOS = [s for s in SCENARIOS if any(_spec(o) for o in _observations(s.request))]


def test_most_scenarios_carry_electrolytes_and_most_are_re_expressed() -> None:
    assert len(ELECTROLYTE_SCENARIOS) >= 40
    clear = [s for s in ELECTROLYTE_SCENARIOS if any(reexpressible(o) for o in _observations(s.request))]
    assert len(clear) >= 0.9 * len(ELECTROLYTE_SCENARIOS)


def test_conversions_match_the_brief() -> None:
    """Our factors agree with the figures a reader can check by hand (Mg 0.4114, Ca 0.2495 per mg/dL)."""
    magnesium, calcium = to_mmol(ANALYTES[Analyte.MAGNESIUM]), to_mmol(ANALYTES[Analyte.CALCIUM_TOTAL])
    assert magnesium["mg/dl"] == pytest.approx(0.4114, rel=1e-4)
    assert magnesium["mg/l"] == pytest.approx(0.04114, rel=1e-4)
    assert magnesium["meq/l"] == 0.5 and magnesium["umol/l"] == 0.001
    assert calcium["mg/dl"] == pytest.approx(0.2495, rel=1e-4) and calcium["meq/l"] == 0.5
    assert to_mmol(ANALYTES[Analyte.SODIUM])["meq/l"] == to_mmol(ANALYTES[Analyte.POTASSIUM])["meq/l"] == 1.0


@pytest.mark.parametrize("scenario", ELECTROLYTE_SCENARIOS, ids=lambda scenario: scenario.name)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_electrolytes_in_another_unit_get_the_same_cards(knowledge: Knowledge, scenario: Scenario,
                                                         data: st.DataObject) -> None:
    expected = _labels_only(_cards(knowledge, scenario, _chart(scenario, None, 0)))
    request, _ = reexpress_units(scenario.request, data)
    changed = dataclasses.replace(scenario, request=request)
    assert _labels_only(_cards(knowledge, changed, _chart(changed, None, 0))) == expected


# --- time zones -------------------------------------------------------------------------------------------------

_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
OFFSETS = [timedelta(0), timedelta(hours=5, minutes=30), timedelta(hours=-8), timedelta(hours=14),
           timedelta(hours=-12), timedelta(hours=9, minutes=45), timedelta(hours=-3, minutes=-30), timedelta(hours=1)]


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _written(moment: datetime, fraction: bool) -> str:
    text = moment.isoformat(timespec="microseconds" if fraction else "seconds")
    return text.removesuffix("+00:00") + "Z" if moment.utcoffset() == timedelta(0) else text


def shifted(text: Any, data: st.DataObject) -> Any:
    """The same instant in an offset that keeps the written (local) date; anything else unchanged."""
    if not isinstance(text, str) or not _WITH_OFFSET.match(text):
        return text
    moment = _instant(text)
    keeping_date = [offset for offset in OFFSETS
                    if moment.astimezone(timezone(offset)).date().isoformat() == text[:10]]
    if not keeping_date:
        return text
    offset = data.draw(st.sampled_from(keeping_date), label="offset")
    rewritten = _written(moment.astimezone(timezone(offset)), "." in text)
    assert _instant(rewritten) == moment and rewritten[:10] == text[:10], (text, rewritten)
    return rewritten


def reexpress_instants(request: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    request = copy.deepcopy(request)
    for observation in _observations(request):
        for key in ("effectiveDateTime", "effectiveInstant", "issued"):
            if key in observation:
                observation[key] = shifted(observation[key], data)
        period = observation.get("effectivePeriod")
        if isinstance(period, dict):
            for key in ("start", "end"):
                if key in period:
                    period[key] = shifted(period[key], data)
    return request


def test_shifting_keeps_the_instant_and_the_written_date() -> None:
    @given(st.data())
    def check(data: st.DataObject) -> None:
        for text in ("2026-11-15T08:30:00Z", "2026-11-20T23:30:00-08:00", "2026-11-21T00:15:00.250+05:30"):
            rewritten = shifted(text, data)
            assert _instant(rewritten) == _instant(text) and rewritten[:10] == text[:10]
        assert shifted("2026-11-15", data) == "2026-11-15"
        assert shifted("2026-11-15T08:30:00", data) == "2026-11-15T08:30:00"

    check()


OBSERVATION_SCENARIOS = [s for s in SCENARIOS if any(True for _ in _observations(s.request))]


@pytest.mark.parametrize("scenario", OBSERVATION_SCENARIOS, ids=lambda scenario: scenario.name)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_instants_in_another_time_zone_get_the_same_cards(knowledge: Knowledge, scenario: Scenario,
                                                          data: st.DataObject) -> None:
    expected = _cards(knowledge, scenario, _chart(scenario, None, 0))
    changed = dataclasses.replace(scenario, request=reexpress_instants(scenario.request, data))
    assert _cards(knowledge, changed, _chart(changed, None, 0)) == expected
