"""Feedback snoozes a rule for one patient, for as long as its reason says; nothing else is snoozed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from cds_hooks.store import Store, Suppression, SuppressionPolicy
from store_builders import T0, accepted, days, issued_card, overridden


@pytest.mark.parametrize(
    ("reason", "window_days"), [("already-addressed", 30), ("patient-declined", 90), ("not-relevant", 180)]
)
def test_an_override_snoozes_the_rule_for_its_reasons_window(store: Store, reason: str, window_days: int) -> None:
    store.record_issued([issued_card()])
    store.save_feedback("patient-view", [overridden(reason=reason, at=T0)])
    until = T0 + days(window_days)
    assert store.suppressed_rules("patient-a", until - timedelta(seconds=1)) == {
        "electrolyte.magnesium.low": Suppression("electrolyte.magnesium.low", until, reason, "warning")
    }
    assert store.suppressed_rules("patient-a", until) == {}


@pytest.mark.parametrize("reason", ["disagree", "a-code-we-never-offered"], ids=["disagree", "unknown-code"])
def test_an_override_without_a_snoozing_reason_snoozes_nothing(store: Store, reason: str | None) -> None:
    store.record_issued([issued_card()])
    assert store.save_feedback("patient-view", [overridden(reason=reason)])[0].status == "stored"
    assert store.suppressed_rules("patient-a", T0 + timedelta(seconds=1)) == {}


def test_a_plain_dismissal_snoozes_the_rule_until_the_next_utc_midnight(store: Store) -> None:
    store.record_issued([issued_card()])
    assert store.save_feedback("patient-view", [overridden(reason=None, at=T0)])[0].status == "stored"
    midnight = datetime(2025, 3, 2, tzinfo=UTC)  # T0 is 2025-03-01 09:00 UTC
    assert store.suppressed_rules("patient-a", midnight - timedelta(seconds=1)) == {
        "electrolyte.magnesium.low": Suppression("electrolyte.magnesium.low", midnight, "dismissed", "warning")
    }
    assert store.suppressed_rules("patient-a", midnight) == {}


def test_a_dismissal_window_in_hours_comes_from_the_policy(database_url: str) -> None:
    store = Store.open(database_url, policy=SuppressionPolicy(dismissed=timedelta(hours=2)))
    store.upgrade()
    try:
        store.record_issued([issued_card()])
        store.save_feedback("patient-view", [overridden(reason=None, at=T0)])
        [snooze] = store.suppressed_rules("patient-a", T0).values()
        assert (snooze.until, snooze.reason) == (T0 + timedelta(hours=2), "dismissed")
    finally:
        store.close()


def test_a_dismissal_does_not_cut_short_a_longer_snooze(store: Store) -> None:
    store.record_issued([issued_card("card-1"), issued_card("card-2")])
    store.save_feedback("patient-view", [overridden("card-1", reason="already-addressed")])
    store.save_feedback("patient-view", [overridden("card-2", reason=None, at=T0 + timedelta(hours=1))])
    assert store.suppressed_rules("patient-a", T0 + days(2))["electrolyte.magnesium.low"].until == T0 + days(30)


def test_policy_refuses_a_negative_dismissal_window() -> None:
    with pytest.raises(ValueError, match="dismissed"):
        SuppressionPolicy(dismissed=timedelta(hours=-1))


def test_an_accepted_card_is_not_suggested_again_for_30_days(store: Store) -> None:
    store.record_issued([issued_card()])
    store.save_feedback("patient-view", [accepted(at=T0)])
    assert store.suppressed_rules("patient-a", T0 + days(29))["electrolyte.magnesium.low"].reason == "accepted"
    assert store.suppressed_rules("patient-a", T0 + days(30)) == {}


def test_a_snooze_is_for_that_patient_and_that_rule_only(store: Store) -> None:
    store.record_issued(
        [
            issued_card("card-a", patient_key="patient-a"),
            issued_card("card-b", patient_key="patient-b"),
            issued_card("card-c", patient_key="patient-a", rule_id="stress.referral"),
        ]
    )
    store.save_feedback("patient-view", [overridden("card-a")])
    assert set(store.suppressed_rules("patient-a", T0 + days(1))) == {"electrolyte.magnesium.low"}
    assert store.suppressed_rules("patient-b", T0 + days(1)) == {}


def test_windows_come_from_the_policy(database_url: str) -> None:
    policy = SuppressionPolicy(accepted=days(7), override_reasons={"disagree": days(2)})
    store = Store.open(database_url, policy=policy)
    store.upgrade()
    try:
        store.record_issued([issued_card("card-1"), issued_card("card-2", rule_id="stress.referral")])
        store.save_feedback("patient-view", [accepted("card-1"), overridden("card-2", reason="disagree")])
        live = store.suppressed_rules("patient-a", T0 + days(1))
        assert {rule: s.until for rule, s in live.items()} == {
            "electrolyte.magnesium.low": T0 + days(7),
            "stress.referral": T0 + days(2),
        }
        assert store.save_feedback("patient-view", [overridden("card-1", reason="already-addressed")])[0].status == (
            "stored"
        )
        assert store.suppressed_rules("patient-a", T0 + days(7)) == {}
    finally:
        store.close()


def test_a_critical_card_is_suppressed_with_its_indicator_so_the_caller_can_still_show_it(store: Store) -> None:
    store.record_issued([issued_card(indicator="critical", rule_id="red-flag.facial-weakness")])
    store.save_feedback("patient-view", [overridden(reason="already-addressed")])
    assert store.suppressed_rules("patient-a", T0)["red-flag.facial-weakness"].indicator == "critical"


def test_the_longest_running_snooze_of_a_rule_wins(store: Store) -> None:
    store.record_issued([issued_card("card-1"), issued_card("card-2")])
    store.save_feedback("patient-view", [overridden("card-1", reason="not-relevant")])
    store.save_feedback("patient-view", [overridden("card-2", reason="already-addressed", at=T0 + days(1))])
    live = store.suppressed_rules("patient-a", T0 + days(2))
    assert live["electrolyte.magnesium.low"].until == T0 + days(180)


def test_a_duplicate_feedback_does_not_extend_a_snooze(store: Store) -> None:
    store.record_issued([issued_card()])
    store.save_feedback("patient-view", [overridden(at=T0)])
    store.save_feedback("patient-view", [overridden(at=T0)])
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM suppressions")).scalar_one() == 1


def test_a_future_outcome_timestamp_cannot_stretch_a_snooze(store: Store) -> None:
    store.record_issued([issued_card()])
    far_future = T0.replace(year=2999)
    store.save_feedback("patient-view", [overridden(at=far_future)])
    [suppression] = store.suppressed_rules("patient-a", T0).values()
    assert suppression.until < T0.replace(year=2999)


def test_policy_refuses_negative_windows() -> None:
    with pytest.raises(ValueError, match="patient-declined"):
        SuppressionPolicy(override_reasons={"patient-declined": days(-1)})


def test_looking_up_suppressions_is_one_query_on_the_patient_until_index(store: Store) -> None:
    statements: list[tuple[str, object]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        store.suppressed_rules("patient-a", T0)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    assert len(statements) == 1
    [(statement, parameters)] = statements
    with store.engine.connect() as connection:
        if connection.dialect.name == "postgresql":  # the planner would scan a tiny table; ask if the index serves
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            explain = "EXPLAIN"
        else:
            explain = "EXPLAIN QUERY PLAN"
        plan = " ".join(str(row) for row in connection.exec_driver_sql(f"{explain} {statement}", parameters))
    assert "ix_suppressions_patient_key_until" in plan
