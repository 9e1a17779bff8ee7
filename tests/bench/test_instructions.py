"""The instruction-count bench: the arithmetic of "N calls minus none", the callgrind total, and the driver."""

from __future__ import annotations

import asyncio

import pytest

from bench import instruction_driver
from bench.inprocess import EngineBench
from bench.instructions import collected, measure, per_call, render

CALLGRIND_EXIT = """==4242== Events    : Ir
==4242== Collected : 5284084757
==4242==
==4242== I   refs:      5,284,084,757
"""


def test_the_total_is_read_from_what_callgrind_prints_at_exit() -> None:
    assert collected(CALLGRIND_EXIT) == 5_284_084_757


def test_output_without_a_total_is_an_error_not_a_zero() -> None:
    with pytest.raises(RuntimeError, match="no instruction total"):
        collected("==1== Memcheck, a memory error detector\nKilled\n")


def test_one_call_costs_the_difference_divided_by_the_calls() -> None:
    assert per_call(1_000, 1_250, 10) == 25
    with pytest.raises(ValueError):
        per_call(1_000, 1_250, 0)
    with pytest.raises(RuntimeError, match="fewer instructions"):
        per_call(1_000, 900, 10)


def test_every_stage_is_measured_against_one_run_without_calls_per_chart() -> None:
    cost = {"ours": 40, "parse": 18, "evaluate": 22, "orjson": 10}
    start_up = {"medium": 1_000_000, "large": 3_000_000}
    runs: list[tuple[str, str, int]] = []

    def runner(chart: str, stage: str, calls: int) -> int:
        runs.append((chart, stage, calls))
        return start_up[chart] + calls * cost[stage] * (4 if chart == "large" else 1)

    results = measure(["medium", "large"], 5, jobs=1, runner=runner)

    assert sorted(run for run in runs if run[2] == 0) == [("large", "ours", 0), ("medium", "ours", 0)]
    assert len(runs) == 2 + 2 * len(cost)
    assert results["charts"]["medium"]["instructions_per_call"] == cost
    assert results["charts"]["large"]["instructions_per_call"] == {stage: 4 * n for stage, n in cost.items()}
    assert results["charts"]["medium"]["ours_over_orjson"] == 4.0
    table = render(results)
    assert "| medium | 0.0 M | 0.0 M | 0.0 M | 0.0 M | 4.00× |" in table


@pytest.mark.parametrize("stage", instruction_driver.STAGE_NAMES)
def test_the_driver_makes_exactly_the_calls_asked_for_after_the_same_warm_up(
    stage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[str] = []
    ours = EngineBench.ours

    async def counting_ours(self: EngineBench, body: bytes) -> object:
        counted.append("ours")
        return await ours(self, body)

    monkeypatch.setattr(EngineBench, "ours", counting_ours)
    assert asyncio.run(instruction_driver.run("small", stage, 2)) == 2
    # Every stage is warmed up in every run, so a run with no calls is the baseline of each stage.
    assert len(counted) == instruction_driver.WARMUP + (2 if stage == "ours" else 0)


def test_an_unknown_stage_is_refused_by_name() -> None:
    with pytest.raises(SystemExit, match="unknown stage 'everything'"):
        instruction_driver.main(["small", "everything", "1"])
