"""Every store test runs twice: on an SQLite file and on a real PostgreSQL (one fresh schema per test).

PostgreSQL is not optional here: if it cannot be reached the tests fail loudly (`make test` starts it through
`tools/ensure-test-services.sh`), because a store suite that silently skips its second database proves half.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from cds_hooks.store import Store

PG_HOST = os.environ.get("FTCDS_TEST_PGHOST", "127.0.0.1")
PG_PORT = os.environ.get("FTCDS_TEST_PGPORT", "5432")
PG_DSN = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=test connect_timeout=5"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'store.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    try:
        admin = psycopg.connect(PG_DSN, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL at {PG_HOST}:{PG_PORT} (database 'test') is required and unreachable: {error}")
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield (
                f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/test"
                f"?options=-csearch_path%3D{schema}&connect_timeout=5"
            )
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    opened.upgrade()
    try:
        yield opened
    finally:
        opened.close()
