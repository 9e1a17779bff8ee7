"""Engines for the two databases the store supports, configured for many threads and several processes.

SQLite (the zero-set-up default) runs in WAL mode so readers never wait for the writer, with a busy timeout so
writers queue instead of failing. We emit BEGIN ourselves (the documented SQLAlchemy recipe) so that write
transactions can start with `BEGIN IMMEDIATE`: taking the write lock up front is what makes a read-then-write
transaction safe under WAL, where upgrading a read lock can fail at once with "database is locked".

Statement parameters are hidden from error messages: feedback comments may hold PHI and must not reach a log
through an exception.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from ..errors import StoreBusy
from ..private_files import private_file

WRITE_OPTION = "store_write"
"""Execution option marking an engine (or connection) whose transactions write; see `writer`."""

SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_store_engine(url: str) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
    raise ValueError(f"unsupported database {backend!r}: use sqlite:///path or postgresql+psycopg://…")


def writer(engine: Engine) -> Engine:
    """The same engine (and pool), but its transactions take SQLite's write lock at BEGIN."""
    return engine.execution_options(**{WRITE_OPTION: True})


def _sqlite_engine(url: URL) -> Engine:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise ValueError("the SQLite store needs a file path (sqlite:///path): an in-memory database is per connection")
    private_file(Path(url.database), companions=("-wal", "-shm"))
    engine = create_engine(url, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # sqlite3 must not emit BEGIN; `_begin` does
        dbapi_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _enable_wal(dbapi_connection)
        dbapi_connection.execute("PRAGMA synchronous = FULL")  # acknowledged feedback survives a power cut too
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


_POSTGRES_LOCK_CONTENTION = frozenset({"55P03", "40P01"})  # lock_not_available, deadlock_detected


@contextmanager
def lock_contention_as_busy() -> Iterator[None]:
    """Turn "database is locked" (SQLite past its busy timeout) or a PostgreSQL lock failure into `StoreBusy`, a
    503 with `Retry-After`: contention is the caller's cue to retry, never a 500."""
    try:
        yield
    except OperationalError as error:
        original = error.orig
        sqlite_busy = isinstance(original, sqlite3.OperationalError) and (
            getattr(original, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
            or "database is locked" in str(original)
        )
        if sqlite_busy or getattr(original, "sqlstate", None) in _POSTGRES_LOCK_CONTENTION:
            raise StoreBusy("the store is busy; retry shortly") from None
        raise


def _enable_wal(dbapi_connection: sqlite3.Connection) -> None:
    """Switch the database file to WAL (it stays so for every later connection).

    The switch needs a moment when no other connection holds a lock, and SQLite answers "database is locked" at
    once instead of using the busy timeout, so several workers opening a new file together retry here.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                dbapi_connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if not error.sqlite_errorname.startswith("SQLITE_BUSY") or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
