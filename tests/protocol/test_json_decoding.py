"""Request and FHIR-server bodies are decoded with numbers exactly as written, and anything else is a clear error."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cds_hooks.json_limits import InvalidJson, decode_json


def test_fractions_keep_the_precision_they_were_written_with() -> None:
    document = decode_json(b'{"value": 2.00, "low": 0.70, "count": 3, "tiny": 1e-3}')
    assert document == {"value": Decimal("2.00"), "low": Decimal("0.70"), "count": 3, "tiny": Decimal("0.001")}
    assert str(document["value"]) == "2.00" and str(document["low"]) == "0.70"
    assert type(document["count"]) is int


@pytest.mark.parametrize("body", [b'{"a":', b"[1, 2", b"\xff", b"NaN", b'{"a": 01}', b"[" * 5000 + b"]" * 5000])
def test_undecodable_bodies_raise_invalid_json(body: bytes) -> None:
    with pytest.raises(InvalidJson):
        decode_json(body)
