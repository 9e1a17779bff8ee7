"""Alembic environment: runs on the connection (and inside the transaction) `cds_hooks.store.migrate` hands over."""

from __future__ import annotations

from alembic import context

from cds_hooks.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("store migrations run only through cds_hooks.store.migrate, on a live connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
