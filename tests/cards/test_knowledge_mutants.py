"""The knowledge-data mutator (`make mutate-data`) makes real, loadable changes: a mutant the loader refuses would
be "killed" without any test having looked at it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from cards.knowledge_files import KnowledgeFileError, load_thresholds

TOOL = Path(__file__).resolve().parents[2] / "tools" / "mutate_knowledge.py"
_spec = importlib.util.spec_from_file_location("mutate_knowledge", TOOL)
assert _spec and _spec.loader
mutate_knowledge = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = mutate_knowledge  # dataclasses look their module up while the tool is imported
_spec.loader.exec_module(mutate_knowledge)


@pytest.mark.parametrize("kind", sorted(mutate_knowledge.KINDS))
def test_every_mutant_changes_its_file(kind) -> None:
    files, mutate = mutate_knowledge.KINDS[kind]
    paths = files()
    assert paths
    for path in paths:
        mutants = list(mutate(path))
        assert mutants, path
        assert len({m.label for m in mutants}) == len(mutants), path  # each change named once
        assert all(m.text != path.read_text() for m in mutants), path


def test_threshold_mutants_move_one_figure_both_ways_and_still_load(tmp_path) -> None:
    path = mutate_knowledge.KNOWLEDGE / "thresholds.yaml"
    labels = [m.label for m in mutate_knowledge.threshold_mutants(path)]
    assert "refractory.after-days 90 -> 89 d" in labels and "refractory.after-days 90 -> 91 d" in labels
    assert "magnesium.severe-below 1 -> 0.9 mg/dL" in labels and "magnesium.severe-below 1 -> 1.1 mg/dL" in labels
    refused = []
    for mutant in mutate_knowledge.threshold_mutants(path):
        target = tmp_path / "thresholds.yaml"
        target.write_text(mutant.text)
        try:
            load_thresholds(target)
        except KnowledgeFileError as error:
            refused.append(f"{mutant.label}: {error}")
    assert refused == []


def test_wording_mutants_keep_the_slots_the_rule_fills() -> None:
    path = mutate_knowledge.KNOWLEDGE / "wording" / "electrolytes.yaml"
    mutant = next(m for m in mutate_knowledge.wording_mutants(path) if m.label == "shared.electrolytes.summary emptied")
    assert "summary: '{name} {value} {severity} {action}'" in mutant.text
