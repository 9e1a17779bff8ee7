"""Skimming a hook body for its resources changes how the limits are checked, never what they decide."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds_hooks.errors import BadRequest
from cds_hooks.json_limits import decode_json, parse_json_object, proven_entries

SCALARS = st.none() | st.booleans() | st.integers(-10, 10) | st.text(max_size=12)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=12,
)
ENTRIES = st.lists(
    st.fixed_dictionaries({"resource": st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=3)})
    | st.fixed_dictionaries({"fullUrl": st.text(max_size=12)}) | JSON_VALUES,
    max_size=4,
)
PREFETCH_VALUES = st.none() | JSON_VALUES | st.fixed_dictionaries(
    {"resourceType": st.just("Bundle"), "entry": ENTRIES}
)
HOOK_BODIES = st.fixed_dictionaries(
    {"hook": st.just("patient-view"), "prefetch": st.dictionaries(st.text(max_size=8), PREFETCH_VALUES, max_size=3)},
    optional={"extension": JSON_VALUES},
)


def outcome(body: bytes, *, skim: bool, max_depth: int, max_string_chars: int) -> Any:
    try:
        return parse_json_object(body, max_depth=max_depth, max_string_chars=max_string_chars, skim_resources=skim)
    except BadRequest as error:
        return error.message


@settings(max_examples=400, deadline=None)
@given(document=HOOK_BODIES, max_depth=st.integers(1, 12), max_string_chars=st.integers(1, 40))
def test_skimming_decides_exactly_as_the_full_walk(document: dict[str, Any], max_depth: int,
                                                  max_string_chars: int) -> None:
    body = json.dumps(document).encode()
    limits = {"max_depth": max_depth, "max_string_chars": max_string_chars}
    assert outcome(body, skim=True, **limits) == outcome(body, skim=False, **limits)


def hook_body(*resources: Any) -> bytes:
    entries = [{"fullUrl": "urn:uuid:1", "resource": resource} for resource in resources]
    return json.dumps({"hook": "patient-view", "prefetch": {"labs": {"resourceType": "Bundle", "entry": entries}}}
                      ).encode()


def test_an_entry_is_proven_by_its_bytes_and_only_then() -> None:
    # Opening brackets, counting the entry's own: 5, 8 and 2.
    small = {"resourceType": "Observation", "code": {"coding": [{"code": "19123-9"}]}}
    bracket_rich = {"resourceType": "Observation", "note": [[[[[["deep"]]]]]]}
    long_text = {"resourceType": "Observation", "note": "x" * 150}
    body = hook_body(small, bracket_rich, long_text)
    document = decode_json(body)
    proven = proven_entries(body, document, max_depth=4 + 6, max_string_chars=150)
    assert proven == {id(document["prefetch"]["labs"]["entry"][0])}


def test_a_deep_resource_is_still_refused_with_the_depth_message() -> None:
    body = hook_body({"resourceType": "Observation", "extension": json.loads("[" * 70 + "]" * 70)})
    with pytest.raises(BadRequest, match="deeper than 64 levels"):
        parse_json_object(body, max_depth=64, max_string_chars=100, skim_resources=True)


def test_with_duplicate_keys_the_skim_reads_the_entries_the_decoder_kept() -> None:
    """The first `entry` holds a resource too deep for the limit; the decoder keeps the second, shallow one."""
    deep = '{"resource": {"x": ' + "[" * 10 + "]" * 10 + "}}"
    body = ('{"prefetch": {"labs": {"entry": [' + deep + '], "entry": [{"resource": {"y": 1}}]}}}').encode()
    document = decode_json(body)
    assert document["prefetch"]["labs"]["entry"] == [{"resource": {"y": 1}}]
    assert parse_json_object(body, max_depth=8, max_string_chars=100, skim_resources=True) == document
