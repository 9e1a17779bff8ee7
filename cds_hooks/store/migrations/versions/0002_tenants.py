"""Tenants: each issued card remembers the issuer it went to, so only that issuer's feedback counts.

Patient and user keys are scoped to the tenant (issuer and FHIR server) from this revision on, in the protocol
layer (`feedback_loop.Tenant`): rows written before it keep their unscoped keys, so their snoozes no longer match
any new lookup (those cards simply show again, the safe direction) and their `issuer_key` stays NULL.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("issued_cards", sa.Column("issuer_key", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issued_cards") as batch:
        batch.drop_column("issuer_key")
