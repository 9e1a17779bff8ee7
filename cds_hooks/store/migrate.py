"""Bring a database to the newest schema with Alembic, driven in code (no alembic.ini).

Several workers may start at once against one database. Each runs the whole upgrade inside one transaction that
first takes a database-wide lock (PostgreSQL: a transaction-scoped advisory lock; SQLite: `BEGIN IMMEDIATE`), so
the second worker waits, then finds the schema at head and does nothing.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, func, select

from .connect import writer

SCRIPT_LOCATION = "cds_hooks.store:migrations"
MIGRATION_LOCK_ID = 0x66746364_73746F72  # "ftcdstor": any fixed number other applications are unlikely to use


def alembic_config(connection: Connection) -> Config:
    """An Alembic configuration that migrates over `connection`, inside the transaction it is already in."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def upgrade_to_head(engine: Engine) -> None:
    with writer(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_ID)))
        command.upgrade(alembic_config(connection), "head")
