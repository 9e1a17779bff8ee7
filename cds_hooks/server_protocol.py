"""The HTTP/1.1 protocol `serve` runs: uvicorn's h11 implementation, with the bounds it lacks on its own.

- Header size: h11 refuses a request head over `FTCDS_MAX_HEADER_BYTES` (uvicorn's default httptools parser has
  no limit at all: a 96 MiB header stalled every other request for seconds).
- Head deadline: a connection must deliver a complete request head within `FTCDS_HEADER_TIMEOUT_SECONDS` of
  opening, or of the previous response; otherwise it is closed. uvicorn arms no timer before the first request
  and re-arms its keep-alive timer on every byte, so a client trickling a header, or never sending one, held
  its descriptor for good. A body that stops arriving is the application's to time out (`read_body`).
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from .settings import Settings


@cache
def _head_timeout_seconds() -> float:
    return float(Settings().header_timeout_seconds)


class GuardedH11Protocol(H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        self._head_deadline = self.loop.call_later(_head_timeout_seconds(), self._head_deadline_passed)

    def _head_deadline_passed(self) -> None:
        """Close unless a request is being answered (its body, if still coming, is the application's to time)."""
        in_progress = self.cycle is not None and not self.cycle.response_complete
        if not in_progress and not self.transport.is_closing():
            self.transport.close()
