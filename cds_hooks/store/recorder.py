"""Write issued and suppressed cards off the request path: a queue and one background thread that batches.

A hook call only enqueues (never waits for the database); the thread writes a batch every `flush_interval`
seconds or every `batch_size` items, whichever comes first. `flush()` waits until everything queued so far is
written (the feedback path calls it, so feedback on a card issued a moment ago finds that card). `close()` writes
everything still queued, so a normal shutdown loses nothing; a process that exits without calling it loses what
was still queued. If the queue is full
(the database is down or far behind), new items are dropped with a warning rather than slowing hook calls down:
these records feed feedback tracing and analytics, not care. A batch the database refuses is logged and dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence

from .records import IssuedCard, SuppressedCard
from .store import Store

log = logging.getLogger("cds_hooks.store.recorder")

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
        # None closes; an Event is a flush marker, set once everything queued before it is written.
        self._queue: queue.Queue[IssuedCard | SuppressedCard | threading.Event | None] = queue.Queue(maxsize=max_queued)
        self._closed = False
        self._closing_lock = threading.Lock()  # no item can slip in behind the close marker
        self._thread = threading.Thread(target=self._run, name="issued-card-recorder", daemon=True)
        self._thread.start()

    def submit(self, issued: Sequence[IssuedCard] = (), suppressed: Sequence[SuppressedCard] = ()) -> None:
        """Queue records for writing; never blocks."""
        with self._closing_lock:
            if self._closed:
                raise RuntimeError("the recorder is closed")
            for item in (*issued, *suppressed):
                try:
                    self._queue.put_nowait(item)
                except queue.Full:
                    log.warning("recorder queue full: record dropped", extra={"fields": {"kind": type(item).__name__}})

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every record submitted before this call is written; False if that took over `timeout`."""
        written = threading.Event()
        with self._closing_lock:
            if self._closed:
                return True
            self._queue.put(written, timeout=timeout)
        return written.wait(timeout)

    def close(self) -> None:
        """Write everything queued, then stop the thread."""
        with self._closing_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        closing = False
        while not closing:
            batch: list[IssuedCard | SuppressedCard] = []
            deadline = time.monotonic() + self._flush_interval
            flushed: threading.Event | None = None
            while len(batch) < self._batch_size:
                try:
                    item = self._queue.get(timeout=max(deadline - time.monotonic(), 0))
                except queue.Empty:
                    break
                if item is None:
                    closing = True
                    break
                if isinstance(item, threading.Event):
                    flushed = item
                    break
                batch.append(item)
            self._write(batch)
            if flushed is not None:
                flushed.set()

    def _write(self, batch: list[IssuedCard | SuppressedCard]) -> None:
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
