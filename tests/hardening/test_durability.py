"""Feedback the service acknowledged survives `kill -9` in the middle of a burst, on SQLite and on PostgreSQL.

Concurrent clients post feedback to a real two-worker server; the whole process group is killed with SIGKILL
while requests are in flight. After a restart, every item that was answered 200 is in the store, read back
through `Store` directly. (Items whose answer never arrived may or may not be there: nobody was told either way.)
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cds_hooks.store import Store
from cds_hooks.store.schema import feedback
from tests.support.postgres import isolated_schema_url
from tests.support.secrets_in_logs import Secrets
from tests.support.service_process import ServiceProcess, development_env, running_service

from .tally import FEEDBACK_ACKED, FEEDBACK_FOUND, count

pytestmark = pytest.mark.process

PATH = "/cds-services/patient-view/feedback"
CLIENTS = 8
ITEMS_PER_POST = 3
KILL_AFTER_ACKED = 90  # items acknowledged before the kill: enough that the kill lands mid-burst
BURST_LIMIT_SECONDS = 20.0


def feedback_item() -> dict[str, Any]:
    """Feedback on a made-up card (stored as `unknown-card`, which is still stored)."""
    return {
        "card": str(uuid.uuid4()),
        "outcome": "overridden",
        "outcomeTimestamp": datetime.now(UTC).isoformat(),
        "overrideReason": {"reason": {"code": "not-relevant", "system": "urn:facial-twitch-cds:override-reason"}},
    }


class Burst:
    """Clients posting feedback until the server goes away, recording every item acknowledged with a 200."""

    def __init__(self, service: ServiceProcess) -> None:
        self.base_url = service.base_url
        self.acknowledged: dict[str, dict[str, Any]] = {}  # card uuid -> the item, as posted
        self.unexpected: list[str] = []  # answers that were neither a 200 nor a dropped connection
        self.cut_off = 0  # clients whose server went away under them
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._client) for _ in range(CLIENTS)]

    def __enter__(self) -> Burst:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for thread in self._threads:
            thread.join(timeout=BURST_LIMIT_SECONDS)

    def acknowledged_count(self) -> int:
        with self._lock:
            return len(self.acknowledged)

    def _client(self) -> None:
        deadline = time.monotonic() + BURST_LIMIT_SECONDS
        with httpx.Client(base_url=self.base_url, timeout=5) as client:
            while time.monotonic() < deadline:
                items = [feedback_item() for _ in range(ITEMS_PER_POST)]
                try:
                    response = client.post(PATH, json={"feedback": items})
                except httpx.TransportError:
                    with self._lock:
                        self.cut_off += 1  # the server is gone
                    return
                with self._lock:
                    if response.status_code != 200:
                        self.unexpected.append(f"{response.status_code}: {response.text}")
                        return
                    self.acknowledged.update((item["card"], item) for item in items)


def kill_hard(service: ServiceProcess) -> None:
    """SIGKILL to the server and all its workers: no shutdown handler runs, nothing is flushed."""
    os.killpg(service.process.pid, signal.SIGKILL)
    service.process.wait()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    """Settings for the server, and the URL to read its store with."""
    env = development_env(tmp_path / "data") | {"FTCDS_ID_HASH_SECRET": "durability"}
    if request.param == "sqlite":
        yield env, f"sqlite:///{(tmp_path / 'data' / 'facial-twitch-cds.sqlite3').resolve()}"
        return
    with isolated_schema_url() as url:
        yield {**env, "FTCDS_DATABASE_URL": url}, url


def stored_cards(database_url: str) -> set[str]:
    store = Store.open(database_url)
    try:
        with store.engine.connect() as connection:
            return set(connection.execute(select(feedback.c.card_uuid)).scalars())
    finally:
        store.close()


def test_acknowledged_feedback_survives_kill_9_mid_burst(
    store_env: tuple[dict[str, str], str], tmp_path: Path, fixture_secrets: Secrets
) -> None:
    env, database_url = store_env
    with running_service(env, tmp_path / "before.log", workers=2) as service, Burst(service) as burst:
        deadline = time.monotonic() + BURST_LIMIT_SECONDS
        while burst.acknowledged_count() < KILL_AFTER_ACKED and time.monotonic() < deadline:
            time.sleep(0.01)
        kill_hard(service)
    acknowledged = set(burst.acknowledged)
    count(FEEDBACK_ACKED, len(acknowledged))
    assert burst.unexpected == []
    assert burst.cut_off == CLIENTS  # every client was still posting when the server died
    assert len(acknowledged) >= KILL_AFTER_ACKED

    with running_service(env, tmp_path / "after.log", workers=2) as restarted:
        resent = next(iter(burst.acknowledged.values()))
        again = httpx.post(restarted.base_url + PATH, json={"feedback": [resent]})
        assert again.json() == {"feedback": [{"card": resent["card"], "status": "duplicate"}]}

    missing = acknowledged - stored_cards(database_url)
    count(FEEDBACK_FOUND, len(acknowledged) - len(missing))
    assert missing == set()
    for log in ("before.log", "after.log"):
        assert fixture_secrets.found_in((tmp_path / log).read_text(errors="replace")) == []
