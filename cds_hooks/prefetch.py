"""Turning a hook request's prefetch into the patient's chart, fetching whatever the EHR did not send.

Per key, exactly as CDS Hooks 2.0 §3 says: absent -> fetch it; `null` or an empty Bundle -> no data, don't fetch;
an OperationOutcome -> the EHR failed, fetch it if we can; a paginated Bundle -> follow `next`. All fetches for one
request run concurrently within one deadline. Whatever a required key still lacks afterwards is a 412.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from cards import ChartData
from cards.medication_reading import index_products, references_to_fetch

from .errors import FhirServerNotAllowed, PrefetchUnavailable
from .fhir_client import FHIR_SERVER_NOT_ALLOWED, FetchOutcome, FetchRequest, FhirFetcher, next_link
from .models import HookRequest
from .outbound import FhirServerAllowlist, host_of
from .services import ChartPart, PrefetchKey

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"\{\{\s*([A-Za-z.]+)\s*\}\}")
_USER_TOKENS = {
    "userPractitionerId": "Practitioner",
    "userPractitionerRoleId": "PractitionerRole",
    "userPatientId": "Patient",
    "userRelatedPersonId": "RelatedPerson",
}


MEDICATION_PRODUCTS_KEY = "medicationProducts"  # not a prefetch key: the follow-up search for referenced Medications
MAX_MEDICATIONS_FETCHED = 50


class UnresolvedToken(ValueError):
    """A template names a token the request cannot fill (the key is then fetched never, and counts as missing)."""


def render_template(template: str, context: Mapping[str, Any]) -> str:
    """Fill a prefetch template's `{{context.x}}` and `{{userXxxId}}` tokens from the hook context.

    Each value is percent-encoded whole, so a context value holding `&`, `?`, `#`, `/` or spaces stays one value
    (one path segment, one parameter) and cannot add query parameters or cut the URL short; a value of `.` or `..`
    has its dots encoded too, or `Patient/.` would be normalised into a search of every Patient.
    """

    def encoded(value: str) -> str:
        text = quote(value, safe="")
        return text.replace(".", "%2E") if text in (".", "..") else text

    def substitute(match: re.Match[str]) -> str:
        token = match.group(1)
        if token.startswith("context."):
            value = context.get(token.removeprefix("context."))
            if isinstance(value, str | int) and not isinstance(value, bool):
                return encoded(str(value))
        elif token in _USER_TOKENS:
            kind, _, user_id = str(context.get("userId", "")).partition("/")
            if kind == _USER_TOKENS[token] and user_id:
                return encoded(user_id)
        raise UnresolvedToken(token)

    return _TOKEN.sub(substitute, template)


@dataclass(frozen=True)
class Outbound:
    """Where this caller's fallback fetches may go: its allowlist, and who the caller is (for the refusal log)."""

    allowlist: FhirServerAllowlist
    issuer: str | None  # the verified token's `iss`; None with authentication off


@dataclass
class ResolvedPrefetch:
    """The chart plus an account of how each key was obtained (for logs and metrics; never patient data)."""

    chart: ChartData
    sources: dict[str, str]  # key -> "prefetch" | "empty" | "fetched" | "missing"
    fetch_errors: dict[str, str]
    truncated: list[str]


def _is_operation_outcome(value: Any) -> bool:
    return isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"


def _plan(
    key: PrefetchKey, request: HookRequest
) -> tuple[Any, FetchRequest | None]:
    """What we already have for a key, and what (if anything) must be fetched for it."""
    prefetch = request.prefetch or {}
    if key.name in prefetch:
        value = prefetch[key.name]
        if value is None:
            return None, None
        if isinstance(value, dict) and value.get("resourceType") and not _is_operation_outcome(value):
            follow = next_link(value) if value.get("resourceType") == "Bundle" else None
            return value, FetchRequest(key.name, follow, partial=value) if follow else None
        log.info("prefetch key unusable as sent; fetching it", extra={"fields": {"key": key.name}})
    try:
        url = render_template(key.template, request.context)
    except UnresolvedToken as exc:
        log.info("prefetch template unresolvable", extra={"fields": {"key": key.name, "token": str(exc)}})
        return None, None
    return None, FetchRequest(key.name, url)


