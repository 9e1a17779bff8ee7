"""The store: issued cards, feedback, suppressions and seen JWT ids, in SQLite or PostgreSQL through one code path.

Choices a caller should know:

- **Feedback is idempotent.** Its key is (card uuid, outcome, outcome timestamp, accepted suggestions, override
  code); the same feedback posted twice is stored once and the second answer is `duplicate`. `save_feedback`
  commits before it returns, so feedback the service acknowledged is never lost.
- **Feedback on a card we never issued** (unknown uuid, or a card issued by another service) is still stored, for
  the audit trail, flagged unknown and answered `unknown-card`; it snoozes nothing and analytics do not count it.
  Issued cards are written in the background (`IssuedCardRecorder`), so feedback arriving within a few hundred
  milliseconds of its card can be reported unknown.
- **Feedback snoozes a rule for a patient** (see `SuppressionPolicy`). The snooze window starts at the outcome
  timestamp, or now if that lies in the future, so a skewed clock cannot stretch it.
- **Critical cards are never silently dropped by the store.** `suppressed_rules` returns every live snooze with
  the indicator the snoozed card had; the caller decides, and shows a critical card anyway (with a note).
- **Clinician comments may contain PHI.** They are stored as given, never logged, never shown on the dashboard.
- Patient and user ids arrive only as keyed hashes (`keyed_hash`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, Table, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from .analytics import Analytics, query_analytics
from .connect import create_store_engine, lock_contention_as_busy, writer
from .policy import SuppressionPolicy
from .records import FeedbackRecord, FeedbackResult, IssuedCard, Purged, SuppressedCard, Suppression
from .revision import at_head
from .schema import NAME_LENGTH, feedback, issued_cards, seen_jtis, suppressed_events, suppressions
from .suppression_cache import SUPPRESSION_CHANNEL, live

log = logging.getLogger("cds_hooks.store")


def utc_now() -> datetime:
    return datetime.now(UTC)


Clock = Callable[[], datetime]


class Store:
    def __init__(self, engine: Engine, policy: SuppressionPolicy, jti_prune_interval: timedelta,
                 clock: Clock = utc_now) -> None:
        """`clock` is the one "now" of feedback, snoozes, card records and JWT id claims (tests move it)."""
        self.now = clock
        self._engine = engine
        self._writer = writer(engine)
        self._policy = policy
        self._jti_prune_interval = jti_prune_interval.total_seconds()
        self._next_jti_prune = time.monotonic()
        self._prune_lock = threading.Lock()

    @classmethod
    def open(
        cls,
        url: str,
        *,
        policy: SuppressionPolicy | None = None,
        jti_prune_interval: timedelta = timedelta(minutes=5),
        clock: Clock = utc_now,
    ) -> Store:
        """Connect (lazily) to `sqlite:///path` or `postgresql+psycopg://…`; call `upgrade` before first use."""
        return cls(create_store_engine(url), policy or SuppressionPolicy(), jti_prune_interval, clock)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for diagnostics and tests."""
        return self._engine

    def upgrade(self) -> None:
        """Migrate the schema to the newest revision; a no-op when it is there, safe when workers race. Alembic is
        imported only when there is something to migrate (`revision`)."""
        if at_head(self._engine):
            return
        from .migrate import upgrade_to_head

        upgrade_to_head(self._engine)

    def at_head(self) -> bool:
        """Whether the schema is at the newest revision (one query, no Alembic)."""
        return at_head(self._engine)

    def ping(self) -> bool:
        try:
            with self._engine.connect() as connection:
                return connection.execute(text("SELECT 1")).scalar_one() == 1
        except SQLAlchemyError as error:
            log.warning("store unreachable", extra={"fields": {"error": type(error).__name__}})
            return False

    def close(self) -> None:
        self._engine.dispose()

    # --- cards --------------------------------------------------------------------------------------------------

    def record_issued(self, cards: Sequence[IssuedCard]) -> None:
        """Remember issued cards; a uuid already recorded is left as it is."""
        if not cards:
            return
        rows = [
            {
                "uuid": card.uuid,
                "hook_instance": card.hook_instance,
                "service_id": card.service_id,
                "rule_id": card.rule_id,
                "knowledge_version": card.knowledge_version,
                "indicator": card.indicator,
                "suggestion_uuids": list(card.suggestion_uuids),
                "issued_at": card.issued_at,
                "patient_key": card.patient_key,
                "user_key": card.user_key,
                "issuer_key": card.issuer_key,
                "suggestion_keys": list(card.suggestion_keys),
            }
            for card in cards
        ]
        with self._writer.begin() as connection:
            connection.execute(self._insert_ignoring_duplicates(issued_cards, "uuid"), rows)

    def record_suppressed(self, events: Sequence[SuppressedCard]) -> None:
        """Count cards that suppression held back, and silent rules' cards (for analytics)."""
        if not events:
            return
        rows = [
            {"rule_id": e.rule_id, "service_id": e.service_id, "patient_key": e.patient_key, "at": e.at,
             "silent": e.silent}
            for e in events
        ]
        with self._writer.begin() as connection:
            connection.execute(insert(suppressed_events), rows)

    # --- feedback and suppression -------------------------------------------------------------------------------

    def save_feedback(self, service_id: str, items: Sequence[FeedbackRecord],
                      issuer_key: str | None = None) -> list[FeedbackResult]:
        """Store feedback idempotently and snooze what it asks to snooze; committed when this returns. With
        `issuer_key`, a card issued to another issuer counts as unknown (cards from before 0002 carry none)."""
        for item in items:
            _require_fits("card uuid", item.card_uuid)
            _require_fits("override reason code", item.override_code)
        received_at = self.now()
        with lock_contention_as_busy(), self._writer.begin() as connection:
            cards = _issued_by(connection, service_id, {item.card_uuid for item in items}, issuer_key)
            return [
                self._save_one(connection, service_id, item, cards.get(item.card_uuid), received_at)
                for item in items
            ]

    def _save_one(
        self, connection: Connection, service_id: str, item: FeedbackRecord, card: Row[Any] | None,
        received_at: datetime,
    ) -> FeedbackResult:
        feedback_id = connection.execute(
            self._insert_ignoring_duplicates(feedback, "idempotency_key")
            .values(
                idempotency_key=_idempotency_key(item),
                service_id=service_id,
                card_uuid=item.card_uuid,
                card_known=card is not None,
                outcome=item.outcome,
                accepted_suggestions=list(item.accepted_suggestions),
                override_code=item.override_code,
                override_system=item.override_system,
                override_comment=item.override_comment,
                outcome_timestamp=item.outcome_timestamp,
                received_at=received_at,
            )
            .returning(feedback.c.id)
        ).scalar_one_or_none()
        if feedback_id is None:
            return FeedbackResult(item.card_uuid, "duplicate")
        if card is None:
            return FeedbackResult(item.card_uuid, "unknown-card")
        if not set(item.accepted_suggestions) <= set(card.suggestion_uuids):
            return FeedbackResult(item.card_uuid, "unknown-suggestion")
        until = self._policy.until(item.outcome, item.override_code, min(item.outcome_timestamp, received_at))
        if until is not None:
            connection.execute(
                insert(suppressions).values(
                    patient_key=card.patient_key,
                    rule_id=card.rule_id,
                    until=until,
                    reason=self._policy.reason(item.outcome, item.override_code),
                    indicator=card.indicator,
                    feedback_id=feedback_id,
                )
            )
            if connection.dialect.name == "postgresql":
                # Delivered on commit, to every instance's suppression cache (see `suppression_cache`).
                connection.execute(select(func.pg_notify(SUPPRESSION_CHANNEL, card.patient_key)))
        return FeedbackResult(item.card_uuid, "stored")

    def suppressed_rules(self, patient_key: str, now: datetime) -> dict[str, Suppression]:
        """The rules snoozed for this patient at `now`, each with its longest-running snooze (one indexed query)."""
        return live(self.suppressions_after(patient_key, now), now)

    def suppressions_after(self, patient_key: str, now: datetime) -> list[Suppression]:
        """The patient's snoozes running past `now`, in order of `until` (what the suppression cache keeps)."""
        query = (
            select(suppressions.c.rule_id, suppressions.c.until, suppressions.c.reason, suppressions.c.indicator)
            .where(suppressions.c.patient_key == patient_key, suppressions.c.until > now)
            .order_by(suppressions.c.until)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [Suppression(row.rule_id, row.until, row.reason, row.indicator) for row in rows]

    # --- JWT replay guard ---------------------------------------------------------------------------------------

    def claim_jti(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        """True the first time (issuer, jti) is seen while a claim on it is live; `expires_at` ends the claim.

        Pass the token's `exp` plus the allowed clock leeway: until then a replay must be refused. Works across
        processes: the primary key decides, whichever worker gets there first wins.
        """
        now = self.now()
        key = hashlib.sha256(json.dumps([issuer, jti]).encode()).hexdigest()
        with lock_contention_as_busy(), self._writer.begin() as connection:
            inserted = connection.execute(
                self._insert_ignoring_duplicates(seen_jtis, "claim_key")
                .values(claim_key=key, expires_at=expires_at)
                .returning(seen_jtis.c.claim_key)
            ).first()
            claimed = inserted is not None or self._take_over_expired_claim(connection, key, expires_at, now)
        self._prune_jtis_when_due(now)
        return claimed

    @staticmethod
    def _take_over_expired_claim(connection: Connection, key: str, expires_at: datetime, now: datetime) -> bool:
        # A claim that has run out guards nothing, whether or not pruning has removed it yet.
        taken = connection.execute(
            update(seen_jtis)
            .where(seen_jtis.c.claim_key == key, seen_jtis.c.expires_at <= now)
            .values(expires_at=expires_at)
        )
        return taken.rowcount == 1

    def prune_expired_jtis(self, now: datetime) -> int:
        """Forget claims that ran out before `now`; returns how many."""
        with self._writer.begin() as connection:
            return connection.execute(seen_jtis.delete().where(seen_jtis.c.expires_at <= now)).rowcount

    def _prune_jtis_when_due(self, now: datetime) -> None:
        """Housekeeping after a claim; a failure here must not fail the request whose token was just claimed."""
        with self._prune_lock:
            if time.monotonic() < self._next_jti_prune:
                return
            self._next_jti_prune = time.monotonic() + self._jti_prune_interval
        try:
            self.prune_expired_jtis(now)
        except SQLAlchemyError as error:
            log.warning("pruning expired JWT ids failed", extra={"fields": {"error": type(error).__name__}})

    # --- review -------------------------------------------------------------------------------------------------

    def feedback_comments(self, rule_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Clinicians' override comments on one rule's cards with an outcome time in [start, end): for a reviewer,
        never for logs or the dashboard (they may contain PHI)."""
        query = (
            select(feedback.c.card_uuid, feedback.c.service_id, feedback.c.outcome, feedback.c.override_code,
                   feedback.c.override_comment, feedback.c.outcome_timestamp, issued_cards.c.knowledge_version)
            .select_from(feedback.join(issued_cards, issued_cards.c.uuid == feedback.c.card_uuid))
            .where(issued_cards.c.rule_id == rule_id, feedback.c.override_comment.is_not(None),
                   feedback.c.outcome_timestamp >= start, feedback.c.outcome_timestamp < end)
            .order_by(feedback.c.outcome_timestamp)
        )
        with self._engine.connect() as connection:
            return [
                {"card": row.card_uuid, "service": row.service_id, "outcome": row.outcome,
                 "reason": row.override_code, "comment": row.override_comment,
                 "at": row.outcome_timestamp.isoformat(), "knowledge_version": row.knowledge_version}
                for row in connection.execute(query)
            ]

    # --- retention ----------------------------------------------------------------------------------------------

    def purge(self, before: datetime) -> Purged:
        """Forget what is older than `before`: issued cards, the free-text comments of feedback received before it
        (the feedback itself stays, for the audit trail and running snoozes), and JWT ids whose claim has ended."""
        with lock_contention_as_busy(), self._writer.begin() as connection:
            cards = connection.execute(issued_cards.delete().where(issued_cards.c.issued_at < before)).rowcount
            comments = connection.execute(
                update(feedback)
                .where(feedback.c.received_at < before, feedback.c.override_comment.is_not(None))
                .values(override_comment=None)
            ).rowcount
            jtis = connection.execute(seen_jtis.delete().where(seen_jtis.c.expires_at <= self.now())).rowcount
        return Purged(issued_cards=cards, feedback_comments=comments, jwt_ids=jtis)

    # --- analytics ----------------------------------------------------------------------------------------------

    def analytics(self, start: date, end: date, service_id: str | None = None) -> Analytics:
        with self._engine.connect() as connection:
            return query_analytics(connection, start, end, service_id)

    # --- helpers ------------------------------------------------------------------------------------------------

    def _insert_ignoring_duplicates(self, table: Table, unique_column: str) -> sqlite.Insert | postgresql.Insert:
        """INSERT … ON CONFLICT (unique_column) DO NOTHING, in this database's dialect."""
        dialect_insert = sqlite.insert if self._engine.dialect.name == "sqlite" else postgresql.insert
        return dialect_insert(table).on_conflict_do_nothing(index_elements=[unique_column])


def _issued_by(connection: Connection, service_id: str, card_uuids: set[str],
               issuer_key: str | None) -> dict[str, Row[Any]]:
    """The cards among `card_uuids` that this service issued (to this issuer, when given): what feedback needs to
    know about each."""
    query = select(
        issued_cards.c.uuid, issued_cards.c.rule_id, issued_cards.c.patient_key, issued_cards.c.indicator,
        issued_cards.c.suggestion_uuids,
    ).where(issued_cards.c.uuid.in_(card_uuids), issued_cards.c.service_id == service_id)
    if issuer_key is not None:
        query = query.where(or_(issued_cards.c.issuer_key == issuer_key, issued_cards.c.issuer_key.is_(None)))
    return {row.uuid: row for row in connection.execute(query)}


def _idempotency_key(item: FeedbackRecord) -> str:
    identity = [
        item.card_uuid,
        item.outcome,
        item.outcome_timestamp.astimezone(UTC).isoformat(),
        sorted(item.accepted_suggestions),
        item.override_code,
    ]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def _require_fits(what: str, value: str | None) -> None:
    if value is not None and len(value) > NAME_LENGTH:
        raise ValueError(f"{what} longer than {NAME_LENGTH} characters")
