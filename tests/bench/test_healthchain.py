"""The HealthChain comparison's mechanics, with a stand-in peer process (HealthChain itself is not installed here):
which interpreter is used, that a peer answering differently is refused before it is timed, and the report."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench import healthchain
from bench.charts import SIZES
from bench.measure import summarize
from bench.report import healthchain_over_ours, render, targets

# A peer in the standard library: discovery, and the hook answering the response file it is given. With
# STAND_IN_CHANGES set it drops the last card, as a framework whose models lose a field or a card would.
STAND_IN = textwrap.dedent("""
    import json, os, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    answer = json.loads(open(os.environ["FTCDS_PEER_CARDS"], encoding="utf-8").read())
    if os.environ.get("STAND_IN_CHANGES"):
        answer["cards"] = answer["cards"][:-1]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, body):
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.reply({"services": []})

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.reply(answer)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
""")
CHARTS = tuple(size.name for size in SIZES)
CARDS = {"cards": [{"uuid": "a", "summary": "Low magnesium", "indicator": "warning", "source": {"label": "x"}},
                   {"uuid": "b", "summary": "Epilepsy", "indicator": "info", "source": {"label": "y"}}]}


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "stand_in_peer.py"
    script.write_text(STAND_IN, encoding="utf-8")
    monkeypatch.setattr(healthchain, "PEER_SCRIPT", script)
    return Path(sys.executable)


@pytest.fixture
def ours(tmp_path: Path, stand_in: Path) -> Any:
    """"Our service": the stand-in answering CARDS, on its own port."""
    cards_file = tmp_path / "ours.json"
    cards_file.write_bytes(orjson.dumps(CARDS))
    with healthchain.running_peer(stand_in, cards_file, tmp_path / "ours.log") as url:
        yield url


def test_an_explicit_interpreter_must_exist(tmp_path: Path) -> None:
    python = tmp_path / "python"
    with pytest.raises(FileNotFoundError, match="make bench-healthchain"):
        healthchain.interpreter(python)
    python.touch()
    assert healthchain.interpreter(python) == python


def test_the_built_virtualenv_is_used_when_present_and_nothing_otherwise(tmp_path: Path) -> None:
    default = tmp_path / ".venv-healthchain" / "bin" / "python"
    assert healthchain.interpreter(None, default) is None
    default.parent.mkdir(parents=True)
    default.touch()
    assert healthchain.interpreter(None, default) == default


@pytest.mark.process
def test_a_peer_answering_our_cards_is_timed(tmp_path: Path, stand_in: Path, ours: str) -> None:
    measured = healthchain.compare(stand_in, ours, b'{"hook": "patient-view"}', tmp_path / "run", warmup=1,
                                   repeat=10)
    assert (measured["cards"], measured["rounds"]) == (2, healthchain.ROUNDS)
    for side in ("ours", "healthchain"):
        assert measured[side]["hook_ms"]["count"] == measured[side]["floor_ms"]["count"] == 10
        assert measured[side]["hook_ms"]["p50"] > 0 and measured[side]["floor_ms"]["p50"] > 0
    assert orjson.loads((tmp_path / "run" / "cards.json").read_bytes()) == CARDS


@pytest.mark.process
def test_a_peer_answering_anything_else_is_refused_before_timing(tmp_path: Path, stand_in: Path, ours: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAND_IN_CHANGES", "1")
    with pytest.raises(healthchain.NotTheSameCard, match="1 cards that differ from our 2"):
        healthchain.compare(stand_in, ours, b"{}", tmp_path / "run", warmup=1, repeat=5)


def _results(*, with_healthchain: bool) -> dict[str, Any]:
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
        "http": {"workers": 1} | {name: http for name in CHARTS},
        "throughput": {"concurrency": 16, "client": "wrk", "workers": {
            "1": {"medium": load | {"memory": [{"rss_mb": 150.0, "peak_mb": 160.0}]}},
            "2": {"medium": load | {"memory": [{"rss_mb": 150.0, "peak_mb": 160.0}] * 2}}}},
        "end_to_end_without_prefetch": {"chart": "medium", "fhir_delay_ms": 100, "latency_ms": summary,
                                        "fhir_queries_per_call": 5, "answered_without_cards": 0},
        "soak": {"chart": "medium", "warmup_requests": 1000, "requests": 500, "errors": 0, "after_warmup": [],
                 "after": [], "growth_mb": 0.1, "growth_pct": 0.1, "late_growth_mb_per_1000_requests": 0.0,
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


def test_the_ratio_is_healthchains_median_over_ours_from_the_alternating_turns() -> None:
    assert healthchain_over_ours(_results(with_healthchain=True)) == pytest.approx(12.5)


def test_the_report_shows_both_services_and_the_25x_goal_when_measured() -> None:
    results = _results(with_healthchain=True)
    results["targets"] = [target.as_dict() for target in targets(results)]
    goal = [t for t in results["targets"] if "HealthChain" in t["name"]]
    assert goal == [{"name": "medium chart: HealthChain's HTTP p50 over ours", "goal": ">= 25 x",
                     "measured": 12.5, "result": "MISS"}]
    report = render(results)
    assert "its p50 is 12.5x ours" in report
    assert "HealthChain 0.16.1" in report and "Not measured" not in report


def test_without_the_peer_the_report_says_not_measured_and_sets_no_goal() -> None:
    results = _results(with_healthchain=False)
    results["targets"] = [target.as_dict() for target in targets(results)]
    assert not [t for t in results["targets"] if "HealthChain" in t["name"]]
    assert "Not measured: HealthChain serving the same card" in render(results)
