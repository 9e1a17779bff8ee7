"""Analytics count each event on its own UTC day, per rule, per service and per day, within the asked range."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_hooks.store import Counts, Store
from store_builders import load_scenario


def as_dict(counts: Counts) -> dict[str, Any]:
    result: dict[str, Any] = {
        "issued": counts.issued,
        "accepted": counts.accepted,
        "overridden_by_reason": dict(counts.overridden_by_reason),
        "suppressed": counts.suppressed,
    }
    if counts.acceptance_rate is not None:
        result["acceptance_rate"] = counts.acceptance_rate
    return result


def test_counts_per_rule_service_and_day_match_the_scenario(store: Store) -> None:
    scenario = load_scenario(store)
    expected = scenario["expected"]
    result = store.analytics(date.fromisoformat(scenario["start"]), date.fromisoformat(scenario["end"]))
    assert as_dict(result.total) == expected["total"]
    assert {rule: as_dict(c) for rule, c in result.by_rule.items()} == expected["by_rule"]
    assert {service: as_dict(c) for service, c in result.by_service.items()} == expected["by_service"]
    assert {day.isoformat(): as_dict(c) for day, c in result.by_day.items()} == expected["by_day"]


def test_one_service_can_be_looked_at_alone(store: Store) -> None:
    scenario = load_scenario(store)
    expected = scenario["expected_for_order_sign"]
    result = store.analytics(date.fromisoformat(scenario["start"]), date.fromisoformat(scenario["end"]), "order-sign")
    assert result.service_id == "order-sign"
    assert as_dict(result.total) == expected["total"]
    assert {rule: as_dict(c) for rule, c in result.by_rule.items()} == expected["by_rule"]
    assert list(result.by_service) == ["order-sign"]


def test_every_day_of_the_range_is_present_in_order_even_without_events(store: Store) -> None:
    result = store.analytics(date(2025, 1, 30), date(2025, 2, 2))
    assert list(result.by_day) == [date(2025, 1, 30), date(2025, 1, 31), date(2025, 2, 1), date(2025, 2, 2)]
    assert all(c == Counts() for c in result.by_day.values())
    assert result.by_rule == {} and result.by_service == {}


def test_acceptance_rate_is_absent_without_feedback() -> None:
    assert Counts(issued=4, suppressed=2).acceptance_rate is None
    assert Counts(accepted=1, overridden_by_reason={"disagree": 3}).acceptance_rate == 0.25


def test_a_range_that_ends_before_it_starts_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="start is after end"):
        store.analytics(date(2025, 3, 2), date(2025, 3, 1))
