"""A real PostgreSQL for tests, one fresh schema per use, so tests never see each other's rows.

PostgreSQL is not optional: if it cannot be reached the test fails loudly (`make test` starts it through
`tools/ensure-test-services.sh`), because a suite that silently skips its second database proves half.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

PG_HOST = os.environ.get("FTCDS_TEST_PGHOST", "127.0.0.1")
PG_PORT = os.environ.get("FTCDS_TEST_PGPORT", "5432")
PG_DSN = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=test connect_timeout=5"


@contextmanager
def isolated_schema_url() -> Iterator[str]:
    """A SQLAlchemy URL whose connections all work in a new, empty schema (`search_path`), dropped afterwards."""
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
