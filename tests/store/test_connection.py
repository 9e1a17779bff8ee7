"""Opening a store: the databases we support, and an honest answer when the database is not there."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from cds_hooks.store import Store


def test_a_reachable_store_answers_ping(store: Store) -> None:
    assert store.ping() is True


def test_an_unreachable_database_answers_ping_with_false() -> None:
    store = Store.open("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2")
    try:
        assert store.ping() is False
    finally:
        store.close()


def test_sqlite_runs_in_wal_mode_in_a_directory_created_for_it(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there.sqlite3"
    store = Store.open(f"sqlite:///{path}")
    try:
        with store.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() > 0
        assert path.exists()
    finally:
        store.close()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "mysql://db/cds"])
def test_unsupported_databases_are_refused_at_open(url: str) -> None:
    with pytest.raises(ValueError):
        Store.open(url)
