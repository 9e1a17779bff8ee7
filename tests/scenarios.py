"""The clinical scenarios in `fixtures/scenarios/` as objects, shared by the golden tests and the fixture checks."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

SCENARIOS_DIR = Path(__file__).parents[1] / "fixtures" / "scenarios"
RULE_IDS_FILE = SCENARIOS_DIR / "rule-ids.json"


@dataclass(frozen=True)
class Scenario:
    """One hook request and the cards the clinical specification says it must produce."""

    name: str
    path: Path
    request: dict[str, Any]
    expected: dict[str, Any]

    @property
    def request_body(self) -> bytes:
        """The request exactly as written, so numbers keep their precision ("2.00") on the wire."""
        return (self.path / "request.json").read_bytes()

    @property
    def hook(self) -> str:
        return self.request["hook"]

    @property
    def today(self) -> date:
        return date.fromisoformat(self.expected["today"])

    @property
    def expected_cards(self) -> Counter[tuple[str, str]]:
        """The expected (rule id, indicator) multiset: card order carries no meaning."""
        return Counter((card["rule_id"], card["indicator"]) for card in self.expected["cards"])

    @property
    def text_expectations(self) -> list[dict[str, Any]]:
        """Expected cards that also pin wording (`summary_includes`, `detail_includes`, `detail_excludes`)."""
        keys = {"summary_includes", "detail_includes", "detail_excludes"}
        return [card for card in self.expected["cards"] if keys & card.keys()]

    @property
    def has_broken_data(self) -> bool:
        return bool(self.expected.get("broken_data", False))


def load_scenario(folder: Path) -> Scenario:
    return Scenario(
        name=folder.name,
        path=folder,
        request=json.loads((folder / "request.json").read_text()),
        expected=json.loads((folder / "expected.json").read_text()),
    )


def load_scenarios(root: Path = SCENARIOS_DIR) -> list[Scenario]:
    """Every scenario folder under `root`, in name order."""
    return [load_scenario(folder) for folder in sorted(root.iterdir()) if folder.is_dir()]


def load_rule_ids() -> dict[str, list[str]]:
    """The rule ids the specification defines, by the hooks that may emit them (`patient-view`, `order`)."""
    rule_ids = json.loads(RULE_IDS_FILE.read_text())
    return {family: ids for family, ids in rule_ids.items() if family != "description"}
