"""Attacks carried in the request, not on the server socket: feedback floods, over-long strings; and retention,
the real `db purge` command against a store holding old and new records.

In-process (TestClient) where the socket plays no part; counted in the hardening tally (see `tally`).
"""

from __future__ import annotations

import copy
import gc
import os
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from cds_hooks.store import Store
from cds_hooks.store.records import FeedbackRecord, IssuedCard
from cds_hooks.store.schema import feedback, issued_cards, seen_jtis

from . import tally

from .test_limits import CHART, app_client, client, diagnostics  # noqa: F401  (`client` is a fixture)

FEEDBACK_PATH = "/cds-services/patient-view/feedback"


def feedback_items(n: int, comment: str | None = None) -> dict[str, Any]:
    items = []
    for i in range(n):
        item: dict[str, Any] = {"card": f"card-{i}", "outcome": "overridden",
                                "outcomeTimestamp": f"2026-11-25T09:{i // 60 % 60:02d}:{i % 60:02d}Z"}
        if comment is not None:
            item["overrideReason"] = {"userComment": comment}
        items.append(item)
    return {"feedback": items}


# --- 6. feedback floods -------------------------------------------------------------------------------------------


def test_feedback_over_the_item_cap_is_413_naming_the_cap_and_at_the_cap_is_stored(tmp_path: Path) -> None:
    with app_client(tmp_path, feedback_max_items=5) as client:
        at_cap = client.post(FEEDBACK_PATH, json=feedback_items(5))
        over = client.post(FEEDBACK_PATH, json=feedback_items(6))
    assert at_cap.status_code == 200, at_cap.text
    assert [item["status"] for item in at_cap.json()["feedback"]] == ["unknown-card"] * 5
    assert over.status_code == 413
    assert diagnostics(over) == "feedback holds 6 items; send at most 5 per request"
    tally.count(tally.FEEDBACK_FLOODS)


def test_a_default_configuration_refuses_a_25000_item_flood_quickly_and_stores_none_of_it(client: TestClient) -> None:
    flood = feedback_items(25_000)
    started = time.monotonic()
    response = client.post(FEEDBACK_PATH, json=flood)
    seconds = time.monotonic() - started
    assert response.status_code == 413
    assert "send at most 100 per request" in diagnostics(response)
    assert seconds < 2.0, f"{seconds:.2f} s: the items were validated or written before the count"
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    with store.engine.connect() as connection:
        assert connection.execute(select(feedback.c.id)).first() is None
    tally.count(tally.FEEDBACK_FLOODS)


# --- 7. long strings ----------------------------------------------------------------------------------------------

THREE_MIB = "x" * (3 << 20)


def with_long_string(where: str) -> dict[str, Any]:
    request = copy.deepcopy(CHART.request)
    observation = next(entry["resource"] for entry in request["prefetch"]["observations"]["entry"])
    coding = observation["code"]["coding"][0]
    if where == "code":
        coding["code"] = THREE_MIB
    elif where == "display":
        coding["display"] = THREE_MIB
    elif where == "key":
        observation[THREE_MIB] = 1
    elif where == "context":
        request["context"]["userId"] = THREE_MIB
    return request


@pytest.mark.parametrize("where", ["code", "display", "key", "context"])
def test_a_3_mib_string_in_a_hook_request_is_400_at_parse(client: TestClient, where: str) -> None:
    body = with_long_string(where)
    client.post("/cds-services/patient-view", json=CHART.request)  # warm: caches filled before measuring
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        response = client.post("/cds-services/patient-view", json=body)
        status, content, problem = response.status_code, response.content, diagnostics(response)
        del body, response  # the response keeps the request it answered, and so its 3 MiB body
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 400, content[:300]
    assert problem == "request body holds a string longer than 100000 characters"
    assert len(content) < 2000  # the string is not echoed back
    assert after - before < 1 << 20, f"{(after - before) >> 10} KiB still held after the request"
    tally.count(tally.LONG_STRINGS)


