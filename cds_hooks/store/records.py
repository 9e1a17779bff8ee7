"""The plain values that cross the store's boundary: what was issued, what came back, what is snoozed.

Patient and user ids arrive here only as keyed hashes (`keyed_hash`); the store never sees a raw id.
All datetimes must be timezone-aware; the store keeps them in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cards import Indicator

Outcome = Literal["accepted", "overridden"]
# unknown-suggestion: an acceptance naming a suggestion the card never had (stored for the audit trail, snoozes nothing)
FeedbackStatus = Literal["stored", "duplicate", "unknown-card", "unknown-suggestion"]


@dataclass(frozen=True)
class IssuedCard:
    """One card we sent to an EHR, remembered so feedback on its `uuid` can be traced to a rule and a patient."""

    uuid: str
    hook_instance: str
    service_id: str
    rule_id: str
    knowledge_version: str
    indicator: Indicator
    suggestion_uuids: tuple[str, ...]
    issued_at: datetime
    patient_key: str  # scoped to the tenant (issuer and FHIR server): see `feedback_loop.Tenant`
    user_key: str | None
    issuer_key: str | None = None  # keyed hash of the issuer the card went to; None for cards from before 0002
    suggestion_keys: tuple[str, ...] = ()  # the knowledge's stable key of each suggestion, in `suggestion_uuids` order


@dataclass(frozen=True)
class FeedbackRecord:
    """One item of a feedback POST, as the protocol layer parsed it.

    `override_comment` is the clinician's free text: it may contain PHI, so it is stored but never shown on the
    dashboard or written to logs.
    """

    card_uuid: str
    outcome: Outcome
    accepted_suggestions: tuple[str, ...]
    override_code: str | None
    override_system: str | None
    override_comment: str | None
    outcome_timestamp: datetime


@dataclass(frozen=True)
class FeedbackResult:
    card_uuid: str
    status: FeedbackStatus


@dataclass(frozen=True)
class Suppression:
    """A rule snoozed for one patient until `until`, because of `reason` (`accepted` or an override reason code).

    `indicator` is what the suppressed card said when it was snoozed; the caller decides whether a card that is
    (or has become) critical is shown anyway.
    """

    rule_id: str
    until: datetime
    reason: str
    indicator: Indicator


@dataclass(frozen=True)
class SuppressedCard:
    """A card a rule produced but did not return: held back by a snooze, or (`silent`) from a rule in silent mode,
    "would have fired"; counted by analytics."""

    rule_id: str
    service_id: str
    patient_key: str
    at: datetime
    silent: bool = False


@dataclass(frozen=True)
class Purged:
    """How many rows a retention purge removed (comments: feedback rows whose comment was erased)."""

    issued_cards: int
    feedback_comments: int
    jwt_ids: int
