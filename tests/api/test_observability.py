"""Logs and metrics come from one outcome record per request: hook calls and feedback alike, every timed stage
(suppress included), and every series visible from the first scrape."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cards import load_knowledge
from cds_hooks.app import create_app
from cds_hooks.outcomes import Endpoint, RequestOutcome, Stage
from cds_hooks.settings import Settings
from tests.api.test_feedback_loop_api import MAGNESIUM_RULE, TODAY, override, patient_view
from tests.support.log_capture import production_logs


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(profile="development", auth="off", data_dir=tmp_path)
    with TestClient(create_app(settings, today=TODAY)) as test_client:
        yield test_client


def metric(client: TestClient, name: str, **labels: str) -> float:
    """One sample's value from /metrics (0 when the series is absent, which the first-scrape test rules out)."""
    text = client.get("/metrics").text
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def logged(caplog: pytest.LogCaptureFixture, message: str) -> dict[str, Any]:
    [record] = [r for r in caplog.records if r.getMessage() == message]
    return record.fields  # type: ignore[attr-defined]


def test_every_series_exists_from_the_first_scrape(client: TestClient) -> None:
    """Present on the first scrape (at 0 in a fresh process; this test process may have counted some already)."""
    series = {line.rsplit(" ", 1)[0] for line in client.get("/metrics").text.splitlines() if not line.startswith("#")}
    knowledge = load_knowledge()
    assert (f'ftcds_build_info{{knowledge_version="{knowledge.version}",'
            f'version="{version("facial-twitch-cds")}"}}') in series
    for stage in Stage:
        assert f'ftcds_stage_seconds_count{{service="patient-view",stage="{stage.value}"}}' in series
    for rule in knowledge.rules():
        assert f'ftcds_cards_issued_total{{rule="{rule.rule_id}",service="order-sign"}}' in series
    for status in ("stored", "duplicate", "unknown-card"):
        assert f'ftcds_feedback_items_total{{detail="accepted",service="patient-view",status="{status}"}}' in series
    assert 'ftcds_jwt_rejections_total{reason="audience mismatch"}' in series
    assert 'ftcds_prefetch_truncated_total{key="observations"}' in series


def test_a_hook_call_logs_and_counts_every_stage_including_suppress(client, caplog) -> None:
    before = {stage: metric(client, "ftcds_stage_seconds_count", service="patient-view", stage=stage.value)
              for stage in Stage}
    with caplog.at_level(logging.INFO, logger="cds_hooks.request"):
        response = client.post("/cds-services/patient-view", json=patient_view("obs-1"))
    assert response.status_code == 200
    fields = logged(caplog, "hook call")
    assert fields["endpoint"] == "hook" and fields["status"] == 200 and len(fields["request_id"]) == 36
    for stage in Stage:
        assert fields[f"{stage.value}_ms"] >= 0
        count = metric(client, "ftcds_stage_seconds_count", service="patient-view", stage=stage.value)
        assert count == before[stage] + 1, stage
    assert fields["total_ms"] >= fields["evaluate_ms"]


def test_feedback_gets_a_request_id_latency_and_outcome_metrics(client, caplog) -> None:
    card = next(c for c in client.post("/cds-services/patient-view", json=patient_view("fb-1")).json()["cards"]
                if c["source"]["topic"]["code"] == MAGNESIUM_RULE)
    item = override(card, "patient-declined")
    unknown = {**override(card, "not-relevant"), "card": "00000000-0000-4000-8000-000000000000"}
    stored = {"service": "patient-view", "status": "stored", "detail": "patient-declined"}
    before_stored = metric(client, "ftcds_feedback_items_total", **stored)
    before_requests = metric(client, "ftcds_request_seconds_count", service="patient-view", endpoint="feedback",
                             status="200")
    with caplog.at_level(logging.INFO, logger="cds_hooks.request"):
        client.post("/cds-services/patient-view/feedback", json={"feedback": [item, item, unknown]})
    fields = logged(caplog, "feedback")
    assert fields["endpoint"] == "feedback" and fields["status"] == 200 and len(fields["request_id"]) == 36
    assert fields["feedback"] == {"duplicate:patient-declined": 1, "stored:patient-declined": 1,
                                  "unknown-card:not-relevant": 1}
    assert fields["total_ms"] > 0
    assert metric(client, "ftcds_feedback_items_total", **stored) == before_stored + 1
    assert metric(client, "ftcds_feedback_items_total", service="patient-view", status="duplicate",
                  detail="patient-declined") >= 1
    assert metric(client, "ftcds_request_seconds_count", service="patient-view", endpoint="feedback",
                  status="200") == before_requests + 1


