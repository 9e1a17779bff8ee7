"""Attacks on the EHR's JWT through HTTP: every one a bare 401; genuine ES384 and RS384 tokens accepted, once each.

The service trusts two EHRs: one whose keys are pinned in settings, one whose keys it fetches from an allowlisted
JWKS URL (a real HTTP server). An attacker publishes its own key set too; the service must never fetch it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from tests.scenarios import SCENARIOS_DIR, load_scenario
from tests.security.jwks_server import JwksServer
from tests.support.log_capture import CapturedLogs

from .tally import ATTACKS_REFUSED, ATTACKS_TRIED, count
from .token_attacks import ATTACKER_JWKS_PATH, ATTACKS, FETCHED_JWKS_PATH, Keys, genuine, trusting_settings

BASE = "http://testserver"
HOOK = "/cds-services/patient-view"
FEEDBACK = "/cds-services/patient-view/feedback"
HOOK_BODY = load_scenario(SCENARIOS_DIR / "04-eyelid-twitching-mild-low-magnesium").request
FEEDBACK_BODY = json.loads((Path(__file__).parents[2] / "fixtures" / "sandbox" / "feedback-request.json").read_text())
BODIES = {HOOK: HOOK_BODY, FEEDBACK: FEEDBACK_BODY}


@pytest.fixture(scope="module")
def client(token_keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = trusting_settings(token_keys, tmp_path_factory.mktemp("token-attacks"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def post(client: TestClient, path: str, authorization: str | None) -> Any:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return client.post(path, json=BODIES[path], headers=headers)


def assert_bare_401(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.content == b""
    assert response.headers["www-authenticate"] == "Bearer"


def rejections(logs: CapturedLogs) -> list[str]:
    return [entry["reason"] for entry in map(json.loads, logs.text.splitlines()) if entry.get("msg") == "jwt rejected"]


@pytest.mark.parametrize("path", [HOOK, FEEDBACK])
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_every_attack_is_a_bare_401_from_the_check_it_targets(
    attack: str, path: str, client: TestClient, token_keys: Keys, jwks: JwksServer, logs: CapturedLogs
) -> None:
    response = post(client, path, ATTACKS[attack].build(token_keys, BASE + path))
    count(ATTACKS_TRIED)
    assert_bare_401(response)
    count(ATTACKS_REFUSED)
    assert rejections(logs) == [ATTACKS[attack].reason]
    assert jwks.hits(ATTACKER_JWKS_PATH) == 0


@pytest.mark.parametrize("path", [HOOK, FEEDBACK])
def test_genuine_tokens_are_accepted_once_and_refused_when_replayed(
    path: str, client: TestClient, token_keys: Keys, jwks: JwksServer
) -> None:
    for algorithm, authorization in genuine(token_keys, BASE + path).items():
        assert post(client, path, authorization).status_code == 200, algorithm
        count(ATTACKS_TRIED)
        assert_bare_401(post(client, path, authorization))
        count(ATTACKS_REFUSED)
    assert jwks.hits(FETCHED_JWKS_PATH) >= 1  # the second EHR's keys really came from its URL


def test_a_token_for_one_service_cannot_be_replayed_at_another(client: TestClient, token_keys: Keys) -> None:
    """Same `jti`, another URL: refused for its `aud` before the replay guard is even asked."""
    authorization = genuine(token_keys, BASE + HOOK)["ES384"]
    count(ATTACKS_TRIED)
    assert_bare_401(client.post("/cds-services/order-sign", json=HOOK_BODY, headers={"Authorization": authorization}))
    count(ATTACKS_REFUSED)
    assert post(client, HOOK, authorization).status_code == 200


def test_the_catalogue_is_substantial() -> None:
    assert len(ATTACKS) >= 40
