"""A whole `make bench` results document with made-up figures, for tests of the report and its targets."""

from __future__ import annotations

from typing import Any

from bench.charts import SIZES
from bench.measure import summarize

CHARTS = tuple(size.name for size in SIZES)


def results_document(*, with_healthchain: bool) -> dict[str, Any]:
    """A results document with every section `render` and `targets` read, the same figures for every chart."""
    summary = summarize([5.0, 6.0, 6.0, 7.0, 11.0]).as_dict()
    load = {"requests_per_s": 300.0, "requests": 1200, "errors": 0, "seconds": 4.0, "latency_ms": summary,
            "client_cpu_cores": 0.2, "server_cpu_ms_per_request": 6.0, "worker_cpu_shares": [0.5, 0.5]}
    http = {"hook_ms": summary, "floor_ms": summary | {"p50": 1.0}, "orjson_parse_p50_ms": 1.0,
            "floor_plus_parse_ms": 2.0, "p50_over_floor": 6.0, "p50_over_floor_plus_parse": 3.0}
    results: dict[str, Any] = {
        "meta": {"started": "2026-12-04T20:00:00+00:00", "quick": True, "python": "3.11.7", "cpus": 2,
                 "load_average_start": [0.1, 0.1, 0.1], "load_average_end": [0.1, 0.1, 0.1]},
        "charts": {name: {"resources": 300, "body_kb": 344.1} for name in CHARTS},
        "in_process": {name: {"ours_ms": summary, "baseline_ms": summary, "baseline_over_ours": 14.0,
                              "stages_p50_ms": {"parse": 1, "prefetch": 0, "evaluate": 2, "render": 0.1},
                              "json_decode_p50_ms": 0.9, "rules_fired": ["magnesium"]} for name in CHARTS},
        "profile_large": {"top_by_own_time": [], "what_if_gc_frozen_ms": summary},
        "http": {"workers": 1} | {name: dict(http) for name in CHARTS},
        "throughput": {"concurrency": 16, "client": "wrk", "workers": {
            "1": {"medium": load | {"memory": [{"rss_mb": 140.0, "peak_mb": 141.0}]}},
            "2": {"medium": load | {"memory": [{"rss_mb": 137.0, "peak_mb": 138.0},
                                               {"rss_mb": 136.0, "peak_mb": 139.0}]}}}},
        "end_to_end_without_prefetch": {"chart": "medium", "fhir_delay_ms": 100, "latency_ms": summary,
                                        "fhir_queries_per_call": 5, "answered_without_cards": 0},
        "soak": {"chart": "medium", "warmup_requests": 1000, "requests": 500, "errors": 0,
                 "after_warmup": [{"rss_mb": 145.0, "peak_mb": 146.0}], "after": [{"rss_mb": 145.1, "peak_mb": 146.0}],
                 "growth_mb": 0.1, "growth_pct": 0.1, "late_growth_mb_per_1000_requests": 0.0,
                 "checkpoints": []},
        "fallback_fetch": {"keys": 5, "query_delay_ms": 100, "five_keys_ms": summary, "deadline_s": 0.2,
                           "server_delay_ms": 2000, "deadline_overshoot_ms": summary},
    }
    if with_healthchain:
        results["healthchain"] = {"cards": 3, "rounds": 5,
                                  "healthchain": {"hook_ms": summary | {"p50": 75.0, "p99": 130.0},
                                                  "floor_ms": summary | {"p50": 2.4}},
                                  "ours": {"hook_ms": summary | {"p50": 6.0}, "floor_ms": summary | {"p50": 1.0}}}
        results["http"]["medium"]["hook_ms"] = summary | {"p50": 9.0}  # the earlier run's; not what the ratio uses
    return results
