"""Schema migrations: built in code from the packaged Alembic scripts, idempotent, safe when workers race."""

from __future__ import annotations

import subprocess
import sys
import threading

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from cds_hooks.store import Store
from cds_hooks.store.migrate import alembic_config
from cds_hooks.store.revision import SCHEMA_HEAD
from cds_hooks.store.schema import metadata
from store_builders import issued_card

TABLES = {"issued_cards", "feedback", "suppressions", "suppressed_events", "seen_jtis"}


def head_revision(store: Store) -> str | None:
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_on_an_empty_database_creates_every_table(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        assert TABLES.isdisjoint(inspect(store.engine).get_table_names())
        store.upgrade()
        assert set(inspect(store.engine).get_table_names()) == TABLES | {"alembic_version"}
        assert head_revision(store) == "0004"
    finally:
        store.close()


def test_the_migrated_schema_is_exactly_the_declared_one(store: Store) -> None:
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_upgrading_twice_changes_nothing_and_keeps_data(store: Store) -> None:
    store.record_issued([issued_card()])
    store.upgrade()
    assert head_revision(store) == "0004"
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        assert connection.execute(text("SELECT uuid FROM issued_cards")).scalars().all() == ["card-1"]


def test_two_workers_upgrading_at_once_both_succeed(database_url: str) -> None:
    workers = [Store.open(database_url) for _ in range(2)]
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def upgrade(store: Store) -> None:
        start.wait()
        try:
            store.upgrade()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=upgrade, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert all(head_revision(worker) == "0004" for worker in workers)
    finally:
        for worker in workers:
            worker.close()


def test_downgrade_to_base_removes_every_table(store: Store) -> None:
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert TABLES.isdisjoint(inspect(store.engine).get_table_names())
    assert head_revision(store) is None


def test_0002_keeps_cards_issued_before_it_and_marks_them_without_an_issuer(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        with store.engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0001")
            connection.execute(text(
                "INSERT INTO issued_cards (uuid, hook_instance, service_id, rule_id, knowledge_version, indicator, "
                "suggestion_uuids, issued_at, patient_key, user_key) VALUES ('old-card', 'h', 'patient-view', "
                "'electrolyte.magnesium.low', '2026.11.0', 'info', '[]', '2026-11-01 09:00:00', 'p', NULL)"))
        store.upgrade()
        assert head_revision(store) == "0004"
        with store.engine.connect() as connection:
            row = connection.execute(text("SELECT uuid, issuer_key FROM issued_cards")).one()
        assert tuple(row) == ("old-card", None)
        with store.engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0001")
            assert "issuer_key" not in {c["name"] for c in inspect(connection).get_columns("issued_cards")}
    finally:
        store.close()


def test_the_head_the_start_up_check_looks_for_is_alembics_own(store: Store) -> None:
    with store.engine.connect() as connection:
        assert ScriptDirectory.from_config(alembic_config(connection)).get_current_head() == SCHEMA_HEAD


def test_the_schema_is_at_head_only_at_exactly_the_newest_revision(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        assert not store.at_head()  # no version table yet
        with store.engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0003")
        assert not store.at_head()
        store.upgrade()
        assert store.at_head()
        with store.engine.begin() as connection:
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0003')"))
        assert not store.at_head()  # two rows: only Alembic can say what that is
    finally:
        store.close()


# Run in a fresh interpreter: which modules a process imports is the point.
UPGRADE_AND_REPORT = """
import sys
from cds_hooks.store import Store
store = Store.open(sys.argv[1])
store.upgrade()
print(store.at_head(), "alembic" in sys.modules)
store.close()
"""


def test_a_process_whose_schema_is_current_never_imports_alembic(database_url: str) -> None:
    def upgrade_in_a_new_process() -> str:
        return subprocess.run([sys.executable, "-c", UPGRADE_AND_REPORT, database_url], capture_output=True,
                              text=True, check=True).stdout.strip()

    assert upgrade_in_a_new_process() == "True True"  # an empty database: migrated, with Alembic
    assert upgrade_in_a_new_process() == "True False"  # at head: one query, no Alembic
