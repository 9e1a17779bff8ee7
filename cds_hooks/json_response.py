"""A JSON response rendered with orjson: several times faster than the standard library on card-sized bodies."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class JsonResponse(JSONResponse):
    """A `JSONResponse` (so FastAPI documents its routes' bodies as JSON), rendered by orjson."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
