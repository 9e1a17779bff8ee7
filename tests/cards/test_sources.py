"""Every source the cards, the figures and the value sets rely on resolves inside the repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cards.citations as citations
from cards.model import Citation
from tests.cards.builders import ANALYTES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (ROOT / "docs" / "clinical-sources.md").read_text()


def test_every_citation_a_card_can_carry_is_listed_with_its_link() -> None:
    cited = [value for value in vars(citations).values() if isinstance(value, Citation)]
    assert len(cited) >= 15
    for citation in cited:
        assert citation.label in SOURCES and f"<{citation.url}>" in SOURCES, citation.label


def test_every_default_range_source_is_listed() -> None:
    names = {"Mayo Clinic Laboratories", "RCPA/AACB", "Davis's Lab & Diagnostic Tests", "Severn Pathology", "CMDT",
             "laboratory catalogues"}
    for spec in ANALYTES.values():
        for default in spec.default_ranges:
            assert any(name in default.source for name in names), default.source
    assert all(name in SOURCES or name.capitalize() in SOURCES for name in names)


def test_every_value_set_is_listed_with_its_sources() -> None:
    for path in sorted((ROOT / "cards" / "valuesets").glob("*.json")):
        value_set = json.loads(path.read_text())
        assert f"| `{value_set['id']}` |" in SOURCES, value_set["id"]


def test_nothing_shipped_points_at_a_file_users_do_not_have() -> None:
    shipped = [*(ROOT / "cards").rglob("*.py"), *(ROOT / "cards").rglob("*.json"), *(ROOT / "cards").rglob("*.html"),
               *(ROOT / "cards").rglob("*.yaml"), ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    for path in shipped:
        assert not re.search(r"facts\.md|\.\./shared", path.read_text()), path
