"""Schemathesis against the service's own OpenAPI document, in-process: no 5xx, and every answer as documented.

Two passes. With authentication off, generated bodies reach the parsers and the engine (valid and invalid ones).
With authentication required, nothing generated carries a valid JWT, so every EHR operation must refuse it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import settings
from schemathesis import checks
from schemathesis.python.asgi import shutdown_lifespans

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.security.tokens import ISSUER

from .budget import examples
from .tally import INPUTS, count

EHR_OPERATIONS = r"^/cds-services/\{service_id\}"


def open_settings(data_dir: Path) -> Settings:
    return Settings(profile="development", auth="off", data_dir=data_dir)


def guarded_settings(data_dir: Path) -> Settings:
    no_keys = {"iss": ISSUER, "jwks": {"keys": []}}
    return Settings(profile="production", public_base_url="http://testserver", id_hash_secret="fuzz", data_dir=data_dir, trusted_issuers=[no_keys])


# The document does not depend on settings; building the app touches no data directory before it starts.
DOCUMENT = create_app(open_settings(Path("unused"))).openapi()
OPEN_SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPEN_SCHEMA.config.generation.update(with_security_parameters=False)  # authentication is off: send no JWT
GUARDED_SCHEMA = schemathesis.openapi.from_dict(DOCUMENT).include(path_regex=EHR_OPERATIONS)

# Not failures, for reasons the schema cannot express:
# - a schema-valid request may still be refused (400) by rules beyond JSON Schema: `hook` must be the service's
#   hook, the analytics range is at most 366 days;
# - a schema-invalid request may be accepted: the service is tolerant on the way in by design (pydantic's lax
#   mode takes "5" for an integer and a Unix time for a date-time; requests keep unknown fields). Invalid input
#   is still generated and sent: it must never cause a 5xx, and every answer must still conform;
# - with authentication off the JWT the document requires is neither sent nor checked (the second pass checks it).
TOLERANT_BY_DESIGN = [checks.positive_data_acceptance, checks.negative_data_rejection]
NOT_APPLICABLE_WITH_AUTH_OFF = [checks.missing_required_header, checks.ignored_auth]


@pytest.fixture(scope="module")
def open_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    yield create_app(open_settings(tmp_path_factory.mktemp("fuzz-open")))
    shutdown_lifespans()


@pytest.fixture(scope="module")
def guarded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    yield create_app(guarded_settings(tmp_path_factory.mktemp("fuzz-guarded")))
    shutdown_lifespans()


def aligned_with_service(case: schemathesis.Case) -> None:
    """The one rule the document cannot state: a hook request names the hook of the service it is posted to.

    Only schema-valid (positive) cases are aligned: a deliberately invalid one must stay invalid.
    """
    body: Any = case.body
    service_id = (case.path_parameters or {}).get("service_id")
    positive = case.meta is not None and case.meta.generation.mode is schemathesis.GenerationMode.POSITIVE
    if positive and service_id is not None and isinstance(body, dict) and "hook" in body:
        body["hook"] = service_id


@OPEN_SCHEMA.parametrize()
@settings(max_examples=examples(40, 1000), deadline=None)
def test_every_operation_answers_as_documented_and_never_5xx(case: schemathesis.Case, open_app: FastAPI) -> None:
    aligned_with_service(case)
    excluded = TOLERANT_BY_DESIGN + NOT_APPLICABLE_WITH_AUTH_OFF
    response = case.call_and_validate(app=open_app, excluded_checks=excluded)
    count(INPUTS)
    assert response.status_code < 500


@GUARDED_SCHEMA.parametrize()
@settings(max_examples=examples(25, 300), deadline=None)
def test_without_a_valid_jwt_every_ehr_operation_is_refused(case: schemathesis.Case, guarded_app: FastAPI) -> None:
    aligned_with_service(case)
    response = case.call_and_validate(app=guarded_app, excluded_checks=TOLERANT_BY_DESIGN)
    count(INPUTS)
    assert response.status_code in (401, 404, 405, 413), response.text
    if response.status_code == 401:
        assert response.content == b""
