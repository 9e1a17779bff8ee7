"""The bench report's targets, on a made-up results document."""

from __future__ import annotations

import pytest

from bench.report import targets
from tests.support.bench_results import results_document

MEMORY = "medium chart: peak RSS per worker, 2-worker load and soak"


def _memory_target(results: dict) -> dict:
    [target] = [t.as_dict() for t in targets(results) if t.name == MEMORY]
    return target


def test_the_memory_target_is_the_larger_peak_of_the_short_load_and_the_soak() -> None:
    results = results_document(with_healthchain=False)
    assert _memory_target(results) == {"name": MEMORY, "goal": "<= 150 MB", "measured": 146.0, "result": "PASS"}
    results["soak"]["after"] = [{"rss_mb": 158.0, "peak_mb": 162.4}]  # the working size the 4-second load missed
    assert _memory_target(results)["measured"] == pytest.approx(162.4)
    assert _memory_target(results)["result"] == "MISS"


def test_a_worker_over_the_limit_in_the_short_load_misses_too() -> None:
    results = results_document(with_healthchain=False)
    results["throughput"]["workers"]["2"]["medium"]["memory"][1]["peak_mb"] = 151.0
    assert _memory_target(results)["measured"] == pytest.approx(151.0)
    assert _memory_target(results)["result"] == "MISS"
