"""`HEAD` wherever `GET` works (RFC 9110 §9.3.2): the GET route answers, and its body is dropped.

FastAPI routes declare `GET` only; rewriting the method here covers every route (discovery, handouts, probes,
metrics, admin pages) in one place, with the headers (`Content-Length` included) the GET would send.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)
