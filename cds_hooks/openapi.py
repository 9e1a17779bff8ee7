"""The OpenAPI document (`/openapi.json`) as the wire really is, so that clients and fuzzers can trust it.

FastAPI cannot see everything by itself: the hook and feedback routes read their bodies themselves (to enforce the
size and depth limits before parsing, and to answer every problem as an OperationOutcome), and invalid parameters
are answered 400 with an OperationOutcome, never FastAPI's 422. So this module registers the request and response
schemas as components, generated from the pydantic models that do the validating (the document cannot drift from
the code), and the routes refer to them through `openapi_extra` and `responses`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .models import (
    CardsResponse,
    DiscoveryResponse,
    FeedbackRequest,
    HookRequest,
    OrderSelectContext,
    OrderSignContext,
    PatientViewContext,
)
from .store.records import FeedbackStatus

COMPONENTS = "#/components/schemas/"
JSON = "application/json"
EHR_JWT_SCHEME = "ehrJwt"


class _Described(BaseModel):
    """Response bodies the routes build as plain dicts, described here for the document only."""

    model_config = ConfigDict(extra="forbid")


class OutcomeIssue(_Described):
    severity: Literal["error"]
    code: str
    diagnostics: str
    expression: list[str] | None = Field(default=None, description="The path of the field at fault, if any.")


class OperationOutcome(_Described):
    """Every 4xx body the CDS routes send (except the bare 401): first issue the message, then one per detail."""

    resourceType: Literal["OperationOutcome"]
    issue: list[OutcomeIssue] = Field(min_length=1)


class FeedbackItemStatus(_Described):
    card: str
    status: FeedbackStatus


class FeedbackReceipt(_Described):
    feedback: list[FeedbackItemStatus]


class Liveness(_Described):
    status: Literal["ok"]


class Readiness(_Described):
    status: Literal["ready", "not ready"]
    knowledge_version: str
    store: Literal["reachable", "unreachable"]


class ErrorDetail(_Described):
    """FastAPI's own error body, sent by the analytics routes."""

    detail: str


_COMPONENT_MODELS: tuple[tuple[type[BaseModel], JsonSchemaMode], ...] = (
    (HookRequest, "validation"),
    (PatientViewContext, "validation"),
    (OrderSelectContext, "validation"),
    (OrderSignContext, "validation"),
    (FeedbackRequest, "validation"),
    (CardsResponse, "serialization"),
    (DiscoveryResponse, "serialization"),
    (FeedbackReceipt, "serialization"),
    (OperationOutcome, "serialization"),
    (Liveness, "serialization"),
    (Readiness, "serialization"),
    (ErrorDetail, "serialization"),
)
# FastAPI's 422 schemas, unused once validation errors are documented as the 400 they are.
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"{COMPONENTS}{model.__name__}"}


def json_body(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref(model)}}}


def _problem(description: str) -> dict[str, Any]:
    return json_body(OperationOutcome, description)


BARE_401 = {
    "description": "Authentication failed, for whatever reason: no body, so a caller learns nothing from it",
    "headers": {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}},
}
_EHR_SECURITY = [{EHR_JWT_SCHEME: []}]

HOOK_CALL: dict[str, Any] = {
    "requestBody": {"required": True, "content": {JSON: {"schema": ref(HookRequest)}}},
    "security": _EHR_SECURITY,
    "responses": {
        "200": json_body(CardsResponse, "The cards for this hook call (possibly none)"),
        "400": _problem("Not a valid CDS Hooks request for this service (malformed JSON, too deep, wrong fields)"),
        "401": BARE_401,
        "403": _problem("Data had to be fetched, but fhirServer is not on the caller's FHIR server allowlist "
                        "(nothing was sent to it)"),
        "404": _problem("No CDS service with this id"),
        "412": _problem("Required FHIR data was neither prefetched nor obtainable; the keys are named"),
        "413": _problem("Body, or the orders in it, over the configured limits"),
    },
}

FEEDBACK: dict[str, Any] = {
    "requestBody": {"required": True, "content": {JSON: {"schema": ref(FeedbackRequest)}}},
    "security": _EHR_SECURITY,
    "responses": {
        "200": json_body(FeedbackReceipt, "Every item stored durably (or found already stored)"),
        "400": _problem("Not valid CDS Hooks feedback"),
        "401": BARE_401,
        "404": _problem("No CDS service with this id"),
        "413": _problem("Body over the configured limit"),
    },
}

DISCOVERY: dict[str, Any] = {
    "responses": {
        "200": json_body(DiscoveryResponse, "The CDS services offered"),
        "401": BARE_401 | {"description": "Only when discovery requires a JWT (FTCDS_DISCOVERY_REQUIRES_AUTH)"},
    },
}

LIVENESS: dict[str, Any] = {"responses": {"200": json_body(Liveness, "The process is serving")}}
READINESS: dict[str, Any] = {
    "responses": {
        "200": json_body(Readiness, "Knowledge loaded and the store reachable"),
        "503": json_body(Readiness, "The store is unreachable"),
    },
}
HANDOUT: dict[str, Any] = {
    "responses": {"404": {"description": "No such handout", "content": {"text/html": {"schema": {"type": "string"}}}}}
}

ADMIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "Unusable query parameters (OperationOutcome) or an unusable date range (detail)",
        "content": {JSON: {"schema": {"anyOf": [ref(OperationOutcome), ref(ErrorDetail)]}}},
    },
    401: json_body(ErrorDetail, "The admin bearer token is missing or wrong"),
    403: json_body(ErrorDetail, "Production without FTCDS_ADMIN_TOKEN: analytics are disabled"),
}


def component_schemas() -> dict[str, Any]:
    """The JSON schemas of every request and response body, keyed by component name."""
    _, top = models_json_schema(_COMPONENT_MODELS, ref_template=COMPONENTS + "{model}")
    schemas: dict[str, Any] = top["$defs"]
    # `HookRequest` types `context` loosely (it depends on the hook); the document names the three shapes.
    contexts = [ref(PatientViewContext), ref(OrderSelectContext), ref(OrderSignContext)]
    schemas["HookRequest"]["properties"]["context"] = {"anyOf": contexts, "title": "Context"}
    return schemas


def _operations(document: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    for path_item in document.get("paths", {}).values():
        yield from path_item.values()


def _validation_errors_as_400(operation: dict[str, Any]) -> None:
    """Our handler answers parameter validation errors 400 with an OperationOutcome, never 422."""
    responses = operation.get("responses", {})
    if responses.pop("422", None) is not None:
        responses.setdefault("400", _problem("Invalid parameters"))


def _enumerate_service_ids(operation: dict[str, Any], service_ids: list[str]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter.get("name") == "service_id":
            parameter["schema"]["enum"] = service_ids
            parameter["description"] = "A service id from discovery; any other is answered 404"


def describe_wire(app: FastAPI, service_ids: Iterable[str]) -> None:
    """Make `app.openapi()` return the document with our components, security scheme, ids and 400s."""
    build_fastapi_document: Callable[[], dict[str, Any]] = app.openapi
    ids = list(service_ids)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build_fastapi_document()
            components = document.setdefault("components", {})
            schemas = components.setdefault("schemas", {})
            for name in _FASTAPI_VALIDATION_SCHEMAS:
                schemas.pop(name, None)
            schemas.update(component_schemas())
            components.setdefault("securitySchemes", {})[EHR_JWT_SCHEME] = {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "The EHR's JWT (CDS Hooks 2.0): signed by a trusted issuer, `aud` the URL called",
            }
            for operation in _operations(document):
                _validation_errors_as_400(operation)
                _enumerate_service_ids(operation, ids)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
