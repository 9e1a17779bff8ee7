"""Reading a JSON request body within limits: valid JSON, an object, nested no deeper and holding no string (key
or value) longer than we allow.

Both are checked right after parsing, before any model sees the document. Deeply nested input costs recursion in
every later consumer (pydantic, fhir.resources, orjson when dumping), and no CDS Hooks request needs more than a
few dozen levels; the decoder itself refuses about 1000 levels with an ordinary error. An over-long string (a
3 MiB "code") would travel on into the clinical layer and its caches: no id, code, unit or display in a chart is
anywhere near the limit. The walk is iterative, one level at a time, in the same pass for both limits.

A hook request is mostly prefetched Bundle entries, and walking each of them in Python cost more than decoding the
whole body. So a hook body is first skimmed (in C) for the raw bytes of every entry, and an entry whose bytes
already prove both limits is not walked: a string cannot have more characters than its bytes, and nesting cannot
be deeper than the number of opening brackets. The rest (the envelope, context, extensions, and any entry too
large or too bracket-rich for that proof) is walked as before, so every document is held to exactly the same
limits with the same messages.

Numbers with a fraction are decoded as `Decimal`, exactly as written: a lab's "2.00 mmol/L" keeps its precision on
the card (a float would make it 2.0), and fhir.resources takes `Decimal` for FHIR `decimal` as it is.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

import msgspec

from .errors import BadRequest

_DECODER = msgspec.json.Decoder(float_hook=Decimal)

# Levels above an entry in `prefetch.<key>.entry[i]`: body, prefetch, Bundle, entry array.
_ENTRY_LEVELS_ABOVE = 4


class _PrefetchValue(msgspec.Struct):
    entry: list[msgspec.Raw] = []


class _HookShape(msgspec.Struct):
    """Only where the entries are; every other field is skipped. Duplicate keys resolve as in `_DECODER`
    (the last one wins), so positions here are positions in the decoded document."""

    prefetch: dict[str, _PrefetchValue | None] | None = None


_SHAPE_DECODER = msgspec.json.Decoder(_HookShape)


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


def limit_exceeded(document: Any, *, max_depth: int, max_string_chars: int,
                   proven: Collection[int] = ()) -> str | None:
    """Which limit `document` breaks, as a sentence for the caller, or None (a scalar is depth 0). Containers whose
    `id()` is in `proven` are known to be within both limits and are not entered."""
    # Exact type checks on purpose: parsed JSON holds plain dicts, lists and strs only, and `type(x) is` is what
    # keeps this walk about as fast as the parse of the same body.
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
                    if not proven or id(child) not in proven:
                        keep(child)
                elif type(child) is str and len(child) > max_string_chars:
                    return f"request body holds a string longer than {max_string_chars} characters"
        level = below
    return None


def _within(raw: bytes, *, max_depth: int, max_string_chars: int) -> bool:
    """True when JSON text `raw` provably nests no deeper than `max_depth` and holds no longer string."""
    return len(raw) <= max_string_chars and raw.count(b"{") + raw.count(b"[") <= max_depth


def proven_entries(body: bytes, document: dict[str, Any], *, max_depth: int, max_string_chars: int) -> set[int]:
    """The `id()`s of the prefetched Bundle entries in `document` (decoded from `body`) that are within both limits by
    their bytes alone. A body not shaped like a hook request proves nothing (and is walked whole)."""
    try:
        shape = _SHAPE_DECODER.decode(body)
    except (msgspec.DecodeError, RecursionError):
        return set()
    budget = max_depth - _ENTRY_LEVELS_ABOVE
    proven: set[int] = set()
    for key, value in (shape.prefetch or {}).items():
        if value is None or not value.entry:
            continue
        entries = document["prefetch"][key].get("entry")
        if type(entries) is not list or len(entries) != len(value.entry):
            continue
        for skimmed, entry in zip(value.entry, entries, strict=True):
            if type(entry) is dict and _within(bytes(skimmed), max_depth=budget, max_string_chars=max_string_chars):
                proven.add(id(entry))
    return proven


def parse_json_object(body: bytes, *, max_depth: int, max_string_chars: int,
                      skim_resources: bool = False) -> dict[str, Any]:
    """`body` as a JSON object; malformed, non-object, too deep or over-long input is a `BadRequest`. With
    `skim_resources` (hook requests), prefetched entries proven within the limits by their bytes are not walked."""
    try:
        document = decode_json(body)
    except InvalidJson as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadRequest("request body must be a JSON object")
    proven = (proven_entries(body, document, max_depth=max_depth, max_string_chars=max_string_chars)
              if skim_resources else ())
    problem = limit_exceeded(document, max_depth=max_depth, max_string_chars=max_string_chars, proven=proven)
    if problem is not None:
        raise BadRequest(problem)
    return document
