"""The EHR's token goes only to FHIR servers allowlisted for the verified issuer: a non-allowlisted `fhirServer` is
refused (403) before any connection, and only when something has to be fetched.

Every fallback fetch goes to an `httpx.MockTransport`; a test that expects no connection fails if it is called.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from cds_hooks.app import create_app
from cds_hooks.fhir_client import FhirFetcher
from cds_hooks.settings import Settings, TrustedIssuer
from tests.scenarios import SCENARIOS_DIR, load_scenario
from tests.security.tokens import ISSUER, SigningKey, bearer, claims, key_set

SCENARIO = load_scenario(SCENARIOS_DIR / "04-eyelid-twitching-mild-low-magnesium")
BASE = "http://testserver"
ALLOWED_FHIR = "https://ehr.example.org/fhir"
TOKEN = "ehr-access-token-5e2a"  # a test value, not a credential
HOSTILE = [
    "https://ehr.example.org/fhirevil",
    "https://ehr.example.org.evil.com/fhir",
    "https://ehr.example.org@evil.com/fhir",
    "https://ehr.example.org:8443/fhir",
    "http://169.254.169.254/latest",
    "http://127.0.0.1:8081",  # loopback is a development default, never production's
]


class Upstream:
    """The FHIR side: answers from the scenario's chart, or fails the test when `forbidden`."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []
        self.forbidden = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.forbidden:
            pytest.fail(f"a connection was attempted to {request.url.host}")
        chart = SCENARIO.request["prefetch"]
        kind = request.url.path.removeprefix("/fhir/").split("/")[0]
        by_type = {"Patient": "patient", "Observation": "observations", "Condition": "conditions",
                   "MedicationRequest": "medications"}
        body = chart.get(by_type.get(kind, ""), None) or {"resourceType": "Bundle", "type": "searchset", "total": 0}
        return httpx.Response(200, headers={"content-type": "application/fhir+json"},
                              stream=httpx.ByteStream(json.dumps(body).encode()))


def issuer(key: SigningKey, **fields: Any) -> TrustedIssuer:
    return TrustedIssuer(iss=ISSUER, jwks=key_set(key.public_jwk()), **fields)


def client_for(tmp_path: Path, upstream: Upstream, *issuers: TrustedIssuer) -> TestClient:
    settings = Settings(profile="production", id_hash_secret="test", data_dir=tmp_path, public_base_url=BASE,
                        trusted_issuers=list(issuers))
    return TestClient(create_app(settings, today=SCENARIO.today))


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
def client(tmp_path: Path, upstream: Upstream, es384: SigningKey) -> Iterator[TestClient]:
    with client_for(tmp_path, upstream, issuer(es384, fhir_servers=[ALLOWED_FHIR])) as test_client:
        route(test_client, upstream)
        yield test_client


def route(client: TestClient, upstream: Upstream) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    engine.fetcher = FhirFetcher.from_settings(httpx.AsyncClient(transport=httpx.MockTransport(upstream.handler)),
                                               engine.settings)


def body(fhir_server: str, *without: str) -> dict[str, Any]:
    request = copy.deepcopy(SCENARIO.request)
    request["prefetch"].setdefault("medicationStatements", {"resourceType": "Bundle", "type": "searchset", "total": 0})
    for key in without:
        del request["prefetch"][key]
    request["fhirServer"] = fhir_server
    request["fhirAuthorization"] = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300,
                                    "scope": "patient/*.read", "subject": "cds-service"}
    return request


def call(client: TestClient, key: SigningKey, request: dict[str, Any]) -> httpx.Response:
    token = key.mint(claims(aud=f"{BASE}/cds-services/patient-view"))
    return client.post("/cds-services/patient-view", json=request, headers={"Authorization": bearer(token)})


def refusals(action: str) -> float:
    value = REGISTRY.get_sample_value("ftcds_fhir_server_refusals_total",
                                      {"service": "patient-view", "action": action})
    return value or 0.0