def test_a_refused_feedback_is_logged_and_counted_with_its_status(client, caplog) -> None:
    before = metric(client, "ftcds_request_seconds_count", service="patient-view", endpoint="feedback",
                    status="400")
    with caplog.at_level(logging.INFO, logger="cds_hooks.request"):
        response = client.post("/cds-services/patient-view/feedback", json={"feedback": [{"card": 1}]})
    assert response.status_code == 400 and response.json()["resourceType"] == "OperationOutcome"
    assert logged(caplog, "feedback")["status"] == 400
    assert metric(client, "ftcds_request_seconds_count", service="patient-view", endpoint="feedback",
                  status="400") == before + 1


def test_an_unknown_service_is_counted_as_other_not_as_a_new_label(client) -> None:
    client.post("/cds-services/made-up-service-1234", json={})
    assert "made-up-service-1234" not in client.get("/metrics").text
    assert metric(client, "ftcds_request_seconds_count", service="other", endpoint="hook", status="404") >= 1


def test_truncated_prefetch_keys_are_in_the_log_line() -> None:
    outcome = RequestOutcome(Endpoint.HOOK, "patient-view", status=200, truncated_keys=["observations"])
    outcome.finish()
    assert outcome.log_fields()["truncated_prefetch_keys"] == ["observations"]
    assert "truncated_prefetch_keys" not in RequestOutcome(Endpoint.HOOK, "patient-view", status=200).log_fields()


def test_every_line_logged_during_a_request_carries_its_request_id(tmp_path: Path) -> None:
    settings = Settings(profile="development", data_dir=tmp_path)  # authentication on: the bad token is logged
    with production_logs("INFO") as logs, TestClient(create_app(settings, today=TODAY)) as client:
        client.post("/cds-services/patient-view", json=patient_view("rid-1"),
                    headers={"Authorization": "Bearer not.a.jwt"})
    lines = [json.loads(line) for line in logs.text.splitlines()]
    [rejected] = [line for line in lines if line["msg"] == "jwt rejected"]
    [call] = [line for line in lines if line["msg"] == "hook call"]
    assert rejected["request_id"] == call["request_id"] and len(call["request_id"]) == 36
    assert "request_id" not in next(line for line in lines if line["msg"] == "configuration")


def test_the_knowledge_version_and_content_hash_are_in_discovery_on_cards_and_in_analytics(client) -> None:
    knowledge = load_knowledge()
    for service in client.get("/cds-services").json()["services"]:
        assert service["extension"]["facial-twitch-cds-knowledge"] == {
            "release": knowledge.release, "contentHash": knowledge.content_hash, "version": knowledge.version}
    card = client.post("/cds-services/patient-view", json=patient_view("ver-1")).json()["cards"][0]
    assert f"(knowledge {knowledge.version})" in card["source"]["topic"]["display"]
    now = datetime.now(UTC)
    item = {**override(card, "not-relevant"), "outcomeTimestamp": now.isoformat()}
    client.post("/cds-services/patient-view/feedback", json={"feedback": [item]})
    days = {"start": (now.date() - timedelta(days=1)).isoformat(), "end": now.date().isoformat()}
    analytics = client.get("/analytics", params=days).json()
    [row] = [r for r in analytics["by_knowledge_version"] if r["knowledge_version"] == knowledge.version]
    assert row["issued"] >= 1 and row["overridden_by_reason"] == {"not-relevant": 1}


def test_a_silent_rule_is_counted_in_logs_metrics_and_analytics_never_returned(tmp_path: Path, caplog) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(f"rules:\n  {MAGNESIUM_RULE}: {{mode: silent}}\n")
    settings = Settings(profile="development", auth="off", data_dir=tmp_path, site_knowledge=site)
    with TestClient(create_app(settings, today=TODAY)) as client:
        before = metric(client, "ftcds_cards_silent_total", service="patient-view", rule=MAGNESIUM_RULE)
        with caplog.at_level(logging.INFO, logger="cds_hooks.request"):
            response = client.post("/cds-services/patient-view", json=patient_view("silent-1"))
        assert MAGNESIUM_RULE not in [c["source"]["topic"]["code"] for c in response.json()["cards"]]
        assert logged(caplog, "hook call")["silent_rules"] == [MAGNESIUM_RULE]
        assert metric(client, "ftcds_cards_silent_total", service="patient-view", rule=MAGNESIUM_RULE) == before + 1
        client.app.state.loop.recorder.flush()
        today = datetime.now(UTC).date().isoformat()
        analytics = client.get("/analytics", params={"start": today, "end": today}).json()
    [row] = [r for r in analytics["by_rule"] if r["rule_id"] == MAGNESIUM_RULE]
    assert row["silent"] == 1 and row["issued"] == 0 and row["suppressed"] == 0


