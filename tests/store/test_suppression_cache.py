"""The in-memory snoozes answer as the store would: a snooze stored through another connection (another process
or instance) is seen at once on SQLite and within a notification on PostgreSQL, and a cache that cannot be sure
asks the store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest

from cds_hooks.store import Store, Suppression
from cds_hooks.store.suppression_cache import LISTENER_NAME, SuppressionCache, watch_suppressions
from store_builders import T0, issued_card, overridden

RULE = "electrolyte.magnesium.low"
NOTIFIED_WITHIN_S = 1.0


@pytest.fixture
def cache(store: Store) -> Iterator[SuppressionCache]:
    watching = watch_suppressions(store.engine)
    try:
        yield watching
    finally:
        watching.close()


def read_through(cache: SuppressionCache, store: Store, patient_key: str) -> dict[str, Suppression]:
    """What `FeedbackLoop.screen` does: the cache's answer, else the store's (remembered)."""
    now = T0 + timedelta(seconds=1)
    found = cache.lookup(patient_key, now)
    if found is None:
        generation = cache.generation
        rows = store.suppressions_after(patient_key, now)
        cache.remember(patient_key, now, rows, generation)
        found = {row.rule_id: row for row in rows}
    return found


def eventually_quiet(cache: SuppressionCache, store: Store) -> float:
    """Seconds until the cache answers with the snooze (or fails after the notification deadline)."""
    started = time.monotonic()
    while RULE not in read_through(cache, store, "patient-a"):
        assert time.monotonic() - started < NOTIFIED_WITHIN_S, "the snooze never reached the cache"
        time.sleep(0.01)
    return time.monotonic() - started


def test_a_snooze_stored_through_another_connection_reaches_the_cache(store: Store, cache: SuppressionCache) -> None:
    """Nobody tells the cache: the store's own connections commit, as another instance's would."""
    store.record_issued([issued_card()])
    assert read_through(cache, store, "patient-a") == {}
    assert cache.lookup("patient-a", T0 + timedelta(seconds=1)) == {}  # answered from memory now
    store.save_feedback("patient-view", [overridden(reason="already-addressed", at=T0)])
    assert eventually_quiet(cache, store) < NOTIFIED_WITHIN_S


def test_a_snooze_ends_in_memory_when_its_window_does(store: Store, cache: SuppressionCache) -> None:
    store.record_issued([issued_card()])
    store.save_feedback("patient-view", [overridden(reason="already-addressed", at=T0)])
    eventually_quiet(cache, store)
    deadline = time.monotonic() + NOTIFIED_WITHIN_S
    while cache.lookup("patient-a", T0 + timedelta(seconds=1)) is None:  # PostgreSQL: its own notification came
        assert time.monotonic() < deadline
        read_through(cache, store, "patient-a")
    [snooze] = read_through(cache, store, "patient-a").values()
    assert cache.lookup("patient-a", snooze.until - timedelta(seconds=1)) == {RULE: snooze}
    assert cache.lookup("patient-a", snooze.until) == {}


def test_an_answer_read_before_a_change_is_not_remembered_after_it(store: Store, cache: SuppressionCache) -> None:
    generation = cache.generation
    stale = store.suppressions_after("patient-a", T0)
    cache.forget("patient-a")  # a notification arrived while the query ran
    cache.remember("patient-a", T0, stale, generation)
    assert cache.lookup("patient-a", T0) is None


def test_a_clock_moved_back_before_the_read_asks_the_store(store: Store, cache: SuppressionCache) -> None:
    cache.remember("patient-a", T0, [], cache.generation)
    assert cache.lookup("patient-a", T0) == {}
    assert cache.lookup("patient-a", T0 - timedelta(seconds=1)) is None


def test_the_cache_keeps_at_most_its_number_of_patients(store: Store) -> None:
    small = watch_suppressions(store.engine, max_patients=2)
    try:
        for key in ("patient-a", "patient-b", "patient-c"):
            small.remember(key, T0, [], small.generation)
        assert small.lookup("patient-a", T0) is None
        assert small.lookup("patient-b", T0) == {} and small.lookup("patient-c", T0) == {}
    finally:
        small.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_while_notifications_are_lost_the_cache_asks_the_store(store: Store, cache: SuppressionCache) -> None:
    cache.remember("patient-a", T0, [], cache.generation)
    assert cache.lookup("patient-a", T0) == {}
    url = store.engine.url
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                      [LISTENER_NAME])
    started = time.monotonic()
    while cache.lookup("patient-a", T0) == {}:  # until the listener notices
        assert time.monotonic() - started < 5
        time.sleep(0.05)
    assert cache.lookup("patient-a", T0) is None


def test_cards_recorded_meanwhile_do_not_empty_the_cache(store: Store, cache: SuppressionCache) -> None:
    """Only a new snooze changes an answer; the recorder's constant writes must not cost every lookup a query."""
    cache.remember("patient-a", T0, [], cache.generation)
    store.record_issued([issued_card("card-9")])
    time.sleep(0.2)  # PostgreSQL: room for a notification, were one (wrongly) sent
    assert cache.lookup("patient-a", T0) == {}
