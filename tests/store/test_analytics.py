"""Analytics count each event on its own UTC day, per rule, per service and per day, within the asked range."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from cds_hooks.store import Counts, Store
from store_builders import T0, accepted, issued_card, load_scenario


def as_dict(counts: Counts) -> dict[str, Any]:
    result: dict[str, Any] = {
        "issued": counts.issued,
        "accepted": counts.accepted,
        "overridden_by_reason": dict(counts.overridden_by_reason),
        "suppressed": counts.suppressed,
        "unknown_suggestion": counts.unknown_suggestion,
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


def test_each_rule_is_judged_per_knowledge_version_of_its_cards(store: Store) -> None:
    scenario = load_scenario(store)
    expected = scenario["expected"]
    result = store.analytics(date.fromisoformat(scenario["start"]), date.fromisoformat(scenario["end"]))
    assert {v: as_dict(c) for v, c in result.by_knowledge_version.items()} == expected["by_knowledge_version"]
    assert {
        rule: {version: as_dict(c) for version, c in versions.items()}
        for rule, versions in result.by_rule_and_version.items()
    } == expected["by_rule_and_version"]


def test_an_acceptance_naming_a_suggestion_the_card_never_had_is_not_counted_as_accepted(store: Store) -> None:
    keys = ("magnesium-supplement", "recheck-magnesium")
    store.record_issued([replace(issued_card("card-1"), suggestion_keys=keys),
                         replace(issued_card("card-2", knowledge_version="2025.2"), suggestion_keys=keys)])
    stray = accepted("card-1", "card-1-s1", "card-2-s1")  # one of its own suggestions and one of another card's
    assert [r.status for r in store.save_feedback("patient-view", [stray])] == ["unknown-suggestion"]
    assert [r.status for r in store.save_feedback("patient-view", [accepted("card-2")])] == ["stored"]
    result = store.analytics(T0.date(), T0.date())
    assert (result.total.accepted, result.total.unknown_suggestion, result.total.acceptance_rate) == (1, 1, 1.0)
    rule = result.by_rule["electrolyte.magnesium.low"]
    assert (rule.accepted, rule.overridden, rule.unknown_suggestion) == (1, 0, 1)
    versions = result.by_rule_and_version["electrolyte.magnesium.low"]
    assert (versions["2025.1"].accepted, versions["2025.1"].unknown_suggestion) == (0, 1)
    assert versions["2025.1"].acceptance_rate is None
    assert (versions["2025.2"].accepted, versions["2025.2"].acceptance_rate) == (1, 1.0)
    assert dict(result.accepted_by_suggestion) == {"magnesium-supplement": 1}  # card-2's, not the stray one


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
    assert result.by_rule == {} and result.by_service == {} and result.by_rule_and_version == {}


def test_acceptance_rate_is_absent_without_feedback() -> None:
    assert Counts(issued=4, suppressed=2).acceptance_rate is None
    assert Counts(accepted=1, overridden_by_reason={"disagree": 3}).acceptance_rate == 0.25


def test_a_range_that_ends_before_it_starts_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="start is after end"):
        store.analytics(date(2025, 3, 2), date(2025, 3, 1))
