"""Suggestion keys: which suggestion (by the knowledge's stable key) an accepted suggestion uuid was.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("issued_cards", sa.Column("suggestion_keys", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issued_cards") as batch:
        batch.drop_column("suggestion_keys")
