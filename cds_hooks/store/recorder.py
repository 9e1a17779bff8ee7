"""Write issued and suppressed cards off the request path: a pending list and one background thread that batches.

A hook call only appends to the list (never waits for the database, and never wakes the thread: a wake-up per
call made the request thread hand the GIL to the writer and wait to get it back, about a tenth of a worker's
time under load). The thread wakes every `flush_interval` seconds, or as soon as `batch_size` items are pending,
and writes what is pending in batches of at most `batch_size`. `flush()` waits until everything pending so far is
written (the feedback path calls it, so feedback on a card issued a moment ago finds that card). `close()` writes
everything still pending, so a normal shutdown loses nothing; a process that exits without calling it loses what
was still pending. If `max_queued` items are already pending (the database is down or far behind), new items are
dropped with a warning rather than slowing hook calls down: these records feed feedback tracing and analytics,
not care. A batch the database refuses is logged and dropped.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence

from .records import IssuedCard, SuppressedCard
from .store import Store

log = logging.getLogger("cds_hooks.store.recorder")

_Record = IssuedCard | SuppressedCard


class IssuedCardRecorder:
    def __init__(
        self,
        store: Store,
        *,
        flush_interval: float = 0.2,
        batch_size: int = 200,
        max_queued: int = 100_000,
    ) -> None:
        self._store = store
        self._flush_interval = flush_interval
        self._batch_size = batch_size
        self._max_queued = max_queued
        # Records in submission order, with markers: an Event is set once everything before it is written; None
        # closes. Only the writer thread takes from the left; `_lock` orders submitters and the close marker.
        self._pending: deque[_Record | threading.Event | None] = deque()
        self._records_pending = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="issued-card-recorder", daemon=True)
        self._thread.start()

    def submit(self, issued: Sequence[IssuedCard] = (), suppressed: Sequence[SuppressedCard] = ()) -> None:
        """Queue records for writing; never blocks on the database."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the recorder is closed")
            for item in (*issued, *suppressed):
                if self._records_pending >= self._max_queued:
                    log.warning("recorder queue full: record dropped", extra={"fields": {"kind": type(item).__name__}})
                    continue
                self._pending.append(item)
                self._records_pending += 1
            batch_ready = self._records_pending >= self._batch_size
        if batch_ready:
            self._wake.set()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every record submitted before this call is written; False if that took over `timeout`."""
        written = threading.Event()
        with self._lock:
            if self._closed:
                return True
            self._pending.append(written)
        self._wake.set()
        return written.wait(timeout)

    def close(self) -> None:
        """Write everything pending, then stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._pending.append(None)
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._flush_interval)
            self._wake.clear()
            if not self._write_pending():
                return

    def _write_pending(self) -> bool:
        """Write everything pending now, in order, setting flush markers as they are reached; False at close."""
        batch: list[_Record] = []
        while self._pending:
            item = self._pending.popleft()
            if item is None or isinstance(item, threading.Event):
                self._write(batch)
                batch = []
                if item is None:
                    return False
                item.set()
                continue
            batch.append(item)
            if len(batch) == self._batch_size:
                self._write(batch)
                batch = []
        self._write(batch)
        return True

    def _write(self, batch: list[_Record]) -> None:
        if not batch:
            return
        with self._lock:
            self._records_pending -= len(batch)
        issued = [item for item in batch if isinstance(item, IssuedCard)]
        suppressed = [item for item in batch if isinstance(item, SuppressedCard)]
        try:
            self._store.record_issued(issued)
            self._store.record_suppressed(suppressed)
        except Exception:
            log.exception(
                "recording cards failed: batch dropped",
                extra={"fields": {"issued": len(issued), "suppressed": len(suppressed)}},
            )
