"""The admin router: analytics as JSON and as a self-contained dashboard, behind the admin token."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cds_hooks.admin import admin_router
from cds_hooks.app import answer_errors
from cds_hooks.settings import Settings
from cds_hooks.store import Store
from store_builders import T0, accepted, issued_card, load_scenario, overridden

TOKEN = "correct-horse-battery-staple"
SCENARIO_RANGE = {"start": "2025-03-01", "end": "2025-03-03"}

MakeClient = Callable[..., TestClient]


class _Tables(HTMLParser):
    """The dashboard's tables as text cells, keyed by the heading above each (the page's own reading order)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._heading = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self._heading, self._in = "", "h2"
        elif tag == "table":
            self.tables[self._heading] = []
        elif tag == "tr" and self._heading in self.tables:
            self.tables[self._heading].append([])
        elif tag in ("td", "th"):
            self._in = "cell"
            self.tables[self._heading][-1].append("")
        elif tag == "br" and self._in == "cell":
            self.tables[self._heading][-1][-1] += "; "

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h2", "td", "th"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "h2":
            self._heading += data
        elif self._in == "cell":
            self.tables[self._heading][-1][-1] += data.replace("\xa0", " ")


def tables(page: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


@pytest.fixture
def make_client(store: Store) -> MakeClient:
    def make(profile: str = "development", admin_token: str | None = None) -> TestClient:
        app = FastAPI()
        answer_errors(app)
        app.include_router(admin_router(lambda: store, Settings(profile=profile, admin_token=admin_token)))
        return TestClient(app)

    return make


@pytest.mark.parametrize("path", ["/analytics", "/dashboard"])
def test_development_without_a_token_is_open(make_client: MakeClient, path: str) -> None:
    assert make_client("development").get(path).status_code == 200


@pytest.mark.parametrize("path", ["/analytics", "/dashboard"])
def test_production_without_a_configured_token_is_refused_with_a_reason(make_client: MakeClient, path: str) -> None:
    response = make_client("production").get(path, headers={"Authorization": "Bearer anything"})
    assert response.status_code == 403
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and "FTCDS_ADMIN_TOKEN" in body["issue"][0]["diagnostics"]


@pytest.mark.parametrize("profile", ["development", "production"])
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "], ids=repr
)
def test_a_missing_or_wrong_token_is_refused(make_client: MakeClient, profile: str, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = make_client(profile, TOKEN).get("/analytics", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("profile", ["development", "production"])
def test_the_right_token_is_let_in(make_client: MakeClient, profile: str) -> None:
    client = make_client(profile, TOKEN)
    for path in ("/analytics", "/dashboard"):
        assert client.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_an_empty_configured_token_does_not_open_production(make_client: MakeClient) -> None:
    assert make_client("production", "").get("/analytics", headers={"Authorization": "Bearer "}).status_code == 403


def test_analytics_json_reports_the_scenario(store: Store, make_client: MakeClient) -> None:
    scenario = load_scenario(store)
    body = make_client().get("/analytics", params=SCENARIO_RANGE).json()
    assert (body["start"], body["end"]) == ("2025-03-01", "2025-03-03")
    assert "service" not in body
    expected_rules = scenario["expected"]["by_rule"]
    assert [r["rule_id"] for r in body["by_rule"]] == list(expected_rules)
    magnesium = body["by_rule"][0]
    assert magnesium == {
        "rule_id": "electrolyte.magnesium.low",
        "issued": 3,
        "accepted": 2,
        "overridden": 2,
        "overridden_by_reason": {"already-addressed": 1, "unspecified": 1},
        "suppressed": 2,
        "silent": 0,
        "unknown_suggestion": 0,
        "acceptance_rate": 0.5,
        "by_knowledge_version": [
            {"knowledge_version": "2025.1", "issued": 1, "accepted": 2, "overridden": 0, "overridden_by_reason": {},
             "suppressed": 0, "silent": 0, "unknown_suggestion": 0, "acceptance_rate": 1.0},
            {"knowledge_version": "2025.2", "issued": 2, "accepted": 0, "overridden": 2,
             "overridden_by_reason": {"already-addressed": 1, "unspecified": 1}, "suppressed": 0, "silent": 0,
             "unknown_suggestion": 0, "acceptance_rate": 0.0},
        ],
    }
    assert [s["service_id"] for s in body["by_service"]] == ["order-sign", "patient-view"]
    assert [d["date"] for d in body["by_day"]] == ["2025-03-01", "2025-03-02", "2025-03-03"]
    assert body["total"]["acceptance_rate"] == 0.4


def test_analytics_json_judges_each_rule_per_knowledge_version(store: Store, make_client: MakeClient) -> None:
    scenario = load_scenario(store)
    body = make_client().get("/analytics", params=SCENARIO_RANGE).json()
    expected = scenario["expected"]["by_rule_and_version"]
    for rule in body["by_rule"]:
        versions = {v.pop("knowledge_version"): v for v in rule["by_knowledge_version"]}
        assert list(versions) == list(expected[rule["rule_id"]])
        for version, counts in versions.items():
            want = expected[rule["rule_id"]][version]
            assert counts["overridden"] == sum(counts["overridden_by_reason"].values())
            assert {k: counts[k] for k in want} == {k: round(v, 4) if k == "acceptance_rate" else v
                                                   for k, v in want.items()}
    [stress] = [r for r in body["by_rule"] if r["rule_id"] == "stress.referral"]
    assert (stress["accepted"], stress["unknown_suggestion"]) == (0, 1), "a stray acceptance is not an acceptance"
    assert [v["knowledge_version"] for v in body["by_knowledge_version"]] == ["2025.1", "2025.2"]
    assert body["by_knowledge_version"][0]["acceptance_rate"] == 0.6667


def test_analytics_json_leaves_out_the_rate_when_nothing_was_answered(store: Store, make_client: MakeClient) -> None:
    store.record_issued([issued_card()])
    body = make_client().get("/analytics", params={"start": "2025-03-01", "end": "2025-03-01"}).json()
    assert body["total"]["issued"] == 1
    assert "acceptance_rate" not in body["total"]
    assert "acceptance_rate" not in body["by_rule"][0]
    assert None not in body["total"].values()


def test_analytics_can_be_limited_to_one_service(store: Store, make_client: MakeClient) -> None:
    load_scenario(store)
    body = make_client().get("/analytics", params={**SCENARIO_RANGE, "service": "order-sign"}).json()
    assert body["service"] == "order-sign"
    assert body["total"]["issued"] == 1


def test_an_empty_service_means_every_service(store: Store, make_client: MakeClient) -> None:
    load_scenario(store)
    body = make_client().get("/analytics", params={**SCENARIO_RANGE, "service": ""}).json()
    assert "service" not in body
    assert body["total"]["issued"] == 5


def test_the_default_range_is_the_last_30_days(make_client: MakeClient) -> None:
    body = make_client().get("/analytics").json()
    today = datetime.now(UTC).date()
    assert date.fromisoformat(body["end"]) in {today, today - timedelta(days=1)}  # around midnight UTC
    assert (date.fromisoformat(body["end"]) - date.fromisoformat(body["start"])).days == 29
    assert len(body["by_day"]) == 30


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"start": "2025-03-02", "end": "2025-03-01"}, "start"),
        ({"start": "2024-01-01", "end": "2025-03-01"}, None),
        ({"start": "03/01/2025"}, "query.start"),  # FastAPI's own validation, answered the same way
    ],
    ids=["reversed", "too-long", "not-a-date"],
)
def test_a_bad_range_is_a_clear_client_error(make_client: MakeClient, params: dict[str, str], named: str | None) -> None:
    response = make_client().get("/analytics", params=params)
    body = response.json()
    assert response.status_code == 400 and body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["diagnostics"]
    if named:
        assert [named] in [issue.get("expression") for issue in body["issue"]]


