"""The last line of defence: an unexpected exception becomes a 500 OperationOutcome *inside* the CORS layer.

Starlette's own error handler sits outside every middleware, so its 500 carries no CORS headers and a browser
client (the CDS Hooks sandbox) reports a bare "CORS error" that hides what happened. This middleware sits just
inside CORS, logs the exception (type and traceback, never the request body) and answers a 500 the browser can
read. Bad input never gets here: it is a `CdsError` with a 4xx long before.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .json_response import JsonResponse

log = logging.getLogger("cds_hooks.unexpected")

INTERNAL_ERROR = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "fatal", "code": "exception", "diagnostics": "internal error; it has been logged"}],
}


class UnexpectedErrors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unexpected error", extra={"fields": {"path": scope.get("route_path", "")}})
            if response_started:
                raise
            await JsonResponse(INTERNAL_ERROR, status_code=500)(scope, receive, send)
