"""Every store test runs twice: on an SQLite file and on a real PostgreSQL (one fresh schema per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cards import load_knowledge
from cds_hooks.feedback_loop import suppression_policy
from cds_hooks.settings import Settings
from cds_hooks.store import Store
from tests.support.postgres import isolated_schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'store.sqlite3'}"
        return
    with isolated_schema_url() as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url, policy=suppression_policy(Settings(), load_knowledge().override_reasons))
    opened.upgrade()
    try:
        yield opened
    finally:
        opened.close()
