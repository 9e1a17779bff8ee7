"""`IssuedCardRecorder`: hook calls hand records over without waiting; nothing queued is lost on a normal close."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import pytest
from sqlalchemy import Table, func, select

from cds_hooks.store import IssuedCard, IssuedCardRecorder, Store, SuppressedCard
from cds_hooks.store.schema import issued_cards, suppressed_events
from store_builders import T0, issued_card


def count(store: Store, table: Table) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def suppressed(n: int) -> SuppressedCard:
    return SuppressedCard(rule_id="stress.referral", service_id="patient-view", patient_key=f"p-{n}", at=T0)


def test_everything_submitted_is_written_by_close(store: Store) -> None:
    recorder = IssuedCardRecorder(store, flush_interval=60, batch_size=50)
    for n in range(120):
        recorder.submit(issued=[issued_card(f"card-{n}")], suppressed=[suppressed(n)] if n % 3 == 0 else ())
    recorder.close()
    assert count(store, issued_cards) == 120
    assert count(store, suppressed_events) == 40


def test_records_are_written_in_the_background_without_a_close(store: Store) -> None:
    recorder = IssuedCardRecorder(store, flush_interval=0.05)
    try:
        recorder.submit(issued=[issued_card()])
        deadline = time.monotonic() + 5
        while count(store, issued_cards) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert count(store, issued_cards) == 1
    finally:
        recorder.close()


def test_flush_waits_until_everything_submitted_before_it_is_written(store: Store) -> None:
    recorder = IssuedCardRecorder(store, flush_interval=60, batch_size=1000)
    try:
        for n in range(30):
            recorder.submit(issued=[issued_card(f"card-{n}")])
        assert recorder.flush() is True
        assert count(store, issued_cards) == 30
    finally:
        recorder.close()


def test_flush_after_close_returns_at_once(store: Store) -> None:
    recorder = IssuedCardRecorder(store)
    recorder.close()
    assert recorder.flush(timeout=0.01) is True


def test_submitting_after_close_is_an_error(store: Store) -> None:
    recorder = IssuedCardRecorder(store)
    recorder.close()
    with pytest.raises(RuntimeError, match="closed"):
        recorder.submit(issued=[issued_card()])


def test_a_full_queue_drops_new_records_instead_of_blocking(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    writing, release = threading.Event(), threading.Event()
    record_issued = store.record_issued

    def slow_record_issued(cards: Sequence[IssuedCard]) -> None:
        writing.set()
        release.wait(timeout=10)
        record_issued(cards)

    monkeypatch.setattr(store, "record_issued", slow_record_issued)
    recorder = IssuedCardRecorder(store, flush_interval=60, batch_size=1, max_queued=3)
    recorder.submit(issued=[issued_card("card-first")])
    assert writing.wait(timeout=10)  # the thread is busy writing; only the queue takes more
    recorder.submit(issued=[issued_card(f"card-{n}") for n in range(5)])
    release.set()
    recorder.close()
    assert count(store, issued_cards) == 4
    assert caplog.text.count("recorder queue full") == 2


def test_a_failed_batch_is_logged_and_the_recorder_keeps_going(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open(database_url)  # not upgraded yet: the first write fails
    recorder = IssuedCardRecorder(store, flush_interval=60, batch_size=1)
    try:
        with caplog.at_level(logging.ERROR, logger="cds_hooks.store.recorder"):
            recorder.submit(issued=[issued_card("card-lost")])
            deadline = time.monotonic() + 5
            while "recording cards failed" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.02)
        store.upgrade()
        recorder.submit(issued=[issued_card("card-kept")])
        recorder.close()
        with store.engine.connect() as connection:
            assert connection.execute(select(issued_cards.c.uuid)).scalars().all() == ["card-kept"]
        assert "recording cards failed" in caplog.text
    finally:
        recorder.close()
        store.close()


def test_a_submit_below_the_batch_size_does_not_wake_the_writer(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records wait for the interval or a full batch (no write, and no wake-up of the writer, per hook call)."""
    writes: list[int] = []
    record_issued = store.record_issued
    monkeypatch.setattr(store, "record_issued", lambda cards: (writes.append(len(cards)), record_issued(cards)))
    recorder = IssuedCardRecorder(store, flush_interval=60, batch_size=4)
    try:
        for n in range(3):
            recorder.submit(issued=[issued_card(f"card-{n}")])
        time.sleep(0.3)
        assert writes == []
        recorder.submit(issued=[issued_card("card-3")])  # the fourth fills a batch: written without waiting 60 s
        deadline = time.monotonic() + 5
        while not writes and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writes == [4]
    finally:
        recorder.close()


def test_a_long_backlog_is_written_in_batches_in_order(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[str] = []
    record_issued = store.record_issued
    monkeypatch.setattr(store, "record_issued",
                        lambda cards: (written.extend(card.uuid for card in cards), record_issued(cards)))
    recorder = IssuedCardRecorder(store, flush_interval=60, batch_size=7)
    for n in range(30):
        recorder.submit(issued=[issued_card(f"card-{n}")])
    assert recorder.flush() is True
    recorder.close()
    assert written == [f"card-{n}" for n in range(30)]
    assert count(store, issued_cards) == 30