def test_building_the_app_writes_nothing_until_it_starts(tmp_path: Path) -> None:
    """The development issuer's key pair is made when the service starts: importing or documenting the app (as
    the OpenAPI fuzz tests do) leaves no files behind."""
    data_dir = tmp_path / "data"
    app = create_app(Settings(profile="development", data_dir=data_dir))
    assert not data_dir.exists()
    with TestClient(app):
        assert (data_dir / "development-signing-key.pem").exists()


def test_the_rule_catalogue_page_lists_every_rule_offline_and_escaped(client) -> None:
    page = client.get("/rules")
    assert page.status_code == 200 and "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for rule in load_knowledge().rules():
        assert f'id="{rule.rule_id}"' in page.text
    assert "<script" not in page.text and "http" not in page.text.split("<body>")[1].split("Knowledge")[0]
    assert "Bell&#x27;s palsy" in page.text  # chart-independent, but still escaped
    catalogue = client.get("/rules.json").json()
    assert catalogue["knowledge_version"] == load_knowledge().version
    assert {r["rule_id"] for r in catalogue["rules"]} == {r.rule_id for r in load_knowledge().rules()}
    assert 'href="rules"' in client.get("/dashboard").text


def test_a_site_threshold_and_sentence_reach_the_ehr_the_catalogue_and_the_dashboard(tmp_path: Path) -> None:
    """The knowledge owner's loop, over HTTP: the site file changes what the EHR is sent, discovery and analytics
    carry a version that says so, and the catalogue shows the figures and sentences that run."""
    site = tmp_path / "site.yaml"
    site.write_text("thresholds:\n  magnesium.severe-below: 1.2\n  magnesium.moderate-below: 1.5\n"
                    "wording:\n  electrolyte.magnesium.low:\n    action: 'replace it; look for the cause'\n")
    shipped = load_knowledge()
    with TestClient(create_app(Settings(profile="development", auth="off", data_dir=tmp_path / "shipped"),
                               today=TODAY)) as client:
        before = {c["source"]["topic"]["code"]: c for c in
                  client.post("/cds-services/patient-view", json=patient_view("site-0")).json()["cards"]}
    settings = Settings(profile="development", auth="off", data_dir=tmp_path / "tuned", site_knowledge=site)
    with TestClient(create_app(settings, today=TODAY)) as client:
        discovered = client.get("/cds-services").json()["services"][0]["extension"]["facial-twitch-cds-knowledge"]
        assert discovered["version"].startswith(shipped.version + ".site-")
        cards = {c["source"]["topic"]["code"]: c for c in
                 client.post("/cds-services/patient-view", json=patient_view("site-1")).json()["cards"]}
        magnesium = cards[MAGNESIUM_RULE]
        assert magnesium["summary"].endswith(": replace it; look for the cause")
        assert before[MAGNESIUM_RULE]["summary"].endswith(": replace and find the cause")
        assert f"(knowledge {discovered['version']})" in magnesium["source"]["topic"]["display"]
        rules = {r["rule_id"]: r for r in client.get("/rules.json").json()["rules"]}
        figure = next(t for t in rules[MAGNESIUM_RULE]["thresholds"] if t["id"] == "magnesium.severe-below")
        assert (figure["value"], figure["shipped"]) == (1.2, 1.0)
        assert "(below 1.5 mg/dL) or severe (below 1.2 mg/dL)" in rules[MAGNESIUM_RULE]["trigger"]
        assert "(site; shipped 1)" in client.get("/rules").text
        client.post("/cds-services/patient-view/feedback", json={"feedback": [override(magnesium, "not-relevant")]})
        client.app.state.loop.recorder.flush()
        page = client.get("/dashboard", params={"start": "2026-11-01", "end": "2026-12-31"}).text
        analytics = client.get("/analytics", params={"start": "2026-11-01", "end": "2026-12-31"}).json()
    assert discovered["version"] in page
    [row] = [r for r in analytics["by_knowledge_version"] if r["knowledge_version"] == discovered["version"]]
    assert row["overridden_by_reason"] == {"not-relevant": 1}
