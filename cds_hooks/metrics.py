"""Prometheus metrics: what an integration engineer watches (latency per stage, cards, fetch errors, JWT rejections).

Every label value comes from one of our own closed sets (service ids, stages, rule ids, status codes, rejection
categories, fetch-failure categories, resource types we read); anything else is counted as `other`. A value taken
from the request (an unknown service id in the path, a status a FHIR server made up) would grow the exposition
without bound, one series per value.

With several uvicorn workers each process counts on its own; `serve` then sets `PROMETHEUS_MULTIPROC_DIR` before the
workers start, and `/metrics` aggregates every worker's files, so a scrape sees the whole server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from .fhir_client import FETCH_FAILURES, FHIR_SERVER_NOT_ALLOWED
from .security import Rejection

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
READ_RESOURCE_TYPES = frozenset(
    {"Patient", "Observation", "Condition", "MedicationRequest", "MedicationStatement", "Medication", "Bundle"}
)

# Buckets sized for a service that answers in milliseconds but must stay visible up to the spec's ~500 ms.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5)

REQUEST_SECONDS = Histogram(
    "ftcds_request_seconds",
    "Hook and feedback request latency, by service, endpoint and status.",
    ["service", "endpoint", "status"],
    buckets=_LATENCY_BUCKETS,
)
STAGE_SECONDS = Histogram(
    "ftcds_stage_seconds",
    "Time per stage of a hook call (parse, prefetch, evaluate, render, serialize).",
    ["service", "stage"],
    buckets=_LATENCY_BUCKETS,
)
CARDS_ISSUED = Counter("ftcds_cards_issued_total", "Cards returned to the EHR, by rule.", ["service", "rule"])
CARDS_SUPPRESSED = Counter(
    "ftcds_cards_suppressed_total", "Cards withheld because of earlier feedback, by rule.", ["service", "rule"]
)
FETCH_ERRORS = Counter("ftcds_fetch_errors_total", "Failed fallback FHIR fetches, by prefetch key and reason.", ["key", "reason"])
JWT_REJECTIONS = Counter("ftcds_jwt_rejections_total", "Refused EHR tokens, by reason category.", ["reason"])
FHIR_SERVER_REFUSALS = Counter(
    "ftcds_fhir_server_refusals_total",
    "Hook calls whose fhirServer was not on the caller's allowlist: `refused` (403, data had to be fetched) or "
    "`skipped` (an optional follow-up fetch left out; the call was answered).",
    ["service", "action"],
)
SKIPPED_RESOURCES = Counter(
    "ftcds_skipped_resources_total", "FHIR resources skipped as unusable, by resource type.", ["resource_type"]
)


def exposition() -> tuple[bytes, str]:
    """The metrics text and its content type; aggregated over workers in multiprocess mode."""
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


_STAGES = ("parse", "prefetch", "evaluate", "render", "serialize")
OTHER = "other"
_HTTP_STATUS = re.compile(r"http ([1-5])\d\d")
_REJECTIONS = frozenset(reason.value for reason in Rejection)


def _closed(value: Any, allowed: Collection[str]) -> str:
    return value if isinstance(value, str) and value in allowed else OTHER


def _fetch_reason(reason: Any) -> str:
    """A fetch failure's category; an HTTP status only by its class (`http 4xx`)."""
    status = _HTTP_STATUS.fullmatch(reason) if isinstance(reason, str) else None
    return f"http {status.group(1)}xx" if status else _closed(reason, FETCH_FAILURES)


def _rejection(reason: Any) -> str:
    """A JWT rejection's category, without the claim name some categories carry (`missing claim: jti`)."""
    return _closed(reason.partition(":")[0] if isinstance(reason, str) else reason, _REJECTIONS)


def observe_hook_call(fields: dict[str, Any], services: Collection[str], prefetch_keys: Collection[str]) -> None:
    """Count one hook call from its request-log fields (the log and the metrics can never disagree).

    `services` and `prefetch_keys` are the closed sets the service and key labels may take.
    """
    service = _closed(fields.get("service"), services)
    status = str(int(fields.get("status", 500)))
    REQUEST_SECONDS.labels(service, "hook", status).observe(fields.get("total_ms", 0.0) / 1000)
    for stage in _STAGES:
        if f"{stage}_ms" in fields:
            STAGE_SECONDS.labels(service, stage).observe(fields[f"{stage}_ms"] / 1000)
    for rule in fields.get("rules", ()):
        CARDS_ISSUED.labels(service, rule).inc()
    for rule in fields.get("suppressed_rules", ()):
        CARDS_SUPPRESSED.labels(service, rule).inc()
    for resource_type, count in fields.get("skipped_resources", {}).items():
        SKIPPED_RESOURCES.labels(_closed(resource_type, READ_RESOURCE_TYPES)).inc(count)
    for key, reason in fields.get("fetch_errors", {}).items():
        FETCH_ERRORS.labels(_closed(key, prefetch_keys), _fetch_reason(reason)).inc()
    if fields.get("fhir_server_refused"):
        FHIR_SERVER_REFUSALS.labels(service, "refused").inc()
    elif FHIR_SERVER_NOT_ALLOWED in fields.get("fetch_errors", {}).values():
        FHIR_SERVER_REFUSALS.labels(service, "skipped").inc()
    if status == "401":
        JWT_REJECTIONS.labels(_rejection(fields.get("error"))).inc()
