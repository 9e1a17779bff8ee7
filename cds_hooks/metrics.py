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
from dataclasses import dataclass
from typing import Any, get_args

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from .fhir_client import FETCH_FAILURES, FHIR_SERVER_NOT_ALLOWED
from .outcomes import Endpoint, RequestOutcome, Stage
from .security import Rejection
from .store.records import FeedbackStatus

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
    "Time per stage of a hook call (parse, prefetch, evaluate, suppress, render, serialize).",
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
CARDS_SILENT = Counter(
    "ftcds_cards_silent_total", "Cards of rules in silent mode: would have fired, not returned.", ["service", "rule"]
)
TRUNCATED_PREFETCH = Counter(
    "ftcds_prefetch_truncated_total", "Fetched prefetch data cut at a page or entry limit, by key.", ["key"]
)
FEEDBACK_ITEMS = Counter(
    "ftcds_feedback_items_total",
    "Feedback items by what became of them (stored, duplicate, unknown-card) and outcome or override reason.",
    ["service", "status", "detail"],
)
BUILD_INFO = Gauge(
    "ftcds_build_info", "Always 1: the running version and knowledge version.", ["version", "knowledge_version"],
    multiprocess_mode="liveall",
)


def exposition() -> tuple[bytes, str]:
    """The metrics text and its content type; aggregated over workers in multiprocess mode."""
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


OTHER = "other"
_HTTP_STATUS = re.compile(r"http ([1-5])\d\d")
_REJECTIONS = frozenset(reason.value for reason in Rejection)
FEEDBACK_STATUSES = frozenset(get_args(FeedbackStatus))


def _closed(value: Any, allowed: Collection[str]) -> str:
    return value if isinstance(value, str) and value in allowed else OTHER


def _fetch_reason(reason: Any) -> str:
    """A fetch failure's category; an HTTP status only by its class (`http 4xx`)."""
    status = _HTTP_STATUS.fullmatch(reason) if isinstance(reason, str) else None
    return f"http {status.group(1)}xx" if status else _closed(reason, FETCH_FAILURES)


def _rejection(reason: Any) -> str:
    """A JWT rejection's category, without the claim name some categories carry (`missing claim: jti`)."""
    return _closed(reason.partition(":")[0] if isinstance(reason, str) else reason, _REJECTIONS)


@dataclass(frozen=True)
class LabelSets:
    """The closed sets labels may take, known at start-up: every series can then exist from the first scrape."""

    services: frozenset[str]
    prefetch_keys: frozenset[str]
    rules: frozenset[str]
    feedback_details: frozenset[str]  # "accepted" and the known override reason codes


def announce(labels: LabelSets, *, version: str, knowledge_version: str) -> None:
    """Create every series with a value of zero, so dashboards and alerts see them before the first request."""
    BUILD_INFO.labels(version, knowledge_version).set(1)
    for service in labels.services:
        REQUEST_SECONDS.labels(service, Endpoint.HOOK.value, "200")
        REQUEST_SECONDS.labels(service, Endpoint.FEEDBACK.value, "200")
        for stage in Stage:
            STAGE_SECONDS.labels(service, stage.value)
        for rule in labels.rules:
            CARDS_ISSUED.labels(service, rule)
            CARDS_SUPPRESSED.labels(service, rule)
            CARDS_SILENT.labels(service, rule)
        for status in FEEDBACK_STATUSES:
            for detail in labels.feedback_details:
                FEEDBACK_ITEMS.labels(service, status, detail)
    for key in labels.prefetch_keys:
        for reason in sorted(FETCH_FAILURES):
            FETCH_ERRORS.labels(key, reason)
        TRUNCATED_PREFETCH.labels(key)
    for reason in _REJECTIONS:
        JWT_REJECTIONS.labels(reason)


def observe(outcome: RequestOutcome, labels: LabelSets) -> None:
    """Count one answered request from its outcome record."""
    service = _closed(outcome.service, labels.services)
    REQUEST_SECONDS.labels(service, outcome.endpoint.value, str(outcome.status)).observe(outcome.total_ms / 1000)
    for stage, ms in outcome.timings.ms.items():
        STAGE_SECONDS.labels(service, stage.value).observe(ms / 1000)
    for rule in outcome.rules:
        CARDS_ISSUED.labels(service, _closed(rule, labels.rules)).inc()
    for rule in outcome.suppressed_rules:
        CARDS_SUPPRESSED.labels(service, _closed(rule, labels.rules)).inc()
    for rule in outcome.silent_rules:
        CARDS_SILENT.labels(service, _closed(rule, labels.rules)).inc()
    for resource_type, count in outcome.skipped_resources.items():
        SKIPPED_RESOURCES.labels(_closed(resource_type, READ_RESOURCE_TYPES)).inc(count)
    for key, reason in outcome.fetch_errors.items():
        FETCH_ERRORS.labels(_closed(key, labels.prefetch_keys), _fetch_reason(reason)).inc()
    if outcome.fhir_server_refused:
        FHIR_SERVER_REFUSALS.labels(service, "refused").inc()
    elif FHIR_SERVER_NOT_ALLOWED in outcome.fetch_errors.values():
        FHIR_SERVER_REFUSALS.labels(service, "skipped").inc()
    for key in outcome.truncated_keys:
        TRUNCATED_PREFETCH.labels(_closed(key, labels.prefetch_keys)).inc()
    for (status, detail), count in outcome.feedback.items():
        FEEDBACK_ITEMS.labels(service, _closed(status, FEEDBACK_STATUSES),
                              _closed(detail, labels.feedback_details)).inc(count)
    if outcome.rejection is not None:
        JWT_REJECTIONS.labels(_rejection(outcome.rejection)).inc()
