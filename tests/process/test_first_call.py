"""A new integration engineer's first minutes, against the real CLI and a real uvicorn process: configuration
that fails with one clear line, a development token that a running service accepts, API docs that work offline,
and the README's own command blocks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.service_process import free_port, running_service, stop
from tests.support.processes import wait_until_ok

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
FIXTURE = ROOT / "fixtures" / "scenarios" / "05-low-magnesium-and-potassium" / "request.json"
CLEAN_ENV = {key: value for key, value in os.environ.items() if not key.startswith("FTCDS_")}


def cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cds_hooks", *args], env={**CLEAN_ENV, **env}, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("FTCDS_PORT", "eighty", "valid integer"),
        ("FTCDS_LOG_LEVEL", "loud", "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("FTCDS_PROFILE", "prod", "'development' or 'production'"),
        ("FTCDS_TRUSTED_ISSUERS", "{not json", "not valid JSON"),
        ("FTCDS_MAX_BODY_BYTES", "-5", "greater than 0"),
        ("FTCDS_PUBLIC_BASE_URL", "not a url", "valid URL"),
        ("FTCDS_API_DOCS", "maybe", "valid boolean"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable_with_an_example(tmp_path, variable, value, problem) -> None:
    result = cli("serve", env={"FTCDS_DATA_DIR": str(tmp_path), variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"facial-twitch-cds: configuration: {variable}=")
    assert problem in lines[0] and f"(example: {variable}=" in lines[0]
    assert "Traceback" not in result.stderr


def test_the_traceback_is_shown_only_at_debug(tmp_path) -> None:
    result = cli("serve", env={"FTCDS_DATA_DIR": str(tmp_path), "FTCDS_PORT": "x", "FTCDS_LOG_LEVEL": "DEBUG"})
    assert result.returncode == 2 and "Traceback" in result.stderr and "FTCDS_PORT='x'" in result.stderr


def test_a_secret_value_is_never_echoed(tmp_path) -> None:
    result = cli("serve", env={"FTCDS_DATA_DIR": str(tmp_path), "FTCDS_TRUSTED_ISSUERS": "[]",
                               "FTCDS_ID_HASH_SECRET": "", "FTCDS_PORT": "x", "FTCDS_ADMIN_TOKEN": "s3cr3t-value"})
    assert "s3cr3t-value" not in result.stderr


def test_production_with_nothing_configured_refuses_to_start_and_says_what_is_missing(tmp_path) -> None:
    result = cli("serve", env={"FTCDS_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "FTCDS_TRUSTED_ISSUERS is empty" in result.stderr and "FTCDS_PUBLIC_BASE_URL is required" in result.stderr
    assert not list(tmp_path.iterdir()), "nothing may be written before the configuration is known to be good"


def test_postgres_without_an_id_hash_secret_refuses_before_touching_the_store(tmp_path) -> None:
    started = time.monotonic()
    result = cli("serve", env={"FTCDS_DATA_DIR": str(tmp_path), "FTCDS_PROFILE": "development",
                               "FTCDS_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "FTCDS_ID_HASH_SECRET must be set" in result.stderr
    assert "alembic" not in result.stderr.lower() and time.monotonic() - started < 30


def test_offline_commands_do_not_need_a_servable_configuration(tmp_path) -> None:
    result = cli("discovery", env={"FTCDS_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0 and '"patient-view"' in result.stdout


def test_token_is_refused_outside_development(tmp_path) -> None:
    result = cli("token", env={"FTCDS_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "only for the development profile" in result.stderr and not result.stdout


def test_a_minted_token_gets_cards_from_a_real_service_once(tmp_path) -> None:
    env = {"FTCDS_PROFILE": "development", "FTCDS_DATA_DIR": str(tmp_path)}
    with running_service({**env, "FTCDS_PUBLIC_BASE_URL": ""}, tmp_path / "service.log") as service:
        url = f"{service.base_url}/cds-services/patient-view"
        token = cli("token", "--aud", url, env=env).stdout.strip()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        first = httpx.post(url, content=FIXTURE.read_bytes(), headers=headers, timeout=10)
        again = httpx.post(url, content=FIXTURE.read_bytes(), headers=headers, timeout=10)
        other = cli("token", "--aud", f"{service.base_url}/cds-services/order-sign", env=env).stdout.strip()
        wrong = httpx.post(url, content=FIXTURE.read_bytes(), timeout=10,
                           headers={**headers, "Authorization": f"Bearer {other}"})
        logs = service.logs()
    assert first.status_code == 200
    assert sorted(card["source"]["topic"]["code"] for card in first.json()["cards"]) == [
        "electrolyte.magnesium.low", "electrolyte.potassium.low"]
    assert again.status_code == 401 and again.content == b""  # the same jti twice is a replay
    assert wrong.status_code == 401 and wrong.content == b""
    mismatch = next(line for line in logs.splitlines() if "audience mismatch" in line)
    assert f'"expected":"{url}"' in mismatch and "/cds-services/order-sign" in mismatch
    assert '"msg":"configuration"' in logs and '"profile":"development"' in logs


def test_api_docs_work_offline_in_development_and_are_off_in_production(tmp_path) -> None:
    development = {"FTCDS_PROFILE": "development", "FTCDS_DATA_DIR": str(tmp_path / "dev"),
                   "FTCDS_PUBLIC_BASE_URL": ""}
    with running_service(development, tmp_path / "dev.log") as service:
        page = httpx.get(f"{service.base_url}/docs", timeout=10)
        assets = re.findall(r'(?:src|href)="(/[^"]+)"', page.text)
        fetched = [httpx.get(service.base_url + asset, timeout=10).status_code for asset in assets]
        redoc = httpx.get(f"{service.base_url}/redoc", timeout=10)
    assert page.status_code == 200 and "cdn" not in page.text.lower() and assets and set(fetched) == {200}
    assert redoc.status_code == 200 and "cdn" not in redoc.text.lower()
    issuers = '[{"iss": "https://ehr.example.org", "jwks_url": "https://ehr.example.org/jwks.json"}]'
    production = {"FTCDS_DATA_DIR": str(tmp_path / "prod"), "FTCDS_TRUSTED_ISSUERS": issuers}
    with running_service(production, tmp_path / "prod.log") as service:
        assert httpx.get(f"{service.base_url}/docs", timeout=10).status_code == 404
    with running_service({**production, "FTCDS_API_DOCS": "true"}, tmp_path / "prod-docs.log") as service:
        assert httpx.get(f"{service.base_url}/docs", timeout=10).status_code == 200


def test_serve_takes_host_and_port_from_settings(tmp_path) -> None:
    port = free_port()
    env = {**CLEAN_ENV, "FTCDS_PROFILE": "development", "FTCDS_DATA_DIR": str(tmp_path), "FTCDS_HOST": "127.0.0.1",
           "FTCDS_PORT": str(port)}
    process = subprocess.Popen([sys.executable, "-m", "cds_hooks", "serve"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until_ok(f"http://127.0.0.1:{port}/healthz", process, timeout=30, name="service")
    finally:
        stop(process)


def test_serve_removes_metrics_folders_of_processes_that_are_gone(tmp_path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f"prometheus-{dead.stdout.strip()}"
    stale.mkdir()
    alive = tmp_path / f"prometheus-{os.getpid()}"
    alive.mkdir()
    with running_service({"FTCDS_PROFILE": "development", "FTCDS_DATA_DIR": str(tmp_path),
                          "FTCDS_PUBLIC_BASE_URL": ""}, tmp_path / "service.log"):
        assert not stale.exists() and alive.exists()


def _sh_blocks(heading: str) -> list[str]:
    section = README.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_first_call_works_as_written(tmp_path) -> None:
    """The block runs in bash from the repository root; only the port is moved to a free one."""
    port = str(free_port())
    block = _sh_blocks("First call (development, about a minute)")[0].replace("8080", port)
    script = f"trap 'kill 0' EXIT\n{block}"  # the whole session, `make run` and its server included, ends here
    env = {**CLEAN_ENV, "PORT": port, "FTCDS_DATA_DIR": str(tmp_path)}
    result = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                            start_new_session=True)
    assert '"electrolyte.magnesium.low"' in result.stdout and '"electrolyte.potassium.low"' in result.stdout, (
        result.stdout + result.stderr)


def test_every_offline_command_line_in_the_readme_runs(tmp_path) -> None:
    lines = [line.split("#")[0].strip() for line in _sh_blocks("Command line")[0].splitlines()]
    commands = [line for line in lines if line and " serve " not in f" {line} "]
    assert len(commands) >= 6
    for command in commands:
        assignments, _, rest = command.rpartition("facial-twitch-cds ")
        env = {**CLEAN_ENV, "FTCDS_DATA_DIR": str(tmp_path),
               **dict(item.split("=", 1) for item in assignments.split())}
        result = subprocess.run([sys.executable, "-m", "cds_hooks", *rest.split()], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{command}\n{result.stderr}"


def test_evaluate_honours_the_site_file_and_a_bad_one_stops_every_command(tmp_path) -> None:
    scenario = str(FIXTURE.parent)
    env = {"FTCDS_DATA_DIR": str(tmp_path)}
    assert "electrolyte.magnesium.low" in cli("evaluate", scenario, "--json", env=env).stdout
    site = tmp_path / "site.yaml"
    site.write_text("rules:\n  electrolyte.magnesium.low: {mode: silent}\n")
    tuned = cli("evaluate", scenario, "--json", env={**env, "FTCDS_SITE_KNOWLEDGE": str(site)})
    assert tuned.returncode == 0
    assert "electrolyte.magnesium.low" not in tuned.stdout and "electrolyte.potassium.low" in tuned.stdout
    site.write_text("thresholds:\n  potassium.moderate-below: 3.2\n"
                    "wording:\n  electrolyte.potassium.low: {action: 'replace it, then find out why'}\n")
    reworded = cli("evaluate", scenario, "--json", env={**env, "FTCDS_SITE_KNOWLEDGE": str(site)})
    assert reworded.returncode == 0 and "replace it, then find out why" in reworded.stdout
    rules = cli("rules", env={**env, "FTCDS_SITE_KNOWLEDGE": str(site)}).stdout
    assert "Threshold potassium.moderate-below = 3.2 mmol/L (site; shipped 3)" in rules and "action (site)" in rules
    site.write_text("thresholds:\n  potassium.moderate-below: 2\n")
    outside = cli("evaluate", scenario, env={**env, "FTCDS_SITE_KNOWLEDGE": str(site)})
    assert outside.returncode == 2 and "thresholds.potassium.moderate-below: 2 mmol/L is outside the safe bounds " \
                                      "2.8-3.2 mmol/L" in outside.stderr
    site.write_text("rules:\n  redflag.urgent-review: {mode: off}\n")
    for command in (("evaluate", scenario), ("serve",)):
        refused = cli(*command, env={**env, "FTCDS_SITE_KNOWLEDGE": str(site), "FTCDS_PROFILE": "development"})
        assert refused.returncode == 2 and refused.stderr.count("\n") == 1
        assert refused.stderr.startswith(f"facial-twitch-cds: configuration: FTCDS_SITE_KNOWLEDGE: {site}: ")
        assert "rules.redflag.urgent-review.mode: this rule can warn of an emergency" in refused.stderr
