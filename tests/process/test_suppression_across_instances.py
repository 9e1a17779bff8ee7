"""Feedback stored through one instance quiets the rule on another that shares the database, within a second,
although each instance answers snoozes from memory (`cds_hooks.store.suppression_cache`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.charts import SMALL, hook_request
from tests.support.postgres import isolated_schema_url
from tests.support.service_process import ServiceProcess, running_service

pytestmark = pytest.mark.process

HOOK = "/cds-services/patient-view"
RULE = "electrolyte.magnesium.low"
QUIET_WITHIN_S = 1.0
BODY = hook_request(SMALL, today=date.today())  # labs dated from today, so the magnesium card fires


@pytest.fixture(params=["postgresql", "sqlite"])
def two_instances(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    with ExitStack() as stack:
        if request.param == "postgresql":
            database_url = stack.enter_context(isolated_schema_url())
        else:  # two processes on one machine, one SQLite file
            database_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        env = {"FTCDS_PROFILE": "development", "FTCDS_AUTH": "off", "FTCDS_DATABASE_URL": database_url,
               "FTCDS_ID_HASH_SECRET": "shared-by-both"}
        a, b = (
            stack.enter_context(running_service({**env, "FTCDS_DATA_DIR": str(tmp_path / name)},
                                                tmp_path / f"{name}.log"))
            for name in ("a", "b")
        )
        yield a, b


def cards(service: ServiceProcess) -> dict[str, dict[str, Any]]:
    response = httpx.post(service.base_url + HOOK, json=BODY, timeout=30)
    assert response.status_code == 200, response.text
    return {card["source"]["topic"]["code"]: card for card in response.json()["cards"]}


def test_feedback_through_one_instance_quiets_the_rule_on_the_other_within_a_second(
    two_instances: tuple[ServiceProcess, ServiceProcess],
) -> None:
    a, b = two_instances
    assert RULE in cards(b) and RULE in cards(b)  # b has read, and remembered, that nothing is snoozed
    card = cards(a)[RULE]
    feedback = {"feedback": [{
        "card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": datetime.now(UTC).isoformat(),
        "overrideReason": {"reason": {"system": "urn:facial-twitch-cds:override-reason", "code": "already-addressed"}},
    }]}
    response = httpx.post(f"{a.base_url}{HOOK}/feedback", json=feedback, timeout=30)
    assert response.json()["feedback"][0]["status"] == "stored"
    stored = time.monotonic()
    while RULE in cards(b):
        assert time.monotonic() - stored < QUIET_WITHIN_S, "instance b still shows the snoozed card"
    assert RULE not in cards(a)
