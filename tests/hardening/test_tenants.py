"""Tenants: patient ids are unique only within one EHR and FHIR server, so one EHR's feedback can never quiet
another EHR's cards, and feedback counts only from the issuer a card was issued to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.api.test_feedback_loop_api import MAGNESIUM_RULE, TODAY, override, patient_view
from tests.hardening import tally
from tests.security.tokens import SigningKey, bearer, claims, ec_key, pinned_issuer

BASE = "http://testserver"
EHR_A, EHR_B = "https://ehr-a.example.org", "https://ehr-b.example.org"
PATIENT = "shared-id-42"  # the same id, meaning two different people in two EHRs


@pytest.fixture
def keys() -> dict[str, SigningKey]:
    return {EHR_A: ec_key("ES384", ec.SECP384R1()), EHR_B: ec_key("ES384", ec.SECP384R1())}


@pytest.fixture
def client(tmp_path: Path, keys: dict[str, SigningKey]) -> Iterator[TestClient]:
    settings = Settings(
        profile="production", public_base_url=BASE, id_hash_secret="tenants", data_dir=tmp_path,
        trusted_issuers=[pinned_issuer(keys[EHR_A], iss=EHR_A), pinned_issuer(keys[EHR_B], iss=EHR_B)],
    )
    with TestClient(create_app(settings, today=TODAY)) as test_client:
        yield test_client


def _headers(keys: dict[str, SigningKey], issuer: str, path: str) -> dict[str, str]:
    return {"Authorization": bearer(keys[issuer].mint(claims(iss=issuer, aud=f"{BASE}{path}")))}


def cards(client: TestClient, keys: dict[str, SigningKey], issuer: str, fhir_server: str | None = None
          ) -> dict[str, dict[str, Any]]:
    body = patient_view(PATIENT)
    if fhir_server:
        body["fhirServer"] = fhir_server  # every key is prefetched: it is never contacted
        body["prefetch"]["medicationStatements"] = None
    path = "/cds-services/patient-view"
    response = client.post(path, json=body, headers=_headers(keys, issuer, path))
    assert response.status_code == 200, response.text
    return {card["source"]["topic"]["code"]: card for card in response.json()["cards"]}


def feedback(client: TestClient, keys: dict[str, SigningKey], issuer: str, item: dict[str, Any]) -> str:
    path = "/cds-services/patient-view/feedback"
    response = client.post(path, json={"feedback": [item]}, headers=_headers(keys, issuer, path))
    assert response.status_code == 200, response.text
    return str(response.json()["feedback"][0]["status"])


def test_an_override_in_one_ehr_never_quiets_the_same_patient_id_in_another(client, keys) -> None:
    card_a = cards(client, keys, EHR_A)[MAGNESIUM_RULE]
    assert feedback(client, keys, EHR_A, override(card_a, "patient-declined")) == "stored"
    assert MAGNESIUM_RULE not in cards(client, keys, EHR_A)  # quiet where it was dismissed
    assert MAGNESIUM_RULE in cards(client, keys, EHR_B)  # not for the other EHR's patient
    tally.count(tally.TENANT_ATTACKS)


def test_feedback_from_another_issuer_on_a_card_counts_as_unknown_and_snoozes_nothing(client, keys) -> None:
    card_a = cards(client, keys, EHR_A)[MAGNESIUM_RULE]
    for reason in ("patient-declined", "not-relevant", "already-addressed"):
        assert feedback(client, keys, EHR_B, override(card_a, reason)) == "unknown-card"
        tally.count(tally.TENANT_ATTACKS)
    assert MAGNESIUM_RULE in cards(client, keys, EHR_A)
    assert MAGNESIUM_RULE in cards(client, keys, EHR_B)


def test_one_issuer_with_two_fhir_servers_is_two_tenants(client, keys) -> None:
    first, second = "https://fhir-1.ehr-a.example.org/r4", "https://fhir-2.ehr-a.example.org/r4"
    card = cards(client, keys, EHR_A, first)[MAGNESIUM_RULE]
    assert feedback(client, keys, EHR_A, override(card, "patient-declined")) == "stored"
    assert MAGNESIUM_RULE not in cards(client, keys, EHR_A, first)
    assert MAGNESIUM_RULE not in cards(client, keys, EHR_A, first + "/")  # the same server, written with a slash
    assert MAGNESIUM_RULE in cards(client, keys, EHR_A, second)
    tally.count(tally.TENANT_ATTACKS)
