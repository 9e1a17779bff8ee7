"""Prefetch semantics of CDS Hooks 2.0 §3: what is used as sent, what is fetched, and when we give up (412)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from cds_hooks.errors import Detail, FhirServerNotAllowed, PrefetchUnavailable
from cds_hooks.fhir_client import FetchOutcome, FetchRequest
from cds_hooks.models import HookRequest
from cds_hooks.outbound import FhirServerAllowlist
from cds_hooks.prefetch import Outbound, UnresolvedToken, render_template, resolve_prefetch
from cds_hooks.services import ChartPart, PrefetchKey

# The FHIR servers these tests name (the allowlist itself is tested in tests/security/test_fhir_server_allowlist.py).
ANYWHERE_TESTED = Outbound(
    FhirServerAllowlist(["https://fhir.example.org", "https://ehr.example/fhir"]), "https://ehr.example"
)

KEYS = (
    PrefetchKey("patient", "Patient/{{context.patientId}}", ChartPart.patient, required=False),
    PrefetchKey("conditions", "Condition?patient={{context.patientId}}", ChartPart.conditions, required=True),
)
CONDITION = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}}
PATIENT = {"resourceType": "Patient", "id": "p1"}


def searchset(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


class RecordingFetcher:
    """Stands in for the FHIR server: answers from a table and records what it was asked."""

    def __init__(self, answers: dict[str, FetchOutcome] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[tuple[str, list[FetchRequest], str | None]] = []

    async def fetch_all(
        self, fhir_server: str, requests: Sequence[FetchRequest], *, access_token: str | None, timeout_s: float
    ) -> dict[str, FetchOutcome]:
        self.calls.append((fhir_server, list(requests), access_token))
        return {r.key: self.answers[r.key] for r in requests}


def hook_request(prefetch: dict[str, Any] | None, **extra: Any) -> HookRequest:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": "p1"},
        **extra,
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return HookRequest.model_validate(body)


async def resolve(request: HookRequest, fetcher: RecordingFetcher):  # type: ignore[no-untyped-def]
    return await resolve_prefetch(request, KEYS, fetcher, outbound=ANYWHERE_TESTED,  # type: ignore[arg-type]
                                  timeout_s=1.0, max_entries=100)


def test_template_tokens_are_filled_from_context_and_user_id() -> None:
    context = {"patientId": "p1", "userId": "Practitioner/dr-7", "encounterId": "e9"}
    assert render_template("Patient/{{context.patientId}}", context) == "Patient/p1"
    assert render_template("Encounter/{{ context.encounterId }}", context) == "Encounter/e9"
    assert render_template("Practitioner/{{userPractitionerId}}", context) == "Practitioner/dr-7"


@pytest.mark.parametrize(
    ("value", "filled"),
    [("a b&_id=x", "a%20b%26_id%3Dx"), ("x?y#z", "x%3Fy%23z"), ("a/b", "a%2Fb"), (".", "%2E"), ("..", "%2E%2E"),
     ("...", "..."), ("p-1.v2_~", "p-1.v2_~")],
)
def test_template_values_are_percent_encoded_whole(value: str, filled: str) -> None:
    context = {"patientId": value, "userId": f"Practitioner/{value}"}
    assert render_template("Condition?patient={{context.patientId}}", context) == f"Condition?patient={filled}"
    assert render_template("Patient/{{context.patientId}}", context) == f"Patient/{filled}"
    assert render_template("Practitioner/{{userPractitionerId}}", context) == f"Practitioner/{filled}"


@pytest.mark.parametrize(
    "template", ["Practitioner/{{userPatientId}}", "X/{{context.missing}}", "X/{{context.selections}}"]
)
def test_template_with_unfillable_token_is_refused(template: str) -> None:
    with pytest.raises(UnresolvedToken):
        render_template(template, {"patientId": "p1", "userId": "Practitioner/dr-7", "selections": ["a"]})


async def test_sent_data_is_used_without_fetching() -> None:
    fetcher = RecordingFetcher()
    resolved = await resolve(hook_request({"patient": PATIENT, "conditions": searchset(CONDITION)}), fetcher)
    assert fetcher.calls == []
    assert resolved.chart.patient == PATIENT
    assert resolved.chart.conditions == [CONDITION]
    assert resolved.sources == {"patient": "prefetch", "conditions": "prefetch"}


async def test_null_and_empty_bundle_mean_no_data_and_are_not_fetched() -> None:
    fetcher = RecordingFetcher()
    resolved = await resolve(hook_request({"patient": None, "conditions": searchset()}), fetcher)
    assert fetcher.calls == []
    assert resolved.chart.patient is None
    assert resolved.chart.conditions == []


async def test_absent_keys_are_fetched_together_with_the_bearer_token() -> None:
    fetcher = RecordingFetcher(
        {
            "patient": FetchOutcome("patient", PATIENT, None, 1, False),
            "conditions": FetchOutcome("conditions", searchset(CONDITION), None, 1, False),
        }
    )
    request = hook_request(
        {},
        fhirServer="https://fhir.example.org/r4",
        fhirAuthorization={
            "access_token": "secret-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cds-service",
        },
    )
    resolved = await resolve(request, fetcher)
    [(server, requests, token)] = fetcher.calls
    assert server == "https://fhir.example.org/r4"
    assert token == "secret-token"
    assert sorted((r.key, r.url) for r in requests) == [
        ("conditions", "Condition?patient=p1"),
        ("patient", "Patient/p1"),
    ]
    assert resolved.chart.conditions == [CONDITION]
    assert resolved.sources == {"patient": "fetched", "conditions": "fetched"}


async def test_operation_outcome_in_prefetch_is_refetched() -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}
    fetcher = RecordingFetcher({"conditions": FetchOutcome("conditions", searchset(CONDITION), None, 1, False)})
    request = hook_request({"patient": PATIENT, "conditions": outcome}, fhirServer="https://fhir.example.org")
    resolved = await resolve(request, fetcher)
    assert [r.key for r in fetcher.calls[0][1]] == ["conditions"]
    assert resolved.chart.conditions == [CONDITION]


async def test_paginated_prefetch_follows_next_from_the_partial_bundle() -> None:
    first_page = searchset(CONDITION, next_url="https://fhir.example.org/Condition?page=2")
    second = {**CONDITION, "id": "c2"}
    fetcher = RecordingFetcher({"conditions": FetchOutcome("conditions", searchset(CONDITION, second), None, 2, False)})
    request = hook_request({"patient": PATIENT, "conditions": first_page}, fhirServer="https://fhir.example.org")
    resolved = await resolve(request, fetcher)
    [follow] = fetcher.calls[0][1]
    assert follow.url == "https://fhir.example.org/Condition?page=2"
    assert follow.partial == first_page
    assert [c["id"] for c in resolved.chart.conditions] == ["c1", "c2"]


async def test_failed_next_page_keeps_the_pages_already_sent() -> None:
    first_page = searchset(CONDITION, next_url="https://fhir.example.org/Condition?page=2")
    fetcher = RecordingFetcher({"conditions": FetchOutcome("conditions", None, "timeout", 0, False)})
    request = hook_request({"patient": PATIENT, "conditions": first_page}, fhirServer="https://fhir.example.org")
    resolved = await resolve(request, fetcher)
    assert resolved.chart.conditions == [CONDITION]
    assert resolved.truncated == ["conditions"]


async def test_required_key_missing_without_fhir_server_is_412() -> None:
    with pytest.raises(PrefetchUnavailable) as raised:
        await resolve(hook_request({"patient": PATIENT}), RecordingFetcher())
    assert raised.value.status_code == 412
    assert "conditions" in raised.value.message


async def test_required_key_that_fails_to_fetch_is_412_naming_it_unavailable_and_the_reason_only_internally() -> None:
    fetcher = RecordingFetcher({"conditions": FetchOutcome("conditions", None, "http 500", 1, False)})
    request = hook_request({"patient": PATIENT}, fhirServer="https://fhir.example.org")
    with pytest.raises(PrefetchUnavailable) as raised:
        await resolve(request, fetcher)
    assert raised.value.details == [Detail("conditions: unavailable", "prefetch.conditions")]
    assert raised.value.fetch_errors == {"conditions": "http 500"}


async def test_optional_key_that_fails_to_fetch_leaves_the_chart_without_it() -> None:
    fetcher = RecordingFetcher({"patient": FetchOutcome("patient", None, "timeout", 0, False)})
    request = hook_request({"conditions": searchset(CONDITION)}, fhirServer="https://fhir.example.org")
    resolved = await resolve(request, fetcher)
    assert resolved.chart.patient is None
    assert resolved.chart.conditions == [CONDITION]
    assert resolved.fetch_errors == {"patient": "timeout"}


async def test_malformed_bundle_entries_are_dropped_not_fatal() -> None:
    bundle = {"resourceType": "Bundle", "entry": [{"resource": CONDITION}, "junk", {"resource": {"id": "x"}}, {}]}
    resolved = await resolve(hook_request({"patient": PATIENT, "conditions": bundle}), RecordingFetcher())
    assert resolved.chart.conditions == [CONDITION]


async def test_resources_of_another_type_in_a_key_are_ignored() -> None:
    bundle = searchset(CONDITION, {"resourceType": "Observation", "id": "o1"})
    resolved = await resolve(hook_request({"patient": PATIENT, "conditions": bundle}), RecordingFetcher())
    assert resolved.chart.conditions == [CONDITION]
    assert resolved.chart.observations == []


MEDICATION_KEYS = (
    PrefetchKey("medications", "MedicationRequest?patient={{context.patientId}}", ChartPart.medications,
                required=True),
)
DEPAKOTE = {"resourceType": "Medication", "id": "m1", "code": {"text": "Depakote 250 mg"}}


def prescription(reference: str) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "r1", "status": "active", "intent": "order",
            "subject": {"reference": "Patient/p1"}, "medicationReference": {"reference": reference}}


async def resolve_medications(request: HookRequest, fetcher: RecordingFetcher):  # type: ignore[no-untyped-def]
    return await resolve_prefetch(request, MEDICATION_KEYS, fetcher, outbound=ANYWHERE_TESTED,  # type: ignore[arg-type]
                                  timeout_s=1.0, max_entries=100)


async def test_medications_sent_beside_the_prescriptions_are_indexed_by_id_and_full_url() -> None:
    bundle = searchset(prescription("Medication/m1"))
    bundle["entry"].append({"fullUrl": "urn:uuid:5f2c", "resource": DEPAKOTE, "search": {"mode": "include"}})
    fetcher = RecordingFetcher()
    resolved = await resolve_medications(hook_request({"medications": bundle}, fhirServer="https://ehr.example/fhir"),
                                         fetcher)
    assert resolved.chart.medication_products == {"Medication/m1": DEPAKOTE, "urn:uuid:5f2c": DEPAKOTE}
    assert fetcher.calls == []


async def test_medications_referred_to_but_not_sent_are_fetched_in_one_search() -> None:
    answer = FetchOutcome("medicationProducts", searchset(DEPAKOTE), None, 1, False)
    fetcher = RecordingFetcher({"medicationProducts": answer})
    bundle = searchset(prescription("https://ehr.example/fhir/Medication/m1/_history/3"), prescription("#gone"))
    resolved = await resolve_medications(hook_request({"medications": bundle}, fhirServer="https://ehr.example/fhir"),
                                         fetcher)
    [(_, [request], _)] = fetcher.calls
    assert request.url == "Medication?_id=m1&_count=1"
    assert resolved.chart.medication_products["Medication/m1"] == DEPAKOTE
    assert resolved.sources["medicationProducts"] == "fetched"


async def test_draft_orders_naming_an_unsent_medication_get_it_fetched() -> None:
    answer = FetchOutcome("medicationProducts", searchset(DEPAKOTE), None, 1, False)
    fetcher = RecordingFetcher({"medicationProducts": answer})
    request = hook_request({"medications": searchset()}, fhirServer="https://ehr.example/fhir")
    request.context["draftOrders"] = searchset(prescription("Medication/m1"))
    resolved = await resolve_medications(request, fetcher)
    assert resolved.chart.medication_products == {"Medication/m1": DEPAKOTE}


async def test_a_failed_medication_fetch_is_reported_and_the_chart_kept() -> None:
    fetcher = RecordingFetcher({"medicationProducts": FetchOutcome("medicationProducts", None, "timeout", 0, False)})
    bundle = searchset(prescription("Medication/m1"))
    resolved = await resolve_medications(hook_request({"medications": bundle}, fhirServer="https://ehr.example/fhir"),
                                         fetcher)
    assert resolved.sources["medicationProducts"] == "missing"
    assert resolved.fetch_errors == {"medicationProducts": "timeout"}
    assert len(resolved.chart.medication_requests) == 1


# -- a fhirServer not on the caller's allowlist (tests/api/test_outbound_api.py covers it over HTTP) ------------

NOWHERE = Outbound(FhirServerAllowlist([]), "https://ehr.example")


async def test_a_key_to_fetch_from_a_non_allowlisted_server_is_refused_unsent() -> None:
    fetcher = RecordingFetcher()
    request = hook_request({"patient": PATIENT}, fhirServer="https://fhir.example.org")
    with pytest.raises(FhirServerNotAllowed):
        await resolve_prefetch(request, KEYS, fetcher, outbound=NOWHERE,  # type: ignore[arg-type]
                               timeout_s=1.0, max_entries=100)
    assert fetcher.calls == []


async def test_enriching_follow_ups_are_skipped_not_refused() -> None:
    """The Medication search and later pages of a sent Bundle only add to what was sent: left out, not a 403."""
    fetcher = RecordingFetcher()
    request = hook_request(
        {"patient": PATIENT, "conditions": searchset(CONDITION, next_url="https://fhir.example.org/Condition?p=2")},
        fhirServer="https://fhir.example.org",
    )
    resolved = await resolve_prefetch(request, KEYS, fetcher, outbound=NOWHERE,  # type: ignore[arg-type]
                                      timeout_s=1.0, max_entries=100)
    assert resolved.sources["conditions"] == "prefetch" and resolved.truncated == ["conditions"]
    medications = hook_request({"medications": searchset(prescription("Medication/m1"))},
                               fhirServer="https://ehr.example/fhir")
    resolved = await resolve_prefetch(medications, MEDICATION_KEYS, fetcher, outbound=NOWHERE,  # type: ignore[arg-type]
                                      timeout_s=1.0, max_entries=100)
    assert resolved.sources["medicationProducts"] == "missing"
    assert resolved.fetch_errors == {"medicationProducts": "fhirServer not allowed"}
    assert fetcher.calls == []
