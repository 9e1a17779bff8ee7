"""Capturing every log line the service would write in production, for tests that read what was logged.

`production_logs()` applies the service's own logging set-up (`configure_logging`: every logger through one JSON
formatter, the noisy third-party loggers quieted), but writes into memory instead of stderr, and restores the
previous set-up afterwards. At DEBUG by default: a secret that leaks only at DEBUG still leaks.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cds_hooks.logs import configure_logging

# The loggers `configure_logging` changes besides the root; their state is put back afterwards.
_CONFIGURED = ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "httpcore")


@dataclass(frozen=True)
class CapturedLogs:
    sink: io.StringIO

    @property
    def text(self) -> str:
        return self.sink.getvalue()


@contextmanager
def production_logs(level: str = "DEBUG") -> Iterator[CapturedLogs]:
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    saved = {name: _state(logging.getLogger(name)) for name in _CONFIGURED}
    configure_logging(level)
    sink = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(sink)
    try:
        yield CapturedLogs(sink)
    finally:
        root.handlers[:], level_before = saved_root
        root.setLevel(level_before)
        for name, (handlers, logger_level, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.setLevel(logger_level)
            logger.propagate = propagate


def _state(logger: logging.Logger) -> tuple[list[logging.Handler], int, bool]:
    return logger.handlers[:], logger.level, logger.propagate
