"""Each resource limit holds, is configurable, and answers with a clear 4xx (or cuts data short, as documented).

Body size (`max_body_bytes`), JSON nesting (`max_json_depth`), entries per Bundle (`fetch_max_entries`, also for
the EHR's own prefetch and draftOrders) and pages followed (`fetch_max_pages`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from cds_hooks.app import create_app
from cds_hooks.json_limits import limit_exceeded
from cds_hooks.settings import Settings
from tests.scenarios import SCENARIOS_DIR, load_scenario
from tests.support.cds_responses import assert_operation_outcome
from tests.support.fhir_fixtures import FhirTestServer, running_fhir_server

CHART = load_scenario(SCENARIOS_DIR / "04-eyelid-twitching-mild-low-magnesium")
ORDERS = load_scenario(SCENARIOS_DIR / "53-order-sign-potassium-chloride-hyperkalemia")
FEEDBACK = {"feedback": [{"card": "c-1", "outcome": "overridden", "outcomeTimestamp": "2026-11-25T09:00:00Z"}]}
MAGNESIUM_CARD = "electrolyte.magnesium.low"


def app_client(tmp_path: Any, **limits: Any) -> TestClient:
    settings = Settings(profile="development", auth="off", data_dir=tmp_path, **limits)
    return TestClient(create_app(settings, today=CHART.today))


@pytest.fixture
def client(tmp_path: Any) -> Iterator[TestClient]:
    with app_client(tmp_path) as test_client:
        yield test_client


def diagnostics(response: Any) -> str:
    return " | ".join(issue.diagnostics for issue in assert_operation_outcome(response.json()).issue)


def rule_ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {card["source"]["topic"]["code"] for card in response.json()["cards"]}


# --- body size ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/cds-services/patient-view", "/cds-services/patient-view/feedback"])
def test_a_body_over_the_limit_is_413_whether_declared_or_streamed(tmp_path: Any, path: str) -> None:
    body = json.dumps(CHART.request).encode()
    with app_client(tmp_path, max_body_bytes=len(body) - 1) as client:
        declared = client.post(path, content=body)
        streamed = client.post(path, content=iter([body[:1000], body[1000:]]))  # chunked: no Content-Length
    for response in (declared, streamed):
        assert response.status_code == 413
        assert "over the" in diagnostics(response)


def test_a_body_at_the_limit_is_read(tmp_path: Any) -> None:
    body = json.dumps(CHART.request).encode()
    with app_client(tmp_path, max_body_bytes=len(body)) as client:
        assert MAGNESIUM_CARD in rule_ids(client.post("/cds-services/patient-view", content=body))


# --- JSON nesting -------------------------------------------------------------------------------------------------


def nested_object(levels: int) -> str:
    return '{"x":' * (levels - 1) + "{}" + "}" * (levels - 1)


def with_extension(body: dict[str, Any], extension_levels: int) -> bytes:
    """`body` with an `extension` nested so that the whole document is `1 + extension_levels` deep."""
    return json.dumps({**body, "extension": "@"}).replace('"@"', nested_object(extension_levels)).encode()


@pytest.mark.parametrize(
    ("path", "body"),
    [("/cds-services/patient-view", CHART.request), ("/cds-services/patient-view/feedback", FEEDBACK)],
    ids=["hook", "feedback"],
)
def test_json_nested_deeper_than_the_limit_is_400_and_at_the_limit_is_fine(
    client: TestClient, path: str, body: dict[str, Any]
) -> None:
    limit = Settings().max_json_depth
    at_limit = client.post(path, content=with_extension(body, limit - 1))
    too_deep = client.post(path, content=with_extension(body, limit))
    assert at_limit.status_code == 200, at_limit.text
    assert too_deep.status_code == 400
    assert f"deeper than {limit} levels" in diagnostics(too_deep)


def test_the_depth_limit_is_a_setting(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTCDS_MAX_JSON_DEPTH", "8")
    assert Settings().max_json_depth == 8
    with app_client(tmp_path, max_json_depth=8) as client:
        response = client.post("/cds-services/patient-view", json=CHART.request)  # a real request is 11 deep
    assert response.status_code == 400
    assert "deeper than 8 levels" in diagnostics(response)


@pytest.mark.parametrize("value", [0, 1001])
def test_the_depth_limit_stays_within_what_the_parser_allows(value: int) -> None:
    with pytest.raises(ValidationError):
        Settings(max_json_depth=value)


def test_beyond_what_orjson_parses_is_still_a_clear_400(client: TestClient) -> None:
    response = client.post("/cds-services/patient-view", content=with_extension(CHART.request, 2000))
    assert response.status_code == 400
    assert "not valid JSON" in diagnostics(response)


def exceeds_depth(document: Any, max_depth: int) -> bool:
    return limit_exceeded(document, max_depth=max_depth, max_string_chars=10**9) is not None


def test_the_depth_check_counts_levels_exactly() -> None:
    assert not exceeds_depth("scalar", 0)
    assert not exceeds_depth({}, 1) and exceeds_depth({}, 0)
    assert not exceeds_depth({"a": [1, {"b": []}]}, 4)
    assert exceeds_depth({"a": [1, {"b": []}]}, 3)
    assert exceeds_depth([[], [[[]]], {}], 3) and not exceeds_depth([[], [[[]]], {}], 4)


def test_the_depth_check_is_iterative_so_any_depth_is_safe() -> None:
    document: Any = []
    for _ in range(200_000):  # far past Python's recursion limit
        document = [document]
    assert exceeds_depth(document, 64)
    assert not exceeds_depth(document, 200_001)


# --- entries per Bundle -------------------------------------------------------------------------------------------


def chart_with_magnesium_at(index: int, filler: int) -> dict[str, Any]:
    """The chart's observations: `filler` copies of its potassium result (trimmed to what the rules read, so
    thousands fit the body limit), and its magnesium result at `index`."""
    body = copy.deepcopy(CHART.request)
    entries = body["prefetch"]["observations"]["entry"]
    magnesium = next(e for e in entries if e["resource"]["code"]["coding"][0]["code"] == "19123-9")
    potassium = next(e for e in entries if e["resource"]["code"]["coding"][0]["code"] == "2823-3")["resource"]
    read = ("resourceType", "id", "status", "code", "effectiveDateTime", "valueQuantity")
    others = [{"resource": {name: potassium[name] for name in read}}] * filler
    body["prefetch"]["observations"]["entry"] = others[:index] + [magnesium] + others[index:]
    return body


def test_prefetch_entries_beyond_the_limit_are_not_read(tmp_path: Any) -> None:
    with app_client(tmp_path, fetch_max_entries=10) as client:
        within = client.post("/cds-services/patient-view", json=chart_with_magnesium_at(9, filler=20))
        beyond = client.post("/cds-services/patient-view", json=chart_with_magnesium_at(10, filler=20))
    assert MAGNESIUM_CARD in rule_ids(within)
    assert MAGNESIUM_CARD not in rule_ids(beyond)


def test_thousands_of_prefetch_entries_are_bounded_by_the_default_limit(client: TestClient) -> None:
    limit = Settings().fetch_max_entries
    within = client.post("/cds-services/patient-view", json=chart_with_magnesium_at(limit - 1, filler=limit + 2000))
    beyond = client.post("/cds-services/patient-view", json=chart_with_magnesium_at(limit, filler=limit + 2000))
    assert MAGNESIUM_CARD in rule_ids(within)
    assert MAGNESIUM_CARD not in rule_ids(beyond)


def test_draft_orders_over_the_limit_are_refused_whole_not_cut_short(tmp_path: Any) -> None:
    """An order left unread would escape the safety checks silently, so too many orders is a 413."""
    body = copy.deepcopy(ORDERS.request)
    order = body["context"]["draftOrders"]["entry"][0]
    with app_client(tmp_path, fetch_max_entries=5) as client:
        body["context"]["draftOrders"]["entry"] = [order] * 5
        at_limit = client.post("/cds-services/order-sign", json=body)
        body["context"]["draftOrders"]["entry"] = [order] * 6
        over = client.post("/cds-services/order-sign", json=body)
    assert at_limit.status_code == 200
    assert over.status_code == 413
    assert "draftOrders holds more than 5 entries" in diagnostics(over)


# --- pages followed -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chart_server() -> Iterator[FhirTestServer]:
    with running_fhir_server(CHART.path / "request.json") as server:
        yield server


@pytest.mark.process
@pytest.mark.parametrize("max_pages", [2, 3])
def test_no_more_pages_are_followed_than_the_limit(tmp_path: Any, chart_server: FhirTestServer, max_pages: int) -> None:
    """The EHR sent page 1 of the observations; the rest are one per page on its server, more than the limit."""
    fhir = chart_server.endpoint()
    body = copy.deepcopy(CHART.request)
    body["fhirServer"] = fhir.url
    observations = body["prefetch"]["observations"]
    observations["entry"] = observations["entry"][:1]
    patient_id = body["context"]["patientId"]
    next_page = f"{fhir.url}/Observation?patient={patient_id}&_count=1&_offset=1"
    observations["link"] = [{"relation": "next", "url": next_page}]
    body["prefetch"]["medicationStatements"] = None  # nothing else to fetch: only the observation pages count
    with app_client(tmp_path, fetch_max_pages=max_pages) as client:
        response = client.post("/cds-services/patient-view", json=body)
    assert response.status_code == 200
    assert len(fhir.requests()) == max_pages - 1  # the page the EHR sent counts as the first
