"""`claim_jti`: a JWT id is accepted once while its claim is live, across workers sharing the database."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from cds_hooks.store import Store
from cds_hooks.store.schema import seen_jtis

ISSUER = "https://ehr.example.org"


def live_until() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=5)


def remembered_claims(store: Store) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(seen_jtis)).scalar_one()


def test_a_jti_is_accepted_the_first_time_only(store: Store) -> None:
    assert store.claim_jti(ISSUER, "jti-1", live_until()) is True
    assert store.claim_jti(ISSUER, "jti-1", live_until()) is False


def test_the_same_jti_from_another_issuer_is_another_claim(store: Store) -> None:
    assert store.claim_jti(ISSUER, "jti-1", live_until())
    assert store.claim_jti("https://other-ehr.example.org", "jti-1", live_until())


def test_a_claim_that_has_run_out_no_longer_blocks_the_jti(store: Store) -> None:
    assert store.claim_jti(ISSUER, "jti-1", datetime.now(UTC) - timedelta(seconds=1))
    assert store.claim_jti(ISSUER, "jti-1", live_until()) is True
    assert store.claim_jti(ISSUER, "jti-1", live_until()) is False


def test_expired_claims_are_pruned_when_due(database_url: str) -> None:
    store = Store.open(database_url, jti_prune_interval=timedelta(0))
    store.upgrade()
    try:
        store.claim_jti(ISSUER, "live", live_until())
        store.claim_jti(ISSUER, "expired", datetime.now(UTC) - timedelta(seconds=1))
        assert remembered_claims(store) == 1
    finally:
        store.close()


def test_claims_are_not_pruned_before_they_are_due(database_url: str) -> None:
    store = Store.open(database_url, jti_prune_interval=timedelta(hours=1))
    store.upgrade()
    try:
        store.claim_jti(ISSUER, "first", live_until())  # the first claim prunes; the next hour's do not
        store.claim_jti(ISSUER, "expired", datetime.now(UTC) - timedelta(seconds=1))
        assert remembered_claims(store) == 2
        assert store.prune_expired_jtis(datetime.now(UTC)) == 1
        assert remembered_claims(store) == 1
    finally:
        store.close()


def test_a_jti_seen_by_one_worker_is_refused_by_another(store: Store, database_url: str) -> None:
    other_worker = Store.open(database_url)
    try:
        assert store.claim_jti(ISSUER, "jti-1", live_until()) is True
        assert other_worker.claim_jti(ISSUER, "jti-1", live_until()) is False
    finally:
        other_worker.close()


def test_racing_workers_let_exactly_one_claim_win(store: Store, database_url: str) -> None:
    other_worker = Store.open(database_url)
    contenders = [store, other_worker] * 4
    start = threading.Barrier(len(contenders))
    outcomes: list[bool] = []

    def claim(worker: Store) -> None:
        start.wait()
        outcomes.append(worker.claim_jti(ISSUER, "contested", live_until()))

    threads = [threading.Thread(target=claim, args=(worker,)) for worker in contenders]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other_worker.close()
    assert sorted(outcomes) == [False] * 7 + [True]


def test_a_failed_prune_does_not_fail_the_claim(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def unreachable(now: datetime) -> int:
        raise OperationalError("DELETE …", {}, Exception("database went away"))

    monkeypatch.setattr(store, "prune_expired_jtis", unreachable)
    assert store.claim_jti(ISSUER, "jti-1", live_until()) is True
    assert "pruning expired JWT ids failed" in caplog.text
