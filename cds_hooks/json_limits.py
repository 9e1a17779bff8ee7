"""Reading a JSON request body within limits: valid JSON, an object, and nested no deeper than we allow.

Depth is checked right after parsing, before any model sees the document: deeply nested input costs recursion in
every later consumer (pydantic, fhir.resources, orjson when dumping), and no CDS Hooks request needs more than a
few dozen levels. orjson itself refuses more than 1024 levels; the configured limit is usually far lower. The walk
is iterative, one level at a time, and visits containers only, so its cost is a small fraction of the parse.
"""

from __future__ import annotations

from typing import Any

import orjson

from .errors import BadRequest


def exceeds_depth(document: Any, max_depth: int) -> bool:
    """True if `document` nests objects and arrays more than `max_depth` levels deep (a scalar is depth 0)."""
    # Exact type checks on purpose: parsed JSON holds plain dicts and lists only, and `type(x) is` is what keeps
    # this walk about as fast as orjson's parse of the same body.
    level = [document] if type(document) is dict or type(document) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return True
        below: list[Any] = []
        keep = below.append
        for container in level:
            for child in container.values() if type(container) is dict else container:
                if type(child) is dict or type(child) is list:
                    keep(child)
        level = below
    return False


def parse_json_object(body: bytes, *, max_depth: int) -> dict[str, Any]:
    """`body` as a JSON object; malformed, non-object or too deeply nested input is a `BadRequest`."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"request body is not valid JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(document, dict):
        raise BadRequest("request body must be a JSON object")
    if exceeds_depth(document, max_depth):
        raise BadRequest(f"request body nests JSON deeper than {max_depth} levels")
    return document
