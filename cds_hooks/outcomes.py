"""One typed record per request (a hook call or a feedback post): the log line and the metrics both come from it,
so they can never disagree, and a stage or status is an enum member, never a string spelt twice."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Endpoint(StrEnum):
    HOOK = "hook"
    FEEDBACK = "feedback"


class Stage(StrEnum):
    """The timed stages of a hook call, in the order they run."""

    PARSE = "parse"
    PREFETCH = "prefetch"
    EVALUATE = "evaluate"
    SUPPRESS = "suppress"
    RENDER = "render"
    SERIALIZE = "serialize"


@dataclass
class Timings:
    """Milliseconds per stage; `measure` times one."""

    ms: dict[Stage, float] = field(default_factory=dict)

    @contextmanager
    def measure(self, stage: Stage) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.ms[stage] = round((time.perf_counter() - start) * 1000, 3)


@dataclass
class RequestOutcome:
    """Everything worth knowing about one request once it is answered. Values are ours or closed categories,
    except `service` (the path as sent: metrics map unknown ones to `other`) and `error` (our own message)."""

    endpoint: Endpoint
    service: str
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.perf_counter)
    status: int = 500
    hook_instance: str | None = None
    timings: Timings = field(default_factory=Timings)
    rules: list[str] = field(default_factory=list)
    suppressed_rules: list[str] = field(default_factory=list)
    silent_rules: list[str] = field(default_factory=list)  # rules in silent mode that would have fired
    prefetch: dict[str, str] = field(default_factory=dict)
    truncated_keys: list[str] = field(default_factory=list)
    skipped_resources: Counter[str] = field(default_factory=Counter)
    fetch_errors: dict[str, str] = field(default_factory=dict)
    fhir_server_refused: bool = False  # a needed fetch went to a fhirServer the caller may not use (403)
    # feedback items by (store status: stored/duplicate/unknown-card, "accepted" or the override reason code)
    feedback: Counter[tuple[str, str]] = field(default_factory=Counter)
    error: str | None = None
    rejection: str | None = None  # the JWT rejection category of a 401
    total_ms: float = 0.0

    def finish(self) -> None:
        """Stop the clock: the request is answered (with `status`)."""
        self.total_ms = round((time.perf_counter() - self.started) * 1000, 3)

    def log_fields(self) -> dict[str, Any]:
        """The request log line: only what is set, stage timings as `<stage>_ms`."""
        fields: dict[str, Any] = {"request_id": self.request_id, "endpoint": self.endpoint.value,
                                  "service": self.service, "status": self.status}
        if self.hook_instance:
            fields["hookInstance"] = self.hook_instance
        if self.endpoint is Endpoint.HOOK and self.status == 200:
            fields.update(cards=len(self.rules), rules=self.rules, prefetch=self.prefetch,
                          suppressed_rules=self.suppressed_rules, silent_rules=self.silent_rules,
                          skipped_resources=dict(self.skipped_resources),
                          fetch_errors=self.fetch_errors)
            if self.truncated_keys:
                fields["truncated_prefetch_keys"] = self.truncated_keys
        if self.feedback:
            fields["feedback"] = {f"{status}:{detail}": count
                                  for (status, detail), count in sorted(self.feedback.items())}
        if self.fhir_server_refused:
            fields["fhir_server_refused"] = True
        if self.error is not None:
            fields["error"] = self.error
        fields.update({f"{stage.value}_ms": ms for stage, ms in self.timings.ms.items()})
        fields["total_ms"] = self.total_ms
        return fields
