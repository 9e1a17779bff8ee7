"""The command line as an operator uses it: discovery, evaluating a scenario without a server, schema upgrade."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cds_hooks.cli import app

SCENARIOS = Path(__file__).parents[2] / "fixtures" / "scenarios"
runner = CliRunner()


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FTCDS_DATA_DIR", str(tmp_path))
    return tmp_path


def test_discovery_prints_the_three_services() -> None:
    result = runner.invoke(app, ["discovery"])
    assert result.exit_code == 0
    assert [s["id"] for s in json.loads(result.stdout)["services"]] == ["patient-view", "order-select", "order-sign"]


def test_evaluate_a_scenario_folder_prints_its_cards_readably() -> None:
    result = runner.invoke(app, ["evaluate", str(SCENARIOS / "05-low-magnesium-and-potassium")])
    assert result.exit_code == 0, result.output
    assert "WARNING: " in result.stdout and "rule: electrolyte.magnesium.low" in result.stdout
    assert "rule: electrolyte.potassium.low" in result.stdout
    assert "-> suggestion:" in result.stdout


def test_evaluate_json_prints_the_raw_cds_hooks_response() -> None:
    result = runner.invoke(app, ["evaluate", "--json", str(SCENARIOS / "05-low-magnesium-and-potassium" / "request.json"),
                                 "--today", "2026-11-25"])
    assert result.exit_code == 0, result.output
    rules = {card["source"]["topic"]["code"] for card in json.loads(result.stdout)["cards"]}
    assert rules == {"electrolyte.magnesium.low", "electrolyte.potassium.low"}


def test_evaluate_reports_silence() -> None:
    result = runner.invoke(app, ["evaluate", str(SCENARIOS / "01-no-twitching-low-magnesium")])
    assert result.exit_code == 0
    assert "No cards" in result.stdout


def test_evaluate_a_bad_request_exits_2_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hook": "patient-view", "context": {}}')
    result = runner.invoke(app, ["evaluate", str(bad)])
    assert result.exit_code == 2
    assert "hookInstance" in result.output


def test_db_upgrade_creates_the_schema(isolated_data_dir: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(isolated_data_dir / "facial-twitch-cds.sqlite3") as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master where type='table'")}
    assert {"issued_cards", "feedback", "suppressions", "seen_jtis"} <= tables


# In a fresh interpreter, as `serve` runs it: which modules the serving process holds afterwards is the point.
SERVE_START = """
import sys
from cds_hooks.cli import upgrade_schema_in_child
from cds_hooks.store import Store
upgrade_schema_in_child(sys.argv[1])
store = Store.open(sys.argv[1])
print(store.at_head(), "alembic" in sys.modules, "psycopg" in sys.modules)
store.close()
"""


def test_serve_migrates_in_a_child_so_the_serving_process_loads_neither_alembic_nor_psycopg(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    started = subprocess.run([sys.executable, "-c", SERVE_START, url], capture_output=True, text=True, check=True)
    assert started.stdout.split() == ["True", "False", "False"], started.stderr


UNREACHABLE_START = """
import sys
from cds_hooks.cli import upgrade_schema_in_child
upgrade_schema_in_child(sys.argv[1])
print("returned")
"""


def test_a_store_serve_cannot_reach_is_left_to_the_workers_start_up() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"  # port 1: refused at once
    started = subprocess.run([sys.executable, "-c", UNREACHABLE_START, url], capture_output=True, text=True,
                             check=False, timeout=60)
    assert (started.returncode, started.stdout.strip()) == (0, "returned"), started.stderr
