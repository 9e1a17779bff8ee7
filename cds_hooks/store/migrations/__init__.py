"""Alembic migrations of the store, shipped inside the package and run in code by `cds_hooks.store.migrate`."""
