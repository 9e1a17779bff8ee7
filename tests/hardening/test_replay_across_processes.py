"""A JWT's `jti` is accepted once: across the worker processes of one server, and across servers sharing a database.

Real `python -m cds_hooks serve` processes in the production profile. Each request goes on a fresh connection,
so the kernel spreads them over the workers. Both servers answer as one public URL (as behind a load balancer),
so one token's `aud` is right for either; only the shared replay guard can refuse the second use.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.scenarios import SCENARIOS_DIR, load_scenario
from tests.security.tokens import ISSUER, SigningKey, bearer, claims, key_set
from tests.support.postgres import isolated_schema_url
from tests.support.secrets_in_logs import Secrets
from tests.support.service_process import ServiceProcess, running_service

from .tally import ATTACKS_REFUSED, ATTACKS_TRIED, count

pytestmark = pytest.mark.process

PUBLIC_BASE_URL = "https://cds.example.org"
PATH = "/cds-services/patient-view"
BODY = load_scenario(SCENARIOS_DIR / "04-eyelid-twitching-mild-low-magnesium").request
SENDS = 40
BUSY_CPU_SECONDS = 0.02  # two clock ticks: an idle worker uses next to nothing while the burst lasts


def service_env(key: SigningKey, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "FTCDS_PROFILE": "production",
        "FTCDS_TRUSTED_ISSUERS": json.dumps([{"iss": ISSUER, "jwks": key_set(key.public_jwk())}]),
        "FTCDS_ID_HASH_SECRET": "replay-test",
        "FTCDS_DATA_DIR": str(data_dir),
        "FTCDS_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        **extra,
    }


def token(key: SigningKey) -> str:
    return key.mint(claims(aud=PUBLIC_BASE_URL + PATH))


def send(service: ServiceProcess, jwt: str) -> int:
    """One hook call on a connection of its own."""
    response = httpx.post(service.base_url + PATH, json=BODY, headers={"Authorization": bearer(jwt)}, timeout=30)
    return response.status_code


def send_all(targets: list[ServiceProcess], jwt: str) -> Counter[int]:
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = Counter(pool.map(lambda service: send(service, jwt), targets))
    count(ATTACKS_TRIED, len(targets) - 1)
    count(ATTACKS_REFUSED, statuses[401])
    return statuses


def workers_cpu_seconds(service: ServiceProcess) -> dict[int, float]:
    """CPU time used so far by each worker process of `service` (Linux `/proc`), by pid."""
    pid = service.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    ticks = os.sysconf("SC_CLK_TCK")
    usage = {}
    for child in map(int, children):
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        usage[child] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return usage


def replays_logged(*services: ServiceProcess) -> int:
    lines = (line for service in services for line in service.logs().splitlines() if line.startswith("{"))
    return sum(1 for entry in map(json.loads, lines) if entry.get("reason") == "jti replayed")


def assert_logs_clean(secrets: Secrets, *services: ServiceProcess) -> None:
    for service in services:
        assert secrets.found_in(service.logs()) == []


@pytest.fixture
def two_workers(tmp_path: Path, es384: SigningKey) -> Iterator[ServiceProcess]:
    with running_service(service_env(es384, tmp_path / "data"), tmp_path / "service.log", workers=2) as service:
        yield service


def test_a_token_sent_many_times_to_two_workers_is_accepted_exactly_once(
    two_workers: ServiceProcess, es384: SigningKey, fixture_secrets: Secrets
) -> None:
    jwt = token(es384)
    before = workers_cpu_seconds(two_workers)
    statuses = send_all([two_workers] * SENDS, jwt)
    after = workers_cpu_seconds(two_workers)
    assert statuses == Counter({200: 1, 401: SENDS - 1})
    busy = [pid for pid, seconds in after.items() if seconds - before.get(pid, 0.0) >= BUSY_CPU_SECONDS]
    assert len(busy) >= 2, "the requests did not reach both workers, so this proved nothing about them"
    assert replays_logged(two_workers) == SENDS - 1
    assert_logs_clean(fixture_secrets.with_tokens(jwt), two_workers)


@pytest.fixture
def two_servers_one_database(tmp_path: Path, es384: SigningKey) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    with isolated_schema_url() as database_url, ExitStack() as servers:
        started = [
            servers.enter_context(
                running_service(
                    service_env(es384, tmp_path / f"data-{name}", FTCDS_DATABASE_URL=database_url),
                    tmp_path / f"service-{name}.log",
                )
            )
            for name in ("a", "b")
        ]
        yield started[0], started[1]


def test_a_jti_used_on_one_server_is_refused_by_the_other(
    two_servers_one_database: tuple[ServiceProcess, ServiceProcess], es384: SigningKey, fixture_secrets: Secrets
) -> None:
    a, b = two_servers_one_database
    first, second, raced = token(es384), token(es384), token(es384)

    assert [send(a, first), send(b, first)] == [200, 401]
    assert [send(b, second), send(a, second)] == [200, 401]
    count(ATTACKS_TRIED, 2)
    count(ATTACKS_REFUSED, 2)
    statuses = send_all([a, b] * (SENDS // 2), raced)
    assert statuses == Counter({200: 1, 401: SENDS - 1})
    assert replays_logged(a, b) == 2 + SENDS - 1
    assert_logs_clean(fixture_secrets.with_tokens(first, second, raced), a, b)