def test_the_dashboard_draws_each_chart_as_inline_svg_with_every_rule(store: Store, make_client: MakeClient) -> None:
    load_scenario(store)
    response = make_client().get("/dashboard", params=SCENARIO_RANGE)
    page = response.text
    assert response.headers["content-type"].startswith("text/html")
    assert page.startswith("<!DOCTYPE html>")
    assert re.search(r"<title>[^<]+</title>", page)
    assert page.count("<svg") == 3
    assert 'id="rule-chart"' in page and 'id="daily-chart"' in page and 'id="version-chart"' in page
    for rule_id in ("electrolyte.magnesium.low", "stress.referral"):
        assert rule_id in page
    assert "2025-03-02" in page


def test_the_dashboard_references_nothing_outside_itself(store: Store, make_client: MakeClient) -> None:
    load_scenario(store)
    response = make_client().get("/dashboard", params=SCENARIO_RANGE)
    page = response.text
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert re.findall(r"src\s*=", page) == []
    assert re.findall(r'href\s*="([^"]*)"', page) == ["rules"]  # the catalogue, on this service, relative
    assert "http:" not in page and "https:" not in page and "//" not in page
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_the_dashboard_shows_no_patient_data_or_comments(store: Store, make_client: MakeClient) -> None:
    store.record_issued([issued_card(patient_key="patient-key-secret")])
    store.save_feedback("patient-view", [overridden(comment="Mrs Example declined, see note", at=T0)])
    page = make_client().get("/dashboard", params={"start": "2025-03-01", "end": "2025-03-01"}).text
    assert "patient-key-secret" not in page and "user-x" not in page
    assert "Mrs Example" not in page


