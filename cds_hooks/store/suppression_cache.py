"""Live snoozes in memory, invalidated by the shared store itself, so a hook call rarely waits for the database.

Every hook call with a card asked the store for the patient's snoozes: a query in a worker thread, about a
millisecond of a few-millisecond request. Snoozes change only when feedback is stored, so each process keeps what
it read per patient and forgets it when the store says something changed:

- **PostgreSQL** (several instances): feedback that snoozes a rule sends `NOTIFY` on `SUPPRESSION_CHANNEL` with the
  patient key, in the transaction that stores it; every process `LISTEN`s on a connection of its own (a daemon
  thread) and forgets that patient. While that connection is down the cache is bypassed, and it is emptied when
  listening starts again, because notifications sent meanwhile are lost.
- **SQLite** (one machine): `PRAGMA data_version`, read on a connection of its own before each lookup, changes when
  any other connection, in this process or another, has committed (a read of the shared-memory header, not a
  query). Most of those commits are the recorder's, so only then is the newest snooze id read (snoozes are only
  ever inserted, so a new one raises it), and only a new snooze makes the cache forget everything.

Either way the process that stores feedback forgets what it cached before answering, so its next call already
sees the snooze. A lookup that missed and queried records its answer only if nothing was forgotten meanwhile (the
generation check), so a query racing a change can never leave an old answer behind. The cache holds at most
`max_patients` patients (oldest first out) and their snoozes' rows, so memory stays flat.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine

from .records import Suppression

log = logging.getLogger("cds_hooks.store.suppressions")

SUPPRESSION_CHANNEL = "ftcds_suppressions"
LISTENER_NAME = "facial-twitch-cds suppression listener"  # its `application_name`, for operators
MAX_PATIENTS = 50_000
_LISTEN_POLL_SECONDS = 0.5  # how often the listener checks its connection (and whether to stop)
_RECONNECT_SECONDS = 1.0


class ChangeFeed(Protocol):
    def trusted(self, cache: SuppressionCache) -> bool:
        """Whether cached answers may be used now; may forget entries in `cache` first."""
        ...

    def close(self) -> None: ...


def live(rows: Sequence[Suppression], now: datetime) -> dict[str, Suppression]:
    """The rules snoozed at `now`, each with its longest-running snooze (`rows` are in order of `until`)."""
    return {row.rule_id: row for row in rows if row.until > now}


class SuppressionCache:
    """Rows of snoozes by patient key, each read at some instant and valid for lookups at or after it."""

    def __init__(self, feed: ChangeFeed, max_patients: int = MAX_PATIENTS) -> None:
        self._feed = feed
        self._max_patients = max_patients
        self._rows: dict[str, tuple[datetime, tuple[Suppression, ...]]] = {}
        self._lock = threading.Lock()
        self.generation = 0

    def lookup(self, patient_key: str, now: datetime) -> dict[str, Suppression] | None:
        """The patient's live snoozes, or None when the store must be asked."""
        if not self._feed.trusted(self):
            return None
        with self._lock:
            cached = self._rows.get(patient_key)
        if cached is None or now < cached[0]:  # read after `now` (a clock moved back): rows may be missing
            return None
        return live(cached[1], now)

    def remember(self, patient_key: str, read_at: datetime, rows: Sequence[Suppression], generation: int) -> None:
        """Keep what the store answered at `read_at`, unless anything was forgotten since `generation`."""
        with self._lock:
            if generation != self.generation:
                return
            if len(self._rows) >= self._max_patients and patient_key not in self._rows:
                del self._rows[next(iter(self._rows))]
            self._rows[patient_key] = (read_at, tuple(rows))

    def forget(self, patient_key: str | None = None) -> None:
        """Forget one patient's snoozes, or (None) everything."""
        with self._lock:
            self.generation += 1
            if patient_key is None:
                self._rows.clear()
            else:
                self._rows.pop(patient_key, None)

    def close(self) -> None:
        self._feed.close()


class SqliteDataVersion:
    """SQLite's commit counter for other connections and the newest snooze id, on a connection of their own."""

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._seen = (self._data_version(), self._newest_snooze())

    def _data_version(self) -> int:
        version: int = self._connection.execute("PRAGMA data_version").fetchone()[0]
        return version

    def _newest_snooze(self) -> int:
        newest: int | None = self._connection.execute("SELECT max(id) FROM suppressions").fetchone()[0]
        return newest or 0

    def trusted(self, cache: SuppressionCache) -> bool:
        with self._lock:
            version = self._data_version()
            if version == self._seen[0]:
                return True
            newest = self._newest_snooze()
            changed = newest != self._seen[1]
            self._seen = (version, newest)
        if changed:
            cache.forget()
        return True

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class PostgresNotifications:
    """A daemon thread that LISTENs for snoozes stored by any instance and forgets those patients."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._listening = threading.Event()
        self._stop = threading.Event()
        self._cache: SuppressionCache | None = None
        self._thread = threading.Thread(target=self._run, name="suppression-listener", daemon=True)

    def start(self, cache: SuppressionCache) -> None:
        self._cache = cache
        self._thread.start()

    def trusted(self, cache: SuppressionCache) -> bool:
        return self._listening.is_set()

    def wait_listening(self, timeout: float) -> bool:
        """True once notifications are being received (start-up waits briefly; until then lookups query)."""
        return self._listening.wait(timeout)

    def _run(self) -> None:
        # Imported here, on PostgreSQL only: the driver adds 9 MB to every worker of a SQLite deployment.
        import psycopg

        assert self._cache is not None
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5,
                                     application_name=LISTENER_NAME) as connection:
                    connection.execute(f"LISTEN {SUPPRESSION_CHANNEL}")
                    self._cache.forget()  # whatever was sent while nobody listened is lost
                    self._listening.set()
                    while not self._stop.is_set():
                        for notification in connection.notifies(timeout=_LISTEN_POLL_SECONDS):
                            self._cache.forget(notification.payload or None)
                        connection.execute("SELECT 1")  # a dead connection fails here, not silently
            except psycopg.Error as error:
                if self._listening.is_set():
                    log.warning("suppression notifications lost; asking the store until they are back",
                                extra={"fields": {"error": type(error).__name__}})
            finally:
                self._listening.clear()
            self._stop.wait(_RECONNECT_SECONDS)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=_LISTEN_POLL_SECONDS * 4)


def watch_suppressions(engine: Engine, max_patients: int = MAX_PATIENTS) -> SuppressionCache:
    """The cache for this store, with the change feed its database offers."""
    if engine.dialect.name == "sqlite":
        assert engine.url.database is not None  # the store refuses SQLite without a file path
        return SuppressionCache(SqliteDataVersion(engine.url.database), max_patients)
    notifications = PostgresNotifications(engine.url.set(drivername="postgresql").render_as_string(hide_password=False))
    cache = SuppressionCache(notifications, max_patients)
    notifications.start(cache)
    notifications.wait_listening(timeout=2.0)
    return cache
