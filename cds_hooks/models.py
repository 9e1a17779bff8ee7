"""CDS Hooks 2.0 wire models: tolerant on the way in, strict on the way out.

Requests accept unknown fields and `extension` (the spec reserves it for custom data). Responses forbid extras and
are serialized without `None`, so no element is ever null; empty optional lists are never built (see `response`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator


class _Inbound(BaseModel):
    """Base for everything the EHR sends: unknown fields are tolerated and kept."""

    model_config = ConfigDict(extra="allow")


class _Outbound(BaseModel):
    """Base for everything we send: no stray fields."""

    model_config = ConfigDict(extra="forbid")


# --- requests -------------------------------------------------------------------------------------------------------


class FhirAuthorization(_Inbound):
    """The EHR's access token for its FHIR server.

    The spec requires `expires_in`, `scope` and `subject`, but a fallback fetch needs only the token, and when
    every key was prefetched not even that: EHRs that leave them out still get cards (the deviation is logged,
    see `spec_deviations`).
    """

    access_token: str = Field(min_length=1, repr=False)
    token_type: Literal["Bearer"]
    expires_in: int | None = None
    scope: str | None = None
    subject: str | None = None
    patient: str | None = None

    def spec_deviations(self) -> list[str]:
        """The fields CDS Hooks 2.0 requires that this authorization lacks."""
        return [name for name in ("expires_in", "scope", "subject") if getattr(self, name) is None]

    @field_validator("token_type", mode="before")
    @classmethod
    def _bearer_any_case(cls, value: Any) -> Any:
        return "Bearer" if isinstance(value, str) and value.lower() == "bearer" else value


class PatientContext(_Inbound):
    """Context fields common to patient-view, order-select and order-sign."""

    userId: str = Field(min_length=1)
    patientId: str = Field(min_length=1)
    encounterId: str | None = None


class PatientViewContext(PatientContext):
    pass


class OrderSignContext(PatientContext):
    draftOrders: dict[str, Any]

    @field_validator("draftOrders")
    @classmethod
    def _must_be_bundle(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("resourceType") != "Bundle":
            raise ValueError("draftOrders must be a FHIR Bundle")
        if not isinstance(value.get("entry", []), list):
            raise ValueError("draftOrders.entry must be an array")
        return value


class OrderSelectContext(OrderSignContext):
    selections: list[str] = Field(min_length=1)


class HookRequest(_Inbound):
    """The body of `POST /cds-services/{id}`; `context` is typed per hook by `parse_context`."""

    hook: str = Field(min_length=1)
    hookInstance: str = Field(min_length=1)
    fhirServer: HttpUrl | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None
    extension: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _server_needed_for_authorization(self) -> HookRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirServer is required when fhirAuthorization is present")
        return self


class Hook(StrEnum):
    """The hooks this service answers."""

    PATIENT_VIEW = "patient-view"
    ORDER_SELECT = "order-select"
    ORDER_SIGN = "order-sign"


CONTEXT_MODELS: dict[Hook, type[PatientContext]] = {
    Hook.PATIENT_VIEW: PatientViewContext,
    Hook.ORDER_SELECT: OrderSelectContext,
    Hook.ORDER_SIGN: OrderSignContext,
}


# --- responses ------------------------------------------------------------------------------------------------------


class Coding(_Outbound):
    system: str
    code: str
    display: str | None = None


class Source(_Outbound):
    label: str
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Action(_Outbound):
    """`create`/`update` carry the whole `resource`; `delete` names its target by `resourceId`, a relative reference
    (`MedicationRequest/abc`) - a string, not a list (CDS Hooks 2.0 Action table)."""

    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None
    resourceId: str | None = Field(default=None, pattern=r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")

    @model_validator(mode="after")
    def _what_the_action_acts_on(self) -> Action:
        if self.type == "delete" and (self.resourceId is None or self.resource is not None):
            raise ValueError("a delete action names its target by resourceId, without a resource")
        if self.type != "delete" and self.resource is None:
            raise ValueError(f"a {self.type} action carries the resource")
        return self


class Suggestion(_Outbound):
    label: str
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(_Outbound):
    label: str
    url: str
    type: Literal["absolute", "smart"]
    appContext: str | None = None


class Card(_Outbound):
    uuid: str
    summary: str = Field(max_length=139)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _selection_behavior_with_suggestions(self) -> Card:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("selectionBehavior is required when suggestions are present")
        return self


class CardsResponse(_Outbound):
    cards: list[Card]


class ServiceDefinition(_Outbound):
    hook: str
    title: str
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None
    extension: dict[str, Any] | None = None


class DiscoveryResponse(_Outbound):
    services: list[ServiceDefinition]


# --- feedback -------------------------------------------------------------------------------------------------------


# Ids and codes are bounded: the store keeps them in indexed columns of that width.
ID_MAX_LENGTH = 200


class AcceptedSuggestion(_Inbound):
    id: str = Field(min_length=1, max_length=ID_MAX_LENGTH)


class OverrideCoding(_Inbound):
    """The reason Coding; the sandbox may omit `display`, so only `code` is required."""

    code: str = Field(min_length=1, max_length=ID_MAX_LENGTH)
    system: str | None = None
    display: str | None = None


class OverrideReason(_Inbound):
    reason: OverrideCoding | None = None
    userComment: str | None = None


class FeedbackItem(_Inbound):
    card: str = Field(min_length=1, max_length=ID_MAX_LENGTH)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: datetime

    @model_validator(mode="after")
    def _accepted_needs_suggestions(self) -> FeedbackItem:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("acceptedSuggestions is required when outcome is 'accepted'")
        return self

    @field_validator("outcomeTimestamp")
    @classmethod
    def _timezone_required(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("outcomeTimestamp must carry a time zone (RFC 3339, UTC)")
        try:
            value.astimezone(UTC)  # the store keys feedback on the UTC time; year 1 or 9999 may not convert
        except OverflowError:
            raise ValueError("outcomeTimestamp is out of range") from None
        return value


class FeedbackRequest(_Inbound):
    feedback: list[FeedbackItem] = Field(min_length=1)
