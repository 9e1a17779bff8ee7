"""Issued cards, feedback, suppressions, suppressed events and seen JWT ids.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cds_hooks.store.schema import UtcDateTime  # a type, not a table: revisions stay frozen

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issued_cards",
        sa.Column("uuid", sa.String(64), nullable=False),
        sa.Column("hook_instance", sa.String(200), nullable=False),
        sa.Column("service_id", sa.String(200), nullable=False),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("knowledge_version", sa.String(200), nullable=False),
        sa.Column("indicator", sa.String(16), nullable=False),
        sa.Column("suggestion_uuids", sa.JSON(), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("patient_key", sa.String(64), nullable=False),
        sa.Column("user_key", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("uuid", name="pk_issued_cards"),
    )
    op.create_index("ix_issued_cards_issued_at", "issued_cards", ["issued_at"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(200), nullable=False),
        sa.Column("card_uuid", sa.String(200), nullable=False),
        sa.Column("card_known", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("accepted_suggestions", sa.JSON(), nullable=False),
        sa.Column("override_code", sa.String(200), nullable=True),
        sa.Column("override_system", sa.Text(), nullable=True),
        sa.Column("override_comment", sa.Text(), nullable=True),
        sa.Column("outcome_timestamp", UtcDateTime(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.UniqueConstraint("idempotency_key", name="uq_feedback_idempotency_key"),
    )
    op.create_index("ix_feedback_card_uuid", "feedback", ["card_uuid"])
    op.create_index("ix_feedback_outcome_timestamp", "feedback", ["outcome_timestamp"])

    op.create_table(
        "suppressions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("patient_key", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("until", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("indicator", sa.String(16), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_suppressions"),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"], name="fk_suppressions_feedback_id_feedback"),
    )
    op.create_index("ix_suppressions_patient_key_until", "suppressions", ["patient_key", "until"])

    op.create_table(
        "suppressed_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("service_id", sa.String(200), nullable=False),
        sa.Column("patient_key", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_suppressed_events"),
    )
    op.create_index("ix_suppressed_events_at", "suppressed_events", ["at"])

    op.create_table(
        "seen_jtis",
        sa.Column("claim_key", sa.String(64), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("claim_key", name="pk_seen_jtis"),
    )
    op.create_index("ix_seen_jtis_expires_at", "seen_jtis", ["expires_at"])


def downgrade() -> None:
    for table in ("seen_jtis", "suppressed_events", "suppressions", "feedback", "issued_cards"):
        op.drop_table(table)
