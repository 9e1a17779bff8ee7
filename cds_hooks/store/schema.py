"""The tables, as SQLAlchemy Core metadata. Migrations under `migrations/` create them; a test keeps both equal.

Timestamps are stored as UTC without a zone (`UtcDateTime`) so that SQLite (text) and PostgreSQL compare and
truncate them to days identically, whatever the session time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)

KEY = String(64)  # our own uuids, keyed hashes and idempotency keys (64 hex digits)
NAME_LENGTH = 200
NAME = String(NAME_LENGTH)  # ids chosen by others (card ids in feedback, hook instances), rule ids, codes, versions


class UtcDateTime(TypeDecorator[datetime]):
    """Accepts only aware datetimes, stores them as naive UTC, returns aware UTC."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the store needs timezone-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

issued_cards = Table(
    "issued_cards",
    metadata,
    Column("uuid", KEY, primary_key=True),
    Column("hook_instance", NAME, nullable=False),
    Column("service_id", NAME, nullable=False),
    Column("rule_id", NAME, nullable=False),
    Column("knowledge_version", NAME, nullable=False),
    Column("indicator", String(16), nullable=False),
    Column("suggestion_uuids", JSON, nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("patient_key", KEY, nullable=False),
    Column("user_key", KEY),
    Column("issuer_key", KEY),  # only this issuer may give feedback on the card; NULL: issued before 0002
    Column("suggestion_keys", JSON),  # stable key per suggestion, in suggestion_uuids order; NULL before 0004
    Index(None, "issued_at"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", KEY, nullable=False, unique=True),
    Column("service_id", NAME, nullable=False),
    Column("card_uuid", NAME, nullable=False),
    Column("card_known", Boolean, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("accepted_suggestions", JSON, nullable=False),
    Column("override_code", NAME),
    Column("override_system", Text),
    Column("override_comment", Text),  # clinician free text: may contain PHI, never shown or logged
    Column("outcome_timestamp", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index(None, "card_uuid"),
    Index(None, "outcome_timestamp"),
)

suppressions = Table(
    "suppressions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_key", KEY, nullable=False),
    Column("rule_id", NAME, nullable=False),
    Column("until", UtcDateTime, nullable=False),
    Column("reason", NAME, nullable=False),
    Column("indicator", String(16), nullable=False),
    Column("feedback_id", Integer, ForeignKey("feedback.id"), nullable=False),
    Index(None, "patient_key", "until"),
)

suppressed_events = Table(
    "suppressed_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule_id", NAME, nullable=False),
    Column("service_id", NAME, nullable=False),
    Column("patient_key", KEY, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("silent", Boolean, nullable=False, server_default=false()),  # a silent rule's card, not a snooze
    Index(None, "at"),
)

seen_jtis = Table(
    "seen_jtis",
    metadata,
    Column("claim_key", KEY, primary_key=True),  # sha256 of issuer and jti: fixed size whatever they hold
    Column("expires_at", UtcDateTime, nullable=False),
    Index(None, "expires_at"),
)
