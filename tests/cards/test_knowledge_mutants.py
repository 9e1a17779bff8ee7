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


def test_earlier_killers_come_from_the_same_file_first_then_the_same_kind() -> None:
    killers = mutate_knowledge.Killers(limit=3)
    assert killers.first("valuesets", "a.json") == ()
    killers.record("valuesets", "a.json", "FAILED tests/cards/test_a.py::test_one[x-1]")
    killers.record("valuesets", "b.json", "FAILED tests/cards/test_b.py::test_two")
    killers.record("valuesets", "b.json", "ERROR tests/cards/test_c.py")  # a file that did not collect
    killers.record("valuesets", "b.json", "a failing run")  # no test named: nothing to remember
    killers.record("wording", "w.yaml", "FAILED tests/cards/test_w.py::test_w")
    # the function with all its parameters; this file's own before the kind's, each once, most recent first
    assert killers.first("valuesets", "a.json") == (
        "tests/cards/test_a.py::test_one", "tests/cards/test_c.py", "tests/cards/test_b.py::test_two")
    assert killers.first("valuesets", "b.json") == ("tests/cards/test_c.py", "tests/cards/test_b.py::test_two",
                                                    "tests/cards/test_a.py::test_one")
    killers.record("valuesets", "c.json", "FAILED tests/cards/test_a.py::test_one[y]")  # again: to the front
    assert killers.first("valuesets", "new.json")[0] == "tests/cards/test_a.py::test_one"
    assert mutate_knowledge.Killers(limit=0).first("wording", "w.yaml") == ()


@pytest.mark.parametrize("short_run, runs, verdict", [
    ((1, "FAILED tests/cards/test_a.py::test_one"), ["short"], "killed"),  # a killer fails: killed, no whole lane
    ((0, ""), ["short", "lane"], "survived"),  # none fails: the whole lane decides, and lets it through
    ((4, "ERROR: not found: tests/cards/test_a.py::test_one"), ["short", "lane"], "survived"),  # a usage error
    ((2, ""), ["short", "lane"], "survived"),  # interrupted: never a kill by itself
])
def test_a_survivor_is_always_confirmed_by_the_whole_lane(monkeypatch, short_run, runs, verdict) -> None:
    seen = []

    def run_lane(workdir, tests=("tests/cards",)):
        seen.append("lane" if tests == ("tests/cards",) else "short")
        return (*short_run[:1], 1.0, short_run[1]) if seen[-1] == "short" else (0, 10.0, "")

    monkeypatch.setattr(mutate_knowledge, "run_lane", run_lane)
    killers = mutate_knowledge.Killers()
    killers.record("valuesets", "a.json", "FAILED tests/cards/test_a.py::test_one")
    survived, seconds, failed = mutate_knowledge.judge(Path("."), killers, "valuesets", "a.json")
    assert seen == runs
    assert ("survived" if survived else "killed") == verdict
    assert seconds == (1.0 if runs == ["short"] else 11.0)
    assert failed == ("FAILED tests/cards/test_a.py::test_one (earlier killers)" if verdict == "killed" else "")


def test_the_whole_lane_runs_alone_while_no_test_has_killed_anything(monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(mutate_knowledge, "run_lane",
                        lambda workdir, tests=("tests/cards",): seen.append(tests) or (1, 9.0, "FAILED tests/cards/t.py::f[1]"))
    killers = mutate_knowledge.Killers()
    assert mutate_knowledge.judge(Path("."), killers, "wording", "w.yaml") == (False, 9.0, "FAILED tests/cards/t.py::f[1]")
    assert seen == [("tests/cards",)]
    assert killers.first("wording", "other.yaml") == ("tests/cards/t.py::f",)  # remembered for the next mutant


def test_the_mutators_own_tests_never_judge_a_mutant(tmp_path) -> None:
    """They read the mutated file as if it were the shipped one (a wording mutant, mutated again, is unchanged)."""
    path = mutate_knowledge.KNOWLEDGE / "wording" / "stress.yaml"
    mutant = next(mutate_knowledge.wording_mutants(path))
    path_of_mutant = tmp_path / "stress.yaml"
    path_of_mutant.write_text(mutant.text)
    again = next(mutate_knowledge.wording_mutants(path_of_mutant))
    assert again.text == mutant.text  # what test_every_mutant_changes_its_file would trip over in the copy
    assert mutate_knowledge.PYTEST[-2:] == ("--ignore", "tests/cards/test_knowledge_mutants.py")
    assert Path(__file__).resolve() == mutate_knowledge.ROOT / mutate_knowledge.SELF_TEST
