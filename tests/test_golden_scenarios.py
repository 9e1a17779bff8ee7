"""Golden tests: every clinical scenario, posted through the HTTP API, yields exactly the cards the spec expects."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.scenarios import Scenario, load_rule_ids, load_scenarios
from tests.support.cds_responses import empty_values

SCENARIOS = load_scenarios()
MINIMUM_SCENARIOS = 28
SUMMARY_LIMIT = 140
INDICATORS = {"info", "warning", "critical"}

CallHook = Callable[[Scenario], dict[str, Any]]


def rule_id(card: dict[str, Any]) -> str:
    return card["source"]["topic"]["code"]


@pytest.fixture(scope="module")
def call_hook(tmp_path_factory: pytest.TempPathFactory) -> CallHook:
    """Posts a scenario's request to a fresh app pinned to the scenario's today; each scenario runs once."""
    responses: dict[str, dict[str, Any]] = {}

    def call(scenario: Scenario) -> dict[str, Any]:
        if scenario.name not in responses:
            data_dir: Path = tmp_path_factory.mktemp(scenario.name)
            settings = Settings(profile="development", auth="off", data_dir=data_dir)
            with TestClient(create_app(settings, today=scenario.today)) as client:
                response = client.post(f"/cds-services/{scenario.hook}", content=scenario.request_body,
                                       headers={"Content-Type": "application/json"})
            assert response.status_code == 200, response.text
            responses[scenario.name] = response.json()
        return responses[scenario.name]

    return call


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_scenario_yields_exactly_the_expected_cards(scenario: Scenario, call_hook: CallHook) -> None:
    cards = call_hook(scenario)["cards"]
    actual = Counter((rule_id(card), card["indicator"]) for card in cards)
    assert actual == scenario.expected_cards, scenario.expected["description"]


TEXT_EXPECTATIONS = [scenario for scenario in SCENARIOS if scenario.text_expectations]


@pytest.mark.parametrize("scenario", TEXT_EXPECTATIONS, ids=lambda scenario: scenario.name)
def test_scenario_cards_say_what_the_spec_expects(scenario: Scenario, call_hook: CallHook) -> None:
    """Expected cards may pin wording: text the summary or detail must (or must not) contain, verbatim."""
    cards = call_hook(scenario)["cards"]
    for expected in scenario.text_expectations:
        matching = [c for c in cards if (rule_id(c), c["indicator"]) == (expected["rule_id"], expected["indicator"])]
        assert matching, expected["rule_id"]
        card = matching[0]
        for fragment in expected.get("summary_includes", []):
            assert fragment in card["summary"], (expected["rule_id"], fragment, card["summary"])
        for fragment in expected.get("detail_includes", []):
            assert fragment in card["detail"], (expected["rule_id"], fragment, card["detail"])
        for fragment in expected.get("detail_excludes", []):
            assert fragment not in card["detail"], (expected["rule_id"], fragment, card["detail"])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_scenario_cards_are_complete_cds_hooks_cards(scenario: Scenario, call_hook: CallHook) -> None:
    body = call_hook(scenario)
    assert list(empty_values(body)) == []
    for card in body["cards"]:
        assert card["uuid"]
        assert 0 < len(card["summary"]) < SUMMARY_LIMIT, card["summary"]
        assert card["detail"]
        assert card["indicator"] in INDICATORS
        assert card["source"]["label"]
        assert card["source"]["topic"]["system"]
        if "suggestions" in card:
            assert card["selectionBehavior"] in {"at-most-one", "any"}


def test_empty_value_checker_finds_every_kind_of_emptiness() -> None:
    body = {"cards": [{"a": None, "b": "", "c": [], "d": {}, "e": [1, {"f": ""}], "zero": 0, "no": False}]}
    assert set(empty_values(body)) == {"$.cards[0].a", "$.cards[0].b", "$.cards[0].c", "$.cards[0].d",
                                       "$.cards[0].e[1].f"}
    assert list(empty_values({"cards": []})) == []
    assert list(empty_values({"cards": [], "systemActions": []})) == ["$.systemActions"]


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= MINIMUM_SCENARIOS


def test_every_rule_id_is_expected_by_some_scenario() -> None:
    expected = {rule for scenario in SCENARIOS for rule, _ in scenario.expected_cards}
    specified = {rule for rules in load_rule_ids().values() for rule in rules}
    assert specified - expected == set()


def test_scenarios_expect_only_rules_their_hook_may_emit() -> None:
    rule_ids = load_rule_ids()
    misplaced = [
        (scenario.name, rule)
        for scenario in SCENARIOS
        for rule, _ in scenario.expected_cards
        if rule not in rule_ids["patient-view" if scenario.hook == "patient-view" else "order"]
    ]
    assert misplaced == []
