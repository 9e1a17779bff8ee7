"""Feedback is stored once however often it is posted, committed before `save_feedback` returns, and feedback on
cards we never issued is kept for the record but has no effect."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from cds_hooks.store import FeedbackRecord, FeedbackResult, Store
from cds_hooks.store.schema import feedback, issued_cards
from store_builders import T0, accepted, days, issued_card, overridden


def stored_feedback(store: Store) -> list[dict]:
    with store.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(select(feedback).order_by(feedback.c.id))]


def test_the_same_feedback_posted_twice_is_stored_once(store: Store) -> None:
    store.record_issued([issued_card()])
    assert store.save_feedback("patient-view", [overridden()]) == [FeedbackResult("card-1", "stored")]
    assert store.save_feedback("patient-view", [overridden()]) == [FeedbackResult("card-1", "duplicate")]
    assert len(stored_feedback(store)) == 1


def test_a_repeat_within_one_post_is_a_duplicate(store: Store) -> None:
    store.record_issued([issued_card()])
    results = store.save_feedback("patient-view", [accepted(), accepted()])
    assert [r.status for r in results] == ["stored", "duplicate"]


def test_the_same_instant_written_in_another_time_zone_is_the_same_feedback(store: Store) -> None:
    store.record_issued([issued_card()])
    store.save_feedback("patient-view", [overridden(at=T0)])
    elsewhere = T0.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert store.save_feedback("patient-view", [overridden(at=elsewhere)])[0].status == "duplicate"


def test_accepted_suggestions_in_another_order_are_the_same_feedback(store: Store) -> None:
    store.record_issued([issued_card()])
    store.save_feedback("patient-view", [accepted("card-1", "card-1-s1", "card-1-s2")])
    assert store.save_feedback("patient-view", [accepted("card-1", "card-1-s2", "card-1-s1")])[0].status == "duplicate"


@pytest.mark.parametrize(
    "later",
    [
        overridden(reason="patient-declined"),
        overridden(at=T0 + timedelta(seconds=1)),
        accepted(),
        accepted("card-1", "card-1-s2"),
    ],
    ids=["other-reason", "other-time", "other-outcome", "other-suggestion"],
)
def test_feedback_differing_in_any_part_of_its_key_is_stored_again(store: Store, later: FeedbackRecord) -> None:
    store.record_issued([issued_card()])
    first = accepted() if later.outcome == "overridden" else overridden()
    store.save_feedback("patient-view", [first])
    assert store.save_feedback("patient-view", [later])[0].status == "stored"
    assert len(stored_feedback(store)) == 2


def test_feedback_on_a_card_never_issued_is_kept_flagged_and_reported(store: Store) -> None:
    results = store.save_feedback("patient-view", [overridden("never-issued")])
    assert results == [FeedbackResult("never-issued", "unknown-card")]
    [row] = stored_feedback(store)
    assert (row["card_uuid"], row["card_known"]) == ("never-issued", False)
    assert store.suppressed_rules("patient-a", T0) == {}


def test_feedback_sent_to_another_service_than_the_card_came_from_is_unknown(store: Store) -> None:
    store.record_issued([issued_card(service_id="patient-view")])
    assert store.save_feedback("order-sign", [overridden()])[0].status == "unknown-card"
    assert store.suppressed_rules("patient-a", T0) == {}


def test_a_known_card_is_flagged_known(store: Store) -> None:
    store.record_issued([issued_card()])
    store.save_feedback("patient-view", [overridden()])
    assert stored_feedback(store)[0]["card_known"] is True


def test_saved_feedback_is_committed_and_visible_to_another_worker(store: Store, database_url: str) -> None:
    store.record_issued([issued_card()])
    store.save_feedback("patient-view", [overridden(comment="Discussed at last visit")])
    other = Store.open(database_url)
    try:
        with other.engine.connect() as connection:
            row = connection.execute(select(feedback)).one()
    finally:
        other.close()
    assert row.override_comment == "Discussed at last visit"
    assert (row.override_code, row.override_system) == ("already-addressed", "urn:facial-twitch-cds:override-reason")
    assert row.outcome_timestamp == T0


def test_an_overlong_card_id_is_refused_before_anything_is_written(store: Store) -> None:
    store.record_issued([issued_card()])
    with pytest.raises(ValueError, match="card uuid"):
        store.save_feedback("patient-view", [overridden(), overridden("x" * 201)])
    assert stored_feedback(store) == []


def test_recording_an_issued_card_twice_keeps_the_first(store: Store) -> None:
    store.record_issued([issued_card(rule_id="first.rule")])
    store.record_issued([issued_card(rule_id="second.rule"), issued_card("card-2")])
    with store.engine.connect() as connection:
        rows = connection.execute(select(issued_cards.c.uuid, issued_cards.c.rule_id).order_by("uuid")).all()
        assert connection.execute(select(func.count()).select_from(issued_cards)).scalar_one() == 2
    assert [tuple(r) for r in rows] == [("card-1", "first.rule"), ("card-2", "electrolyte.magnesium.low")]


def test_issued_cards_keep_every_field(store: Store) -> None:
    card = issued_card(indicator="critical", issued_at=T0 + days(1))
    store.record_issued([card])
    with store.engine.connect() as connection:
        row = connection.execute(select(issued_cards)).one()
    assert row.suggestion_uuids == ["card-1-s1", "card-1-s2"]
    assert (row.indicator, row.issued_at) == ("critical", T0 + days(1))
    assert (row.patient_key, row.user_key) == ("patient-a", "user-x")


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="timezone-aware"):
        store.record_issued([issued_card(issued_at=T0.replace(tzinfo=None))])
