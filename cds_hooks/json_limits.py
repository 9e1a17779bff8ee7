"""Reading a JSON request body within limits: valid JSON, an object, nested no deeper and holding no string (key
or value) longer than we allow.

Both are checked right after parsing, before any model sees the document. Deeply nested input costs recursion in
every later consumer (pydantic, fhir.resources, orjson when dumping), and no CDS Hooks request needs more than a
few dozen levels; orjson itself refuses more than 1024 levels. An over-long string (a 3 MiB "code") would travel
on into the clinical layer and its caches: no id, code, unit or display in a chart is anywhere near the limit.
The walk is iterative, one level at a time, in the same pass for both limits, so its cost stays a small fraction
of the parse.

Numbers with a fraction are decoded as `Decimal`, exactly as written: a lab's "2.00 mmol/L" keeps its precision on
the card (a float would make it 2.0), and fhir.resources takes `Decimal` for FHIR `decimal` as it is.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from .errors import BadRequest

_DECODER = msgspec.json.Decoder(float_hook=Decimal)


class InvalidJson(ValueError):
    """Not JSON we can decode: malformed, not UTF-8, or nested deeper than the decoder's own recursion limit."""


def decode_json(body: bytes) -> Any:
    """`body` decoded, fractions as `Decimal`; `InvalidJson` (with the decoder's reason) on anything else."""
    try:
        return _DECODER.decode(body)
    except msgspec.DecodeError as exc:
        raise InvalidJson(str(exc)) from None
    except RecursionError:
        raise InvalidJson("nested deeper than the decoder allows") from None


def limit_exceeded(document: Any, *, max_depth: int, max_string_chars: int) -> str | None:
    """Which limit `document` breaks, as a sentence for the caller, or None (a scalar is depth 0)."""
    # Exact type checks on purpose: parsed JSON holds plain dicts, lists and strs only, and `type(x) is` is what
    # keeps this walk about as fast as orjson's parse of the same body.
    if type(document) is str and len(document) > max_string_chars:
        return f"request body holds a string longer than {max_string_chars} characters"
    level = [document] if type(document) is dict or type(document) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return f"request body nests JSON deeper than {max_depth} levels"
        below: list[Any] = []
        keep = below.append
        for container in level:
            if type(container) is dict:
                if any(len(key) > max_string_chars for key in container):
                    return f"request body holds a string longer than {max_string_chars} characters"
                children = container.values()
            else:
                children = container
            for child in children:
                if type(child) is dict or type(child) is list:
                    keep(child)
                elif type(child) is str and len(child) > max_string_chars:
                    return f"request body holds a string longer than {max_string_chars} characters"
        level = below
    return None


def parse_json_object(body: bytes, *, max_depth: int, max_string_chars: int) -> dict[str, Any]:
    """`body` as a JSON object; malformed, non-object, too deep or over-long input is a `BadRequest`."""
    try:
        document = decode_json(body)
    except InvalidJson as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadRequest("request body must be a JSON object")
    problem = limit_exceeded(document, max_depth=max_depth, max_string_chars=max_string_chars)
    if problem is not None:
        raise BadRequest(problem)
    return document
