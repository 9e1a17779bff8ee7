"""Whether a store's schema is at the newest revision, read without Alembic.

Alembic (with Mako and Pygments) is about 10 MB in every process that imports it, and a serving worker needs it
only when there is something to migrate. So the revision is read with one query, and `migrate` is imported only
when it is behind. `SCHEMA_HEAD` names the newest script in `migrations/versions`; a test checks it against
Alembic's own head, so a new migration cannot be forgotten here.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

SCHEMA_HEAD = "0004"
VERSION_TABLE = "alembic_version"


def at_head(engine: Engine) -> bool:
    """True when the schema is exactly at `SCHEMA_HEAD` (one row, that revision); False when it is behind, empty,
    or in any state only Alembic can judge."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return False
        revisions = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return revisions == [SCHEMA_HEAD]