def test_the_dashboard_escapes_what_it_shows(store: Store, make_client: MakeClient) -> None:
    store.record_issued([issued_card(rule_id='<script>alert("x")</script>', service_id='"><b>')])
    page = make_client().get("/dashboard", params={"start": "2025-03-01", "end": "2025-03-01", "service": '"><b>'}).text
    assert "<script>" not in page and '"><b>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;b&gt;" in page


def test_an_empty_range_still_draws_every_chart(make_client: MakeClient) -> None:
    page = make_client().get("/dashboard", params={"start": "2025-03-01", "end": "2025-03-01"}).text
    assert page.count("<svg") == 3
    assert "No cards in this range." in page


def test_the_dashboard_names_rules_by_title_counts_silent_cards_and_offers_the_services(store: Store) -> None:
    load_scenario(store)
    app = FastAPI()
    answer_errors(app)
    titles = {"electrolyte.magnesium.low": "Low magnesium <in> twitching"}
    app.include_router(admin_router(lambda: store, Settings(profile="development"), titles))
    page = TestClient(app).get("/dashboard", params={**SCENARIO_RANGE, "service": "order-sign"}).text
    assert "Low magnesium &lt;in&gt; twitching (electrolyte.magnesium.low)" in page
    assert "Silent (would have fired)" in page
    assert '<option value="order-sign" selected>' in page and '<option value="patient-view">' in page


def test_the_dashboard_shows_per_rule_reasons_suppressions_and_acceptance_by_knowledge_version(
    store: Store, make_client: MakeClient
) -> None:
    load_scenario(store)
    shown = tables(make_client().get("/dashboard", params=SCENARIO_RANGE).text)
    assert shown["Rules"] == [
        ["Rule", "Issued", "Accepted", "Overridden", "Suppressed", "Silent (would have fired)", "Override reasons",
         "Unknown suggestion", "Acceptance rate"],
        ["electrolyte.magnesium.low", "3", "2", "2", "2", "0", "already-addressed 1; unspecified 1", "0", "50%"],
        ["stress.referral", "2", "0", "1", "1", "0", "disagree 1", "1", "0%"],
    ]
    assert shown["Acceptance by knowledge version"] == [
        ["Rule", "Knowledge version", "Issued", "Accepted", "Overridden", "Override reasons", "Unknown suggestion",
         "Acceptance rate"],
        ["electrolyte.magnesium.low", "2025.1", "1", "2", "0", "", "0", "100%"],
        ["electrolyte.magnesium.low", "2025.2", "2", "0", "2", "already-addressed 1; unspecified 1", "0", "0%"],
        ["stress.referral", "2025.1", "1", "0", "1", "disagree 1", "0", "0%"],
        ["stress.referral", "2025.2", "1", "0", "0", "", "1", "–"],
    ]


def test_the_version_chart_draws_one_bar_per_answered_version(store: Store, make_client: MakeClient) -> None:
    load_scenario(store)
    page = make_client().get("/dashboard", params=SCENARIO_RANGE).text
    chart = page[page.index('<svg id="version-chart"'):]
    chart = chart[: chart.index("</svg>")]
    bars = re.findall(r'<rect class="s-accepted"[^>]*width="([0-9.]+)"[^>]*><title>([^<]*)</title>', chart)
    assert [title for _, title in bars] == [
        "electrolyte.magnesium.low 2025.1: accepted 2 of 2",
        "electrolyte.magnesium.low 2025.2: accepted 0 of 2",
        "stress.referral 2025.1: accepted 0 of 1",
    ]
    assert float(bars[0][0]) > 0 == float(bars[1][0])
    assert "no feedback" in chart  # stress.referral 2025.2: only a stray acceptance, nothing to judge by


def test_the_dashboard_escapes_knowledge_versions_and_titles_in_every_chart_and_table(store: Store) -> None:
    hostile = '<img src=x onerror="alert(1)">'
    store.record_issued([issued_card(rule_id="rule.<b>", knowledge_version=hostile)])
    store.save_feedback("patient-view", [accepted()])
    app = FastAPI()
    answer_errors(app)
    app.include_router(admin_router(lambda: store, Settings(profile="development"), {"rule.<b>": "A & <i>B</i>"}))
    page = TestClient(app).get("/dashboard", params={"start": "2025-03-01", "end": "2025-03-01"}).text
    assert "<img" not in page and "<b>" not in page and "<i>" not in page
    assert page.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") >= 3  # chart label, bar tooltip, table
    assert "A &amp; &lt;i&gt;B&lt;/i&gt; (rule.&lt;b&gt;)" in page