def _entries(value: Any, max_entries: int) -> list[Any]:
    """The entries of a Bundle (a lone resource counts as one entry); at most `max_entries`."""
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") != "Bundle":
        return [{"resource": value}]
    entries = value.get("entry")
    return entries[:max_entries] if isinstance(entries, list) else []


def _resources(entries: list[Any]) -> list[dict[str, Any]]:
    """The resources of Bundle entries; malformed entries are left out."""
    resources = [entry.get("resource") for entry in entries if isinstance(entry, dict)]
    return [r for r in resources if isinstance(r, dict) and isinstance(r.get("resourceType"), str)]


def _of_type(resources: list[dict[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["resourceType"] == resource_type]


def _assemble(patient_id: str, values: Mapping[PrefetchKey, Any], draft_entries: list[Any],
              max_entries: int) -> ChartData:
    parts: dict[ChartPart, list[dict[str, Any]]] = {part: [] for part in ChartPart}
    every_entry: list[Any] = list(draft_entries)
    for key, value in values.items():
        entries = _entries(value, max_entries)
        every_entry.extend(entries)
        parts[key.part].extend(_resources(entries))
    patients = _of_type(parts[ChartPart.patient], "Patient")
    return ChartData(
        patient_id=patient_id,
        patient=patients[0] if patients else None,
        observations=_of_type(parts[ChartPart.observations], "Observation"),
        conditions=_of_type(parts[ChartPart.conditions], "Condition"),
        medication_requests=_of_type(parts[ChartPart.medications], "MedicationRequest"),
        medication_statements=_of_type(parts[ChartPart.medication_statements], "MedicationStatement"),
        medication_products=index_products(every_entry),
    )


def _draft_order_entries(request: HookRequest, max_entries: int) -> list[Any]:
    """Draft orders may name their drug through a Medication sent in the same Bundle."""
    drafts = request.context.get("draftOrders")
    return _entries(drafts, max_entries) if isinstance(drafts, dict) and drafts.get("resourceType") == "Bundle" \
        else []


async def _fetch_medications(request: HookRequest, chart: ChartData, draft_entries: list[Any], fetcher: FhirFetcher,
                             timeout_s: float, outbound: Outbound) -> tuple[ChartData, FetchOutcome | None]:
    """Fetch the Medications that requests, statements and draft orders refer to but nobody sent, in one search."""
    holders = [*chart.medication_requests, *chart.medication_statements, *_resources(draft_entries)]
    wanted = references_to_fetch(holders, chart.medication_products)[:MAX_MEDICATIONS_FETCHED]
    if not wanted:
        return chart, None
    ids = ",".join(path.removeprefix("Medication/") for path in wanted)
    fetch = FetchRequest(MEDICATION_PRODUCTS_KEY, f"Medication?_id={ids}&_count={len(wanted)}")
    outcome = (await _fetch(request, [fetch], fetcher, timeout_s, outbound))[MEDICATION_PRODUCTS_KEY]
    if outcome.error is not None:
        return chart, outcome
    products = {**chart.medication_products, **index_products(_entries(outcome.resource, len(wanted)))}
    return replace(chart, medication_products=products), outcome


async def resolve_prefetch(
    request: HookRequest,
    keys: tuple[PrefetchKey, ...],
    fetcher: FhirFetcher,
    *,
    outbound: Outbound,
    timeout_s: float,
    max_entries: int,
) -> ResolvedPrefetch:
    """Build the chart for one request, fetching missing keys concurrently; 412 if a required key is unobtainable.
    Then, within what is left of `timeout_s`, fetch Medications referred to but not sent (optional: on failure the
    rules read the references' display text).

    A key that must be fetched from a `fhirServer` not on `outbound.allowlist` is a 403 (`FhirServerNotAllowed`),
    raised before any connection. Follow-ups that only enrich what was sent (later pages of a sent Bundle, the
    Medication search) are skipped instead: a fully prefetched request never contacts `fhirServer` at all.
    """
    started = time.perf_counter()
    values: dict[PrefetchKey, Any] = {}
    to_fetch: dict[str, tuple[PrefetchKey, FetchRequest]] = {}
    sources: dict[str, str] = {}
    fetch_errors: dict[str, str] = {}
    truncated: list[str] = []
    for key in keys:
        value, fetch = _plan(key, request)
        values[key] = value
        if fetch is not None:
            to_fetch[key.name] = (key, fetch)
        else:
            sources[key.name] = "prefetch" if value is not None else "empty"

    if to_fetch:
        if any(fetch.partial is None for _, fetch in to_fetch.values()) and not _allowed(request, outbound):
            _log_refusal(request, outbound, "refused")
            raise FhirServerNotAllowed()
        outcomes = await _fetch(request, [fetch for _, fetch in to_fetch.values()], fetcher, timeout_s, outbound)
        for name, (key, fetch) in to_fetch.items():
            outcome = outcomes[name]
            if outcome.error is None:
                values[key] = outcome.resource
                sources[name] = "fetched"
                if outcome.truncated:
                    truncated.append(name)
            elif fetch.partial is not None:
                # Later pages of a Bundle the EHR sent failed: keep the pages we have, and say so.
                sources[name] = "prefetch"
                truncated.append(name)
            else:
                fetch_errors[name] = outcome.error
                sources[name] = "missing"

    missing = [k.name for k in keys if k.required and sources[k.name] == "missing"]
    if missing:
        raise PrefetchUnavailable({name: fetch_errors[name] for name in missing})
    if fetch_errors:
        log.warning(
            "evaluating without optional data",
            extra={"fields": {"missing_keys": sorted(fetch_errors), "errors": fetch_errors}},
        )
    draft_entries = _draft_order_entries(request, max_entries)
    chart = _assemble(str(request.context.get("patientId", "")), values, draft_entries, max_entries)
    chart, outcome = await _fetch_medications(request, chart, draft_entries, fetcher,
                                              max(0.0, timeout_s - (time.perf_counter() - started)), outbound)
    if outcome is not None:
        sources[MEDICATION_PRODUCTS_KEY] = "fetched" if outcome.error is None else "missing"
        if outcome.error is not None:
            fetch_errors[MEDICATION_PRODUCTS_KEY] = outcome.error
            log.warning("medications named by reference could not be fetched; read by their display only",
                        extra={"fields": {"error": outcome.error}})
    return ResolvedPrefetch(chart, sources, fetch_errors, truncated)


def _allowed(request: HookRequest, outbound: Outbound) -> bool:
    """True when there is no `fhirServer` (nothing would be contacted) or it is on the caller's allowlist."""
    return request.fhirServer is None or outbound.allowlist.allows(str(request.fhirServer))


def _log_refusal(request: HookRequest, outbound: Outbound, action: str) -> None:
    log.warning(
        "fhirServer not allowed for this caller; nothing sent to it",
        extra={"fields": {"issuer": outbound.issuer, "host": host_of(str(request.fhirServer)), "action": action}},
    )


async def _fetch(
    request: HookRequest, fetches: list[FetchRequest], fetcher: FhirFetcher, timeout_s: float, outbound: Outbound
) -> dict[str, FetchOutcome]:
    if request.fhirServer is None:
        return {f.key: FetchOutcome(f.key, None, "no fhirServer in request", 0, False) for f in fetches}
    if not _allowed(request, outbound):
        _log_refusal(request, outbound, "skipped")
        return {f.key: FetchOutcome(f.key, None, FHIR_SERVER_NOT_ALLOWED, 0, False) for f in fetches}
    token = request.fhirAuthorization.access_token if request.fhirAuthorization else None
    return await fetcher.fetch_all(str(request.fhirServer), fetches, access_token=token, timeout_s=timeout_s)
