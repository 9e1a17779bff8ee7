"""Counting the running service's instructions per request: the dump total, the idle correction, the table, and one
real run of the service under callgrind."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest

from bench.charts import SMALL, hook_request
from bench.instructions import measure, render
from bench.served_instructions import Counted, dump_total, measure_served, per_request

DUMP = """version: 1
creator: callgrind-3.19.0
pid: 4242
cmd:  python -m cds_hooks serve --port 8080
part: 1
events: Ir
summary: 455725067
fn=(1) main
"""


def test_the_total_is_the_summary_line_of_the_dump() -> None:
    assert dump_total(DUMP) == 455_725_067
    assert dump_total(DUMP.replace("summary:", "totals:")) == 455_725_067


def test_a_dump_without_a_total_is_an_error_not_a_zero() -> None:
    with pytest.raises(RuntimeError, match="no instruction total"):
        dump_total("version: 1\nevents: Ir\n")


def test_what_the_server_spends_waiting_is_taken_off_each_request() -> None:
    # 10 requests took 4 s; the server spends 1,000 instructions a second idle.
    assert per_request(Counted(104_000, 4.0), idle_per_second=1_000, requests=10) == 10_000
    assert per_request(Counted(1_000, 4.0), idle_per_second=1_000, requests=10) == 0  # never negative
    with pytest.raises(ValueError):
        per_request(Counted(1_000, 1.0), idle_per_second=0, requests=0)


def test_served_figures_join_the_table_over_floor_plus_one_orjson_parse() -> None:
    cost = {"ours": 40, "parse": 18, "evaluate": 22, "orjson": 10}

    def runner(chart: str, stage: str, calls: int) -> int:
        return 1_000 + calls * cost[stage]

    def served(chart: str, requests: int) -> dict[str, float]:
        assert requests == 5
        return {"hook": 46_000_000.0, "floor": 1_500_000.0, "idle_per_second": 300_000.0}

    with_served = measure(["medium"], 5, jobs=1, runner=runner, served=served)
    figures = with_served["charts"]["medium"]
    assert figures["served_per_request"] == {"hook": 46_000_000, "floor": 1_500_000, "idle_per_second": 300_000}
    assert figures["served_over_floor_and_orjson"] == round(46_000_000 / (1_500_000 + 10), 2)
    table = render(with_served)
    assert table.splitlines()[0].endswith("| served hook | served floor | served / (floor + orjson) |")
    assert table.splitlines()[1] == "|---" * 9 + "|"
    assert "| 46.0 M | 1.50 M |" in table

    without = render(measure(["medium"], 5, jobs=1, runner=runner))
    assert "served" not in without


@pytest.mark.process
def test_the_service_under_callgrind_costs_more_per_hook_call_than_per_floor_request(tmp_path: Path) -> None:
    body = orjson.dumps(hook_request(SMALL, today=date(2026, 11, 25)))
    counts = measure_served(tmp_path, body, requests=1)
    assert counts["idle_per_second"] > 0
    assert 0 < counts["floor"] < counts["hook"]
    # A hook call parses and evaluates a chart: far more than the floor's routing and one small JSON answer.
    assert counts["hook"] > 3 * counts["floor"]
