"""EHR authentication through HTTP: which calls need a JWT, what `aud` must be, and a bare 401 for any failure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings, UnsafeConfiguration
from cryptography.hazmat.primitives.asymmetric import ec

from tests.security.tokens import SigningKey, bearer, claims, ec_key, pinned_issuer

SANDBOX = Path(__file__).parents[2] / "fixtures" / "sandbox"
BASE = "http://testserver"


def make_client(tmp_path: Path, *keys: SigningKey, **settings: Any) -> TestClient:
    config = Settings(
        profile="production", id_hash_secret="test", data_dir=tmp_path, trusted_issuers=[pinned_issuer(*keys)],
        **{"public_base_url": BASE, **settings},
    )
    return TestClient(create_app(config))


@pytest.fixture
def client(tmp_path: Path, es384: SigningKey, rs384: SigningKey) -> Iterator[TestClient]:
    with make_client(tmp_path, es384, rs384) as test_client:
        yield test_client


def order_sign() -> dict[str, Any]:
    body = json.loads((SANDBOX / "order-sign-request.json").read_text())
    # Every key null: nothing to fetch (the sandbox's fhirServer is not on this production issuer's allowlist).
    body["prefetch"] = {"patient": None, "observations": None, "conditions": None, "medications": None,
                        "medicationStatements": None}
    return body


def call(client: TestClient, key: SigningKey, *, aud: str, path: str = "/cds-services/order-sign") -> Any:
    return client.post(path, json=order_sign(), headers={"Authorization": bearer(key.mint(claims(aud=aud)))})


@pytest.mark.parametrize("alg", ["es384", "rs384"])
def test_valid_token_for_the_exact_url_is_accepted(client: TestClient, request: pytest.FixtureRequest, alg: str) -> None:
    key = request.getfixturevalue(alg)
    assert call(client, key, aud=f"{BASE}/cds-services/order-sign").status_code == 200


def test_missing_token_is_a_bare_401(client: TestClient) -> None:
    response = client.post("/cds-services/order-sign", json=order_sign())
    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "aud",
    [
        f"{BASE}/cds-services/order-select",  # another service
        f"{BASE}/cds-services/order-sign/",  # trailing slash
        f"{BASE}/cds-services",  # discovery
        "https://testserver/cds-services/order-sign",  # another scheme
    ],
)
def test_token_for_another_url_is_401(client: TestClient, es384: SigningKey, aud: str) -> None:
    response = call(client, es384, aud=aud)
    assert response.status_code == 401
    assert response.content == b""


def test_a_replayed_token_is_401(client: TestClient, es384: SigningKey) -> None:
    token = es384.mint(claims(aud=f"{BASE}/cds-services/order-sign"))
    headers = {"Authorization": bearer(token)}
    assert client.post("/cds-services/order-sign", json=order_sign(), headers=headers).status_code == 200
    assert client.post("/cds-services/order-sign", json=order_sign(), headers=headers).status_code == 401


def test_token_from_an_untrusted_key_is_401(client: TestClient) -> None:
    stranger = ec_key("ES384", ec.SECP384R1())
    assert call(client, stranger, aud=f"{BASE}/cds-services/order-sign").status_code == 401


def test_feedback_needs_a_token_for_the_feedback_url(client: TestClient, es384: SigningKey) -> None:
    body = json.loads((SANDBOX / "feedback-request.json").read_text())
    path = "/cds-services/order-sign/feedback"
    assert client.post(path, json=body).status_code == 401
    wrong = bearer(es384.mint(claims(aud=f"{BASE}/cds-services/order-sign")))
    assert client.post(path, json=body, headers={"Authorization": wrong}).status_code == 401
    right = bearer(es384.mint(claims(aud=f"{BASE}{path}")))
    assert client.post(path, json=body, headers={"Authorization": right}).status_code == 200


def test_discovery_is_open_by_default(client: TestClient) -> None:
    assert client.get("/cds-services").status_code == 200


def test_discovery_can_require_a_token(tmp_path: Path, es384: SigningKey) -> None:
    with make_client(tmp_path, es384, discovery_requires_auth=True) as client:
        assert client.get("/cds-services").status_code == 401
        token = bearer(es384.mint(claims(aud=f"{BASE}/cds-services")))
        assert client.get("/cds-services", headers={"Authorization": token}).status_code == 200


def test_behind_a_proxy_the_audience_is_the_public_url(tmp_path: Path, es384: SigningKey) -> None:
    public = "https://cds.example.org/twitch"
    with make_client(tmp_path, es384, public_base_url=public) as client:
        assert call(client, es384, aud=f"{BASE}/cds-services/order-sign").status_code == 401
        assert call(client, es384, aud=f"{public}/cds-services/order-sign").status_code == 200


def test_bad_input_is_still_authenticated_first(client: TestClient) -> None:
    """An unauthenticated caller learns nothing about the body: 401, not 400."""
    response = client.post("/cds-services/order-sign", content=b"{not json")
    assert response.status_code == 401


def test_production_without_trusted_issuers_refuses_to_start(tmp_path: Path) -> None:
    """It would look ready while refusing every call: the operator is told at start-up instead."""
    config = Settings(profile="production", public_base_url=BASE, id_hash_secret="test", data_dir=tmp_path)
    with pytest.raises(UnsafeConfiguration, match="FTCDS_TRUSTED_ISSUERS is empty"):
        create_app(config)
