"""Small builders of store records for the store tests; every timestamp is explicit, none comes from the clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cds_hooks.store import FeedbackRecord, IssuedCard, Store, SuppressedCard

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
"""A fixed 'now' for tests."""


def issued_card(
    uuid: str = "card-1",
    *,
    rule_id: str = "electrolyte.magnesium.low",
    patient_key: str = "patient-a",
    service_id: str = "patient-view",
    indicator: str = "warning",
    issued_at: datetime = T0,
    knowledge_version: str = "2025.1",
) -> IssuedCard:
    return IssuedCard(
        uuid=uuid,
        hook_instance=f"hook-{uuid}",
        service_id=service_id,
        rule_id=rule_id,
        knowledge_version=knowledge_version,
        indicator=indicator,  # type: ignore[arg-type]
        suggestion_uuids=(f"{uuid}-s1", f"{uuid}-s2"),
        issued_at=issued_at,
        patient_key=patient_key,
        user_key="user-x",
    )


def overridden(
    card_uuid: str = "card-1",
    reason: str | None = "already-addressed",
    *,
    at: datetime = T0,
    comment: str | None = None,
) -> FeedbackRecord:
    return FeedbackRecord(
        card_uuid=card_uuid,
        outcome="overridden",
        accepted_suggestions=(),
        override_code=reason,
        override_system="urn:facial-twitch-cds:override-reason" if reason else None,
        override_comment=comment,
        outcome_timestamp=at,
    )


def accepted(card_uuid: str = "card-1", *suggestions: str, at: datetime = T0) -> FeedbackRecord:
    return FeedbackRecord(
        card_uuid=card_uuid,
        outcome="accepted",
        accepted_suggestions=suggestions or (f"{card_uuid}-s1",),
        override_code=None,
        override_system=None,
        override_comment=None,
        outcome_timestamp=at,
    )


def days(n: float) -> timedelta:
    return timedelta(days=n)


SCENARIO = Path(__file__).parent / "data" / "analytics-scenario.json"


def load_scenario(store: Store) -> dict[str, Any]:
    """Write the analytics scenario's cards, feedback and suppressions into `store`; returns the scenario."""
    scenario = json.loads(SCENARIO.read_text())
    store.record_issued(
        [
            issued_card(c["uuid"], rule_id=c["rule_id"], service_id=c["service_id"], patient_key=c["patient_key"],
                        issued_at=datetime.fromisoformat(c["issued_at"]), knowledge_version=c["knowledge_version"])
            for c in scenario["issued"]
        ]
    )
    for f in scenario["feedback"]:
        at = datetime.fromisoformat(f["at"])
        if f["outcome"] == "accepted":
            store.save_feedback(f["service_id"], [accepted(f["card"], *f.get("suggestions", ()), at=at)])
        else:
            store.save_feedback(f["service_id"], [overridden(f["card"], f.get("reason"), at=at)])
    store.record_suppressed(
        [
            SuppressedCard(s["rule_id"], s["service_id"], s["patient_key"], datetime.fromisoformat(s["at"]))
            for s in scenario["suppressed"]
        ]
    )
    return scenario
