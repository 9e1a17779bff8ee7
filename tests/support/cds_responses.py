"""Checking what the service answers: a complete CDS Hooks response, or a clear OperationOutcome."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cds_hooks.models import CardsResponse
from cds_hooks.openapi import OperationOutcome


def empty_values(value: Any, path: str = "$") -> Iterator[str]:
    """JSON paths of every null, "", [] or {} inside `value` (CDS Hooks forbids them; `"cards": []` is exempt)."""
    if value is None or value in ("", [], {}):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if not (path == "$" and key == "cards" and item == []):
                yield from empty_values(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from empty_values(item, f"{path}[{index}]")


def assert_cards_response(body: Any) -> CardsResponse:
    """`body` is a valid CDS Hooks response with no null or empty element; returns it parsed."""
    parsed = CardsResponse.model_validate(body)
    assert list(empty_values(body)) == [], body
    return parsed


def assert_operation_outcome(body: Any) -> OperationOutcome:
    """`body` is the OperationOutcome every 4xx of the CDS routes carries (the bare 401 aside)."""
    return OperationOutcome.model_validate(body)
