"""One exception hierarchy for everything a caller can get wrong or we cannot do; mapped to HTTP once, in `app`.

Each error carries its HTTP status and an OperationOutcome issue code, so the handler never has to guess.
Messages must be safe to show the caller: never a token, never patient data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Detail:
    """One more problem in an error: a message and, for a field, its path (FHIRPath-like, e.g. `context.patientId`),
    answered as the issue's `expression`."""

    message: str
    expression: str | None = None

    def issue(self, code: str) -> dict[str, Any]:
        issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": self.message}
        if self.expression:
            issue["expression"] = [self.expression]
        return issue


class CdsError(Exception):
    """Base of every error the service turns into a clear 4xx answer."""

    status_code: int = 400
    issue_code: str = "invalid"  # http://hl7.org/fhir/issue-type
    retry_after_seconds: int | None = None  # sent as `Retry-After` when the caller should simply try again

    def __init__(self, message: str, *, details: list[Detail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def operation_outcome(self) -> dict[str, Any]:
        """The error as a FHIR OperationOutcome (CDS Hooks 3.0-ballot recommends this shape for non-2xx)."""
        issues = [Detail(self.message).issue(self.issue_code), *(d.issue(self.issue_code) for d in self.details)]
        return {"resourceType": "OperationOutcome", "issue": issues}


class BadRequest(CdsError):
    """The body is not a valid CDS Hooks request (malformed JSON, wrong types, missing fields)."""


class PayloadTooLarge(CdsError):
    status_code = 413
    issue_code = "too-costly"


class RequestTimeout(CdsError):
    """The body did not arrive within its time: a stalled upload must not hold a connection for good."""

    status_code = 408
    issue_code = "timeout"


class Forbidden(CdsError):
    """Authenticated or not, this caller may not have it (an admin page with no admin token configured)."""

    status_code = 403
    issue_code = "forbidden"


class UnknownService(CdsError):
    status_code = 404
    issue_code = "not-found"


class NotAuthenticated(CdsError):
    """Any JWT failure. Answered as a bare 401: the caller learns nothing about which check failed."""

    status_code = 401
    issue_code = "login"

    def __init__(self, reason: str) -> None:
        super().__init__("authentication required")
        self.reason = reason  # for our logs only; never contains the token


class PrefetchUnavailable(CdsError):
    """Data a service needs was neither prefetched nor obtainable from the FHIR server (spec: 412).

    The answer names each key as "unavailable" only: why (refused connection, timeout, HTTP status) would let a
    caller who chooses `fhirServer` scan the networks we reach. The reasons go to our log (`fetch_errors`).
    """

    status_code = 412
    issue_code = "incomplete"

    def __init__(self, fetch_errors: dict[str, str]) -> None:
        super().__init__(
            "required FHIR data could not be obtained: " + ", ".join(sorted(fetch_errors)),
            details=[Detail(f"{key}: unavailable", f"prefetch.{key}") for key in sorted(fetch_errors)],
        )
        self.fetch_errors = fetch_errors


class FhirServerNotAllowed(CdsError):
    """Data had to be fetched, but `fhirServer` is not on the caller's allowlist: nothing was sent (403).

    Raised before any connection, so the EHR's token never reaches a server we were not told to trust. The
    message names neither the host nor the allowlist; our log has the issuer and the host.
    """

    status_code = 403
    issue_code = "forbidden"

    def __init__(self) -> None:
        super().__init__(
            "fhirServer is not an allowed FHIR server for this caller: send every prefetch key, or ask the "
            "operator to allow this FHIR server for your issuer"
        )


class StoreBusy(CdsError):
    """The database stayed locked by other writers past its wait: retry shortly (503 with `Retry-After`)."""

    status_code = 503
    issue_code = "transient"
    retry_after_seconds = 1
