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
from bench.report import healthchain_over_ours, render, targets
from tests.support.bench_results import results_document

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


def test_the_ratio_is_healthchains_median_over_ours_from_the_alternating_turns() -> None:
    assert healthchain_over_ours(results_document(with_healthchain=True)) == pytest.approx(12.5)


def test_the_report_shows_both_services_and_the_25x_goal_when_measured() -> None:
    results = results_document(with_healthchain=True)
    results["targets"] = [target.as_dict() for target in targets(results)]
    goal = [t for t in results["targets"] if "HealthChain" in t["name"]]
    assert goal == [{"name": "medium chart: HealthChain's HTTP p50 over ours", "goal": ">= 25 x",
                     "measured": 12.5, "result": "MISS"}]
    report = render(results)
    assert "its p50 is 12.5x ours" in report
    assert "HealthChain 0.16.1" in report and "Not measured" not in report


def test_without_the_peer_the_report_says_not_measured_and_sets_no_goal() -> None:
    results = results_document(with_healthchain=False)
    results["targets"] = [target.as_dict() for target in targets(results)]
    assert not [t for t in results["targets"] if "HealthChain" in t["name"]]
    assert "Not measured: HealthChain serving the same card" in render(results)
