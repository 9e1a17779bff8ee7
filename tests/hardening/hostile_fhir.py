"""Hypothesis strategies for broken and hostile FHIR: what a careless or malicious EHR could put in a hook request.

Wrong types, missing fields, huge or negative numbers, "NaN" and "Infinity" as strings, odd units, unicode
tricks, deep nesting, duplicated ids and thousands of entries. Codes are the real ones the fixture scenarios use
(so garbage lands on the paths the rules actually read), plus junk.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import strategies as st

from tests.scenarios import SCENARIOS_DIR

Strategy = st.SearchStrategy[Any]
SAFE_NESTING = 40  # how deep garbage nests when the request must stay under the service's depth limit (64)
MAGNESIUM_CODES = frozenset({"19123-9", "2601-3"})


def _codings(document: Any) -> Iterator[tuple[str, str]]:
    if isinstance(document, Mapping):
        if isinstance(document.get("system"), str) and isinstance(document.get("code"), str):
            yield document["system"], document["code"]
        for value in document.values():
            yield from _codings(value)
    elif isinstance(document, list):
        for value in document:
            yield from _codings(value)


FIXTURE_CODINGS = sorted(
    {coding for path in SCENARIOS_DIR.glob("*/request.json") for coding in _codings(json.loads(path.read_text()))}
)
FIXTURE_IDS = sorted(
    {
        entry["resource"]["id"]
        for path in SCENARIOS_DIR.glob("*/request.json")
        for value in (json.loads(path.read_text()).get("prefetch") or {}).values()
        if isinstance(value, dict)
        for entry in value.get("entry", [])
        if isinstance(entry.get("resource", {}).get("id"), str)
    }
)

HOSTILE_STRINGS = st.sampled_from(
    [
        "NaN", "Infinity", "-Infinity", "1e999", "-0", "0x1F", "1,5", " 1.5 ", "", " ", "\u0000", "\u202emg/dL",
        "\ufeff", "💥" * 40, "<script>alert(1)</script>", "'; DROP TABLE feedback; --", "{{context.patientId}}",
        "../../etc/passwd", "Ω≈ç√∫", "x" * 2000,
    ]
)
HOSTILE_NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -1, -0.0, 1e308, -1e308, 5e-324, 2**63, -(2**63) - 1]),
    HOSTILE_STRINGS,
)
TEXT = st.one_of(st.text(max_size=30), HOSTILE_STRINGS)
SCALARS = st.one_of(st.none(), st.booleans(), HOSTILE_NUMBERS, TEXT)
JSON_VALUES: Strategy = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def nested(max_depth: int) -> Strategy:
    """An object or array nested `1..max_depth` levels deep."""

    def build(depth: int, as_list: bool) -> Any:
        value: Any = "bottom"
        for _ in range(depth):
            value = [value] if as_list else {"x": value}
        return value

    return st.builds(build, st.integers(1, max_depth), st.booleans())


def sloppy(strategy: Strategy, nesting: int = SAFE_NESTING) -> Strategy:
    """Mostly what a field should hold; sometimes anything at all, or something deeply nested."""
    return st.one_of(strategy, strategy, JSON_VALUES, nested(nesting))


DATES = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.sampled_from(
        ["2026-11-15", "2026-11", "2026", "2026-13-45", "0000-00-00", "0001-01-01T00:00:00-14:00",
         "9999-12-31T23:59:59+14:00", "yesterday", "2026-11-15T25:61:00Z"]
    ),
    TEXT,
)
UNITS = st.one_of(
    st.sampled_from(["mg/dL", "mmol/L", "mEq/L", "meq/l", "MG/DL", "mg/dl ", "umol/L", "µmol/L", "g/L", "%", "1",
                     "{ratio}", "mg/dL\u0000"]),
    TEXT,
)
STATUSES = st.one_of(st.sampled_from(["final", "amended", "corrected", "preliminary", "entered-in-error", "active",
                                      "completed", "draft", "stopped"]), TEXT)
IDS = st.one_of(st.sampled_from(FIXTURE_IDS), st.text(max_size=70), HOSTILE_STRINGS)


def codeable(codings: list[tuple[str, str]]) -> Strategy:
    coding = st.fixed_dictionaries(
        {},
        optional={
            "system": sloppy(st.sampled_from(sorted({system for system, _ in codings}))),
            "code": sloppy(st.sampled_from(sorted({code for _, code in codings}))),
            "display": TEXT,
        },
    )
    return st.fixed_dictionaries({}, optional={"coding": sloppy(st.lists(sloppy(coding), max_size=3)), "text": TEXT})


def _status_concept() -> Strategy:
    return st.fixed_dictionaries({"coding": st.lists(st.fixed_dictionaries({"code": STATUSES}), max_size=2)})


QUANTITY = st.fixed_dictionaries(
    {}, optional={"value": HOSTILE_NUMBERS, "unit": UNITS, "code": UNITS, "system": TEXT, "comparator": TEXT}
)


def resource(resource_type: str, fields: Mapping[str, Strategy], nesting: int) -> Strategy:
    """A resource of `resource_type` with any subset of `fields`, each possibly garbage."""
    return st.fixed_dictionaries(
        {"resourceType": st.one_of(st.just(resource_type), st.just(resource_type), TEXT)},
        optional={"id": IDS, **{name: sloppy(value, nesting) for name, value in fields.items()}},
    )


def observation(codings: list[tuple[str, str]], nesting: int = SAFE_NESTING) -> Strategy:
    return resource(
        "Observation",
        {
            "status": STATUSES,
            "code": codeable(codings),
            "subject": st.fixed_dictionaries({"reference": TEXT}),
            "effectiveDateTime": DATES,
            "effectivePeriod": st.fixed_dictionaries({}, optional={"start": DATES, "end": DATES}),
            "issued": DATES,
            "valueQuantity": QUANTITY,
            "valueString": TEXT,
            "valueBoolean": st.booleans(),
            "referenceRange": st.lists(st.fixed_dictionaries({}, optional={"low": QUANTITY, "high": QUANTITY}),
                                       max_size=2),
        },
        nesting,
    )


def condition(codings: list[tuple[str, str]], nesting: int = SAFE_NESTING) -> Strategy:
    return resource(
        "Condition",
        {
            "clinicalStatus": _status_concept(),
            "verificationStatus": _status_concept(),
            "code": codeable(codings),
            "onsetDateTime": DATES,
            "recordedDate": DATES,
        },
        nesting,
    )


def medication_request(codings: list[tuple[str, str]], nesting: int = SAFE_NESTING) -> Strategy:
    return resource(
        "MedicationRequest",
        {
            "status": STATUSES,
            "intent": TEXT,
            "medicationCodeableConcept": codeable(codings),
            "authoredOn": DATES,
            "dosageInstruction": st.lists(st.fixed_dictionaries({"text": TEXT}), max_size=2),
        },
        nesting,
    )


def patient(nesting: int = SAFE_NESTING) -> Strategy:
    name = st.fixed_dictionaries({}, optional={"family": TEXT, "given": st.lists(TEXT, max_size=2)})
    return resource(
        "Patient", {"gender": TEXT, "birthDate": DATES, "name": st.lists(name, max_size=2)}, nesting
    )


def entries(resources: Strategy, max_copies: int = 1500) -> Strategy:
    """Bundle entries: a few varied ones, or one repeated up to `max_copies` times (thousands of entries)."""
    entry = st.one_of(st.fixed_dictionaries({"resource": resources}, optional={"fullUrl": TEXT}), JSON_VALUES)
    varied = st.lists(entry, max_size=6)
    repeated = st.tuples(entry, st.integers(0, max_copies)).map(lambda pair: [pair[0]] * pair[1])
    return st.one_of(varied, varied, repeated)


def bundle(resources: Strategy) -> Strategy:
    link = st.fixed_dictionaries({}, optional={"relation": st.sampled_from(["next", "self", "previous"]), "url": TEXT})
    return st.fixed_dictionaries(
        {"resourceType": st.just("Bundle")},
        optional={
            "type": st.one_of(st.just("searchset"), TEXT),
            "total": HOSTILE_NUMBERS,
            "entry": sloppy(entries(resources)),
            "link": sloppy(st.lists(link, max_size=2)),
        },
    )


OPERATION_OUTCOME = st.just({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "x"}]})


def prefetch_value(resources: Strategy) -> Strategy:
    """Whatever an EHR might send for a prefetch key: a Bundle (likely broken), null, an OperationOutcome, junk."""
    return st.one_of(bundle(resources), bundle(resources), st.none(), OPERATION_OUTCOME, JSON_VALUES)


def hostile_prefetch() -> Strategy:
    """A prefetch object whose keys may each be missing, null, failed or garbage (sent, or not, as a whole)."""
    return st.fixed_dictionaries(
        {},
        optional={
            "patient": st.one_of(patient(), prefetch_value(patient())),
            "observations": prefetch_value(observation(FIXTURE_CODINGS)),
            "conditions": prefetch_value(condition(FIXTURE_CODINGS)),
            "medications": prefetch_value(medication_request(FIXTURE_CODINGS)),
            "unrequested": JSON_VALUES,
        },
    )


def garbage_for_a_good_chart() -> Strategy:
    """Extra entries for each part of a good chart: broken in every way except a usable magnesium result.

    A valid, newer magnesium result would rightly replace the chart's own, so that one kind of garbage is left out.
    """
    without_magnesium = [(system, code) for system, code in FIXTURE_CODINGS if code not in MAGNESIUM_CODES]
    return st.fixed_dictionaries(
        {
            "observations": entries(observation(without_magnesium)),
            "conditions": entries(condition(FIXTURE_CODINGS)),
            "medications": entries(medication_request(FIXTURE_CODINGS)),
        }
    )
