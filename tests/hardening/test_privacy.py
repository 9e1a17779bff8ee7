"""No patient name, raw patient id, access token or JWT in any log line, whatever the service is put through.

With the production logging set-up at DEBUG, one capture spans: every golden scenario (prefetched, and fetched
from a real FHIR server with an access token), every FHIR server fault, every token attack and the genuine
tokens, and feedback whose free-text comment names the patient. The real-process tests scan their own log files.
"""

from __future__ import annotations

import copy
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.scenarios import SCENARIOS_DIR, Scenario, load_scenarios
from tests.security.jwks_server import JwksServer
from tests.support.fhir_fixtures import FhirTestServer, running_fhir_server
from tests.support.fhir_server import FAULTS
from tests.support.log_capture import production_logs
from tests.support.secrets_in_logs import Secrets

from .tally import LOG_LINES, count
from .token_attacks import ATTACKS, Keys, genuine, trusting_settings

pytestmark = pytest.mark.process

SCENARIOS = load_scenarios()
BASE = "http://testserver"


def without_prefetch(scenario: Scenario, fhir_url: str, token: str) -> dict[str, Any]:
    body = {key: value for key, value in copy.deepcopy(scenario.request).items() if key != "prefetch"}
    body["fhirServer"] = fhir_url
    body["fhirAuthorization"] = {
        "access_token": token, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read", "subject": "cds",
    }
    return body


def feedback_naming_the_patient(scenario: Scenario) -> dict[str, Any]:
    """Clinicians write anything in a comment, the patient's name and id included: stored, never logged."""
    patient = scenario.request["prefetch"]["patient"]
    name = patient["name"][0]
    comment = f"{' '.join(name.get('given', []))} {name.get('family', '')} ({patient['id']}) declined"
    return {
        "feedback": [
            {
                "card": str(uuid.uuid4()),
                "outcome": "overridden",
                "outcomeTimestamp": "2026-11-25T09:00:00Z",
                "overrideReason": {"reason": {"code": "patient-declined"}, "userComment": comment},
            }
        ]
    }


def replay_clinical_traffic(client: TestClient, server: FhirTestServer, tokens: list[str]) -> int:
    """Every scenario prefetched and fetched, every fault, feedback with PHI; returns the hook calls made."""
    calls = 0
    for scenario in SCENARIOS:
        assert client.post(f"/cds-services/{scenario.hook}", json=scenario.request).status_code == 200
        tokens.append(f"privacy-{uuid.uuid4().hex}")
        fetched_body = without_prefetch(scenario, server.endpoint().url, tokens[-1])
        fetched = client.post(f"/cds-services/{scenario.hook}", json=fetched_body)
        assert fetched.status_code in (200, 412)
        calls += 2
    with_patient = next(s for s in SCENARIOS if isinstance(s.request["prefetch"].get("patient"), dict))
    for fault in FAULTS:
        tokens.append(f"privacy-{uuid.uuid4().hex}")
        fhir_url = server.endpoint(fault=fault, next_port=server.port).url
        response = client.post("/cds-services/patient-view", json=without_prefetch(with_patient, fhir_url, tokens[-1]))
        assert response.status_code in (200, 412)
        calls += 1
    assert client.post("/cds-services/patient-view/feedback", json=feedback_naming_the_patient(with_patient)).is_success
    return calls


def replay_token_traffic(client: TestClient, keys: Keys) -> int:
    """Every attack, then each genuine token twice (accepted, then refused as a replay); returns the calls made."""
    path = "/cds-services/patient-view"
    body = next(s for s in SCENARIOS if s.hook == "patient-view").request
    calls = 0
    for attack in ATTACKS.values():
        authorization = attack.build(keys, BASE + path)
        headers = {"Authorization": authorization} if authorization is not None else {}
        assert client.post(path, json=body, headers=headers).status_code == 401
        calls += 1
    for authorization in genuine(keys, BASE + path).values():
        statuses = [client.post(path, json=body, headers={"Authorization": authorization}).status_code for _ in "ab"]
        assert statuses == [200, 401]
        calls += 2
    return calls


def test_no_log_line_names_a_patient_or_holds_a_token(
    tmp_path: Path, token_keys: Keys, jwks: JwksServer, fixture_secrets: Secrets
) -> None:
    tokens: list[str] = []
    open_settings = Settings(profile="development", auth="off", data_dir=tmp_path / "open")
    with production_logs() as logs, running_fhir_server(SCENARIOS_DIR) as server:
        with TestClient(create_app(open_settings)) as client:
            calls = replay_clinical_traffic(client, server, tokens)
        with TestClient(create_app(trusting_settings(token_keys, tmp_path / "guarded"))) as client:
            calls += replay_token_traffic(client, token_keys)

    entries = [json.loads(line) for line in logs.text.splitlines()]
    count(LOG_LINES, len(entries))
    assert sum(entry["msg"] == "hook call" for entry in entries) == calls  # the capture saw every request ...
    assert any(entry["msg"] == "fhir fetch" for entry in entries)
    assert any(entry["msg"] == "jwt rejected" for entry in entries)
    assert fixture_secrets.with_tokens(*tokens).found_in(logs.text) == []  # ... and none of them leaked


def test_the_scan_finds_each_kind_of_secret_in_a_production_log_line(fixture_secrets: Secrets) -> None:
    """The control for the test above: a line that does leak is caught, whatever leaked."""
    scenario = next(s for s in SCENARIOS if isinstance(s.request["prefetch"].get("patient"), dict))
    patient = scenario.request["prefetch"]["patient"]
    leaks = {
        "name": patient["name"][0]["family"],
        "id": patient["id"],
        "token": "opaque-access-token-123",
        "jwt": "eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJ4In0.c2ln",
    }
    secrets = fixture_secrets.with_tokens(leaks["token"])
    for kind, value in leaks.items():
        with production_logs() as logs:
            logging.getLogger("cds_hooks.request").info("hook call", extra={"fields": {kind: value}})
        assert len(secrets.found_in(logs.text)) == 1, kind