@pytest.mark.parametrize("fhir_server", HOSTILE)
def test_a_fetch_from_a_non_allowlisted_server_is_refused_before_any_connection(
    client: TestClient, upstream: Upstream, es384: SigningKey, fhir_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    upstream.forbidden = True
    before = refusals("refused")
    with caplog.at_level(logging.INFO):
        response = call(client, es384, body(fhir_server, "observations"))
    assert response.status_code == 403, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "forbidden"
    assert "evil" not in response.text and "169.254" not in response.text
    assert upstream.seen == []
    assert refusals("refused") == before + 1
    refusal = [r for r in caplog.records if r.getMessage().startswith("fhirServer not allowed")]
    assert len(refusal) == 1
    fields = refusal[0].fields  # type: ignore[attr-defined]
    assert fields["issuer"] == ISSUER
    assert fields["host"] == httpx.URL(fhir_server).host
    assert TOKEN not in caplog.text


def test_an_allowlisted_server_is_fetched_from_with_the_token(
    client: TestClient, upstream: Upstream, es384: SigningKey
) -> None:
    response = call(client, es384, body(ALLOWED_FHIR + "/", "observations", "conditions"))
    assert response.status_code == 200, response.text
    assert response.json()["cards"]
    assert {request.url.host for request in upstream.seen} == {"ehr.example.org"}
    assert all(request.headers["authorization"] == f"Bearer {TOKEN}" for request in upstream.seen)
    assert len(upstream.seen) == 2


@pytest.mark.parametrize("fhir_server", HOSTILE)
def test_a_fully_prefetched_request_with_a_hostile_server_still_gets_its_cards(
    client: TestClient, upstream: Upstream, es384: SigningKey, fhir_server: str
) -> None:
    upstream.forbidden = True
    response = call(client, es384, body(fhir_server))
    assert response.status_code == 200, response.text
    assert response.json()["cards"]
    assert upstream.seen == []


def test_an_issuer_without_fhir_servers_can_only_send_everything(
    tmp_path: Path, upstream: Upstream, es384: SigningKey
) -> None:
    upstream.forbidden = True
    with client_for(tmp_path, upstream, issuer(es384)) as test_client:
        route(test_client, upstream)
        assert call(test_client, es384, body(ALLOWED_FHIR, "observations")).status_code == 403
        assert call(test_client, es384, body(ALLOWED_FHIR)).status_code == 200
    assert upstream.seen == []


def test_an_unreachable_allowlisted_server_is_still_a_412_that_says_only_unavailable(
    client: TestClient, es384: SigningKey
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    engine = client.app.state.engine  # type: ignore[attr-defined]
    engine.fetcher = FhirFetcher.from_settings(httpx.AsyncClient(transport=httpx.MockTransport(refuse)),
                                               engine.settings)
    response = call(client, es384, body(ALLOWED_FHIR, "conditions"))
    assert response.status_code == 412
    details = [issue["diagnostics"] for issue in response.json()["issue"][1:]]
    assert details == ["conditions: unavailable"]
    assert "ehr.example.org" not in response.text


def test_with_authentication_off_fetches_go_only_where_fhir_servers_says(tmp_path: Path, upstream: Upstream) -> None:
    settings = Settings(profile="development", auth="off", data_dir=tmp_path)  # default: loopback only
    with TestClient(create_app(settings, today=SCENARIO.today)) as test_client:
        route(test_client, upstream)
        upstream.forbidden = True
        response = test_client.post("/cds-services/patient-view", json=body(ALLOWED_FHIR, "observations"))
        assert response.status_code == 403
        upstream.forbidden = False
        response = test_client.post("/cds-services/patient-view",
                                    json=body("http://localhost:8081/fhir", "observations"))
        assert response.status_code == 200
    assert [request.url.host for request in upstream.seen] == ["localhost"]
