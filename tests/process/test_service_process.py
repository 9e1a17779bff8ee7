"""The service as operators run it: a real uvicorn process, a real FHIR server, several worker processes."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import date
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from cds_hooks.store import Store
from cds_hooks.store.schema import feedback
from tests.scenarios import SCENARIOS_DIR, load_scenario
from tests.security.tokens import bearer, claims, ec_key, key_set
from tests.support.dates import shift_dates
from tests.support.fhir_fixtures import running_fhir_server
from tests.support.service_process import development_env, running_service

pytestmark = pytest.mark.process

ISSUER = "https://ehr.example.org"


def patient_view_without_prefetch(fhir_server: str, patient_id: str) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": fhir_server,
        "context": {"userId": "Practitioner/dr-1", "patientId": patient_id},
    }


def test_served_service_fetches_missing_data_from_a_real_fhir_server_and_verifies_the_jwt(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS_DIR / "05-low-magnesium-and-potassium")
    chart = shift_dates(scenario.request["prefetch"], date.today() - scenario.today)
    data_file = tmp_path / "chart.json"
    data_file.write_text(json.dumps({**scenario.request, "prefetch": chart}))
    patient_id = scenario.request["context"]["patientId"]
    key = ec_key("ES384", ec.SECP384R1())
    env = {
        "FTCDS_PROFILE": "production",
        "FTCDS_TRUSTED_ISSUERS": json.dumps(
            [{"iss": ISSUER, "jwks": key_set(key.public_jwk()), "fhir_servers": ["http://127.0.0.1:*"]}]
        ),
        "FTCDS_ID_HASH_SECRET": "process-test",
        "FTCDS_DATA_DIR": str(tmp_path / "data"),
        "FTCDS_FETCH_TIMEOUT_MS": "3000",
        "FTCDS_REQUEST_BUDGET_MS": "5000",
    }
    with (
        running_fhir_server(data_file) as fhir_server,
        running_service(env, tmp_path / "service.log") as service,
        httpx.Client(base_url=service.base_url) as client,
    ):
        discovery = client.get("/cds-services")
        assert discovery.status_code == 200
        assert {s["id"] for s in discovery.json()["services"]} == {"patient-view", "order-select", "order-sign"}

        url = f"{service.base_url}/cds-services/patient-view"
        body = patient_view_without_prefetch(fhir_server.base_url, patient_id)
        assert client.post("/cds-services/patient-view", json=body).status_code == 401

        token = key.mint(claims(iss=ISSUER, aud=url))
        response = client.post("/cds-services/patient-view", json=body, headers={"Authorization": bearer(token)})
        assert response.status_code == 200, response.text
        cards = Counter((card["source"]["topic"]["code"], card["indicator"]) for card in response.json()["cards"])
        assert cards == scenario.expected_cards

        metrics = client.get("/metrics").text
        assert 'ftcds_cards_issued_total{rule="electrolyte.potassium.low",service="patient-view"} 1.0' in metrics

    logs = service.logs()
    entries = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    calls = [entry for entry in entries if entry.get("msg") == "hook call"]
    assert [call["status"] for call in calls] == [401, 200]
    assert calls[1]["prefetch"] == dict.fromkeys(
        ["patient", "observations", "conditions", "medications", "medicationStatements"], "fetched")
    assert token not in logs
    assert patient_id not in logs, "raw patient ids must never be logged"


def order_sign_request() -> dict[str, Any]:
    body = json.loads((SCENARIOS_DIR.parent / "sandbox" / "order-sign-request.json").read_text())
    body["prefetch"] = dict.fromkeys(["patient", "observations", "conditions", "medications"])
    return body


def test_two_workers_store_concurrent_feedback_exactly_once_and_add_up_their_metrics(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = development_env(data_dir)
    items = [
        {"card": f"card-{n}", "outcome": "overridden", "outcomeTimestamp": f"2026-11-25T09:{n // 60:02d}:{n % 60:02d}Z"}
        for n in range(300)
    ]
    posts = items + items  # every item twice, racing itself across the two workers

    def post(item: dict[str, Any]) -> str:
        with httpx.Client(base_url=service.base_url, timeout=30) as client:  # a fresh connection each time
            response = client.post("/cds-services/patient-view/feedback", json={"feedback": [item]})
            response.raise_for_status()
            return str(response.json()["feedback"][0]["status"])

    def call_hook(_: int) -> int:
        with httpx.Client(base_url=service.base_url, timeout=30) as client:
            return client.post("/cds-services/order-sign", json=order_sign_request()).status_code

    with running_service(env, tmp_path / "service.log", workers=2) as service:
        with ThreadPoolExecutor(max_workers=24) as pool:
            statuses = list(pool.map(post, posts))
            assert set(pool.map(call_hook, range(20))) == {200}
        metrics = httpx.get(f"{service.base_url}/metrics").text
    # Twenty calls spread over two workers: only metrics aggregated across workers add up to twenty.
    assert 'ftcds_request_seconds_count{endpoint="hook",service="order-sign",status="200"} 20.0' in metrics

    assert len(statuses) == 600
    assert statuses.count("duplicate") == 300
    store = Store.open(f"sqlite:///{data_dir / 'facial-twitch-cds.sqlite3'}")
    try:
        with store.engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(feedback)).scalar_one()
            distinct = connection.execute(select(func.count(func.distinct(feedback.c.card_uuid)))).scalar_one()
    finally:
        store.close()
    assert (stored, distinct) == (300, 300)