def test_a_3_mib_feedback_comment_is_400_and_not_stored(client: TestClient) -> None:
    response = client.post(FEEDBACK_PATH, json=feedback_items(1, comment=THREE_MIB))
    assert response.status_code == 400
    assert diagnostics(response) == "request body holds a string longer than 100000 characters"
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    with store.engine.connect() as connection:
        assert connection.execute(select(feedback.c.id)).first() is None
    tally.count(tally.LONG_STRINGS)


# --- 9. retention: the real `db purge` ------------------------------------------------------------------------------


def fill_store(url: str) -> None:
    """Cards, commented feedback and JWT id claims from 40 days ago and from 5 days ago (and a claim still live).
    Dated from the moment it runs, not from when the module was imported: a long suite once outlived the live
    claim's five minutes before this test ran."""
    now = datetime.now(UTC)
    for age, name in ((40, "old"), (5, "new")):
        then = now - timedelta(days=age)
        store = Store.open(url, clock=lambda then=then: then)
        try:
            store.upgrade()
            store.record_issued([IssuedCard(
                uuid=f"{name}-card", hook_instance=f"{name}-hook", service_id="patient-view",
                rule_id="electrolyte.magnesium.low", knowledge_version="test", indicator="warning",
                suggestion_uuids=(), issued_at=then, patient_key=f"{name}-patient", user_key=None,
            )])
            store.save_feedback("patient-view", [FeedbackRecord(
                card_uuid=f"{name}-card", outcome="overridden", accepted_suggestions=(), override_code=None,
                override_system=None, override_comment=f"{name} comment", outcome_timestamp=then,
            )])
        finally:
            store.close()
    # Claims written as `claim_jti` leaves them (it would prune the ended ones itself, with its clock).
    store = Store.open(url)
    try:
        with store.engine.begin() as connection:
            connection.execute(insert(seen_jtis), [
                {"claim_key": f"{name}-jti", "expires_at": now - timedelta(days=age) + timedelta(minutes=5)}
                for age, name in ((40, "old"), (5, "new"))
            ] + [{"claim_key": "live-jti", "expires_at": now + timedelta(minutes=5)}])
    finally:
        store.close()


def stored(url: str) -> tuple[set[str], dict[str, str | None], int]:
    store = Store.open(url)
    try:
        with store.engine.connect() as connection:
            cards = set(connection.execute(select(issued_cards.c.uuid)).scalars())
            comments = dict(connection.execute(select(feedback.c.card_uuid, feedback.c.override_comment)).all())
            claims = len(connection.execute(select(seen_jtis.c.claim_key)).all())
    finally:
        store.close()
    return cards, comments, claims


def purge(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("FTCDS_")}
    environment.update(FTCDS_PROFILE="development", FTCDS_DATA_DIR=str(data_dir), **env)
    return subprocess.run([sys.executable, "-m", "cds_hooks", "db", "purge", *args], env=environment,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.process
@pytest.mark.parametrize("how", ["--older-than", "FTCDS_RETENTION_DAYS"])
def test_db_purge_forgets_old_cards_comments_and_ended_claims_and_keeps_newer_ones(tmp_path: Path, how: str) -> None:
    data_dir = tmp_path / "data"
    url = f"sqlite:///{data_dir / 'facial-twitch-cds.sqlite3'}"
    fill_store(url)
    assert stored(url) == ({"old-card", "new-card"}, {"old-card": "old comment", "new-card": "new comment"}, 3)

    if how == "--older-than":
        result = purge(data_dir, "--older-than", "30", FTCDS_RETENTION_DAYS="1")  # the option wins
    else:
        result = purge(data_dir, FTCDS_RETENTION_DAYS="30")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "purged 1 issued cards, 1 feedback comments and 2 ended JWT id claims older than 30 days")
    cards, comments, claims = stored(url)
    assert cards == {"new-card"}
    assert comments == {"old-card": None, "new-card": "new comment"}  # the feedback row stays, its text goes
    assert claims == 1  # the live claim still guards against a replay


def test_db_purge_without_a_retention_period_refuses_and_deletes_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    url = f"sqlite:///{data_dir / 'facial-twitch-cds.sqlite3'}"
    fill_store(url)
    result = purge(data_dir)
    assert result.returncode == 2
    assert "--older-than" in result.stderr
    assert stored(url)[0] == {"old-card", "new-card"}
