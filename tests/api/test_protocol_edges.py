"""Protocol edges an EHR meets in practice: lenient `fhirAuthorization`, CORS preflights with tracing headers,
trailing slashes and HEAD, and fallback FHIR queries percent-encoded on the wire (RFC 3986) with no way for a
context value to add query parameters.

Fallback fetches go to an `httpx.MockTransport` that records the raw request target (`url.raw_path`, the bytes
written on the request line), or to the real test FHIR server, which records the query string as received.
"""

from __future__ import annotations

import copy
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import pytest
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.cors import CORS_ALLOWED_HEADERS
from cds_hooks.fhir_client import FhirFetcher
from cds_hooks.settings import Settings
from tests.scenarios import SCENARIOS_DIR, Scenario, load_scenario
from tests.support.fhir_fixtures import FhirTestServer

SCENARIO = load_scenario(SCENARIOS_DIR / "04-eyelid-twitching-mild-low-magnesium")
PATIENT_ID = SCENARIO.request["context"]["patientId"]
EHR_FHIR = "http://ehr.example.org/fhir"
TOKEN = "ehr-access-token-4d1c"  # a test value, not a credential
FHIR_JSON = "application/fhir+json"
ORIGIN = "https://ehr.example.org"
TRACING_HEADERS = "authorization, content-type, x-request-id, traceparent, tracestate, x-b3-traceid"


# -- helpers -------------------------------------------------------------------------------------------------------


@dataclass
class RecordingFhir:
    """A FHIR server behind `httpx.MockTransport`: answers from the scenario's chart, records what arrived."""

    chart: dict[str, Any]
    seen: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        resource_type = request.url.path.removeprefix("/fhir/").split("/")[0]
        by_type = {"Observation": "observations", "Condition": "conditions", "MedicationRequest": "medications"}
        if resource_type == "Patient":
            body = self.chart["patient"]
        elif resource_type in by_type and isinstance(self.chart.get(by_type[resource_type]), dict):
            body = self.chart[by_type[resource_type]]
        else:
            body = {"resourceType": "Bundle", "type": "searchset", "total": 0}
        return httpx.Response(
            200, headers={"content-type": FHIR_JSON}, stream=httpx.ByteStream(json.dumps(body).encode())
        )

    @property
    def targets(self) -> list[str]:
        """The raw request targets (path and query, exactly as encoded on the wire)."""
        return [request.url.raw_path.decode("ascii") for request in self.seen]

    def target(self, resource_type: str) -> str:
        matching = [t for t in self.targets if t.startswith(f"/fhir/{resource_type}?") or t.startswith(
            f"/fhir/{resource_type}/")]
        assert len(matching) == 1, self.targets
        return matching[0]


def make_client(tmp_path: Path, **overrides: Any) -> TestClient:
    # Authentication off: fallback fetches may go where FTCDS_FHIR_SERVERS says (the mock EHR, and loopback for
    # the real test FHIR server).
    overrides.setdefault("fhir_servers", [EHR_FHIR, "http://127.0.0.1:*"])
    settings = Settings(profile="development", auth="off", data_dir=tmp_path, **overrides)
    return TestClient(create_app(settings, today=SCENARIO.today), follow_redirects=False)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path) as test_client:
        yield test_client


@pytest.fixture
def fhir(client: TestClient) -> Iterator[RecordingFhir]:
    """Route the service's fallback fetches to a recording mock FHIR server."""
    recording = RecordingFhir(copy.deepcopy(SCENARIO.request["prefetch"]))
    engine = client.app.state.engine  # type: ignore[attr-defined]
    original = engine.fetcher
    settings: Settings = engine.settings
    mock_http = httpx.AsyncClient(transport=httpx.MockTransport(recording.handler))
    engine.fetcher = FhirFetcher.from_settings(mock_http, settings)
    try:
        yield recording
    finally:
        engine.fetcher = original


def complete_request(**changes: Any) -> dict[str, Any]:
    """Scenario 04 with every prefetch key the service declares present (so nothing needs fetching)."""
    body = copy.deepcopy(SCENARIO.request)
    body["prefetch"].setdefault("medicationStatements", {"resourceType": "Bundle", "type": "searchset", "total": 0})
    body.update(changes)
    return body


def request_without(*keys: str, **changes: Any) -> dict[str, Any]:
    body = complete_request(**changes)
    for key in keys:
        del body["prefetch"][key]
    return body


def card_kinds(response: httpx.Response) -> Counter[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return Counter((card["source"]["topic"]["code"], card["indicator"]) for card in response.json()["cards"])


def without_uuids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_uuids(v) for k, v in value.items() if k != "uuid"}
    return [without_uuids(v) for v in value] if isinstance(value, list) else value


def card_content(response: httpx.Response) -> list[dict[str, Any]]:
    """The cards without their per-call uuids (card and suggestion uuids are fresh on every call)."""
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert all(card["uuid"] for card in cards)
    return without_uuids(cards)


def lenient_authorization(*, without: tuple[str, ...] = ("subject", "scope", "expires_in"), **changes: Any
                          ) -> dict[str, Any]:
    authorization: dict[str, Any] = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Observation.read patient/Condition.read",
        "subject": "cds-service",
    }
    for name in without:
        authorization.pop(name, None)
    authorization.update(changes)
    return authorization


def deviation_logs(caplog: pytest.LogCaptureFixture) -> list[list[str]]:
    return [
        record.fields["missing"]  # type: ignore[attr-defined]
        for record in caplog.records
        if record.getMessage() == "fhirAuthorization lacks required fields"
    ]


def diagnostics(response: httpx.Response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return " ".join(" ".join([issue.get("diagnostics", ""), *issue.get("expression", [])]) for issue in body["issue"])


def test_the_scenario_has_cards_to_compare() -> None:
    # Every comparison below would pass vacuously on a scenario without cards.
    assert SCENARIO.expected_cards, SCENARIO.name
    assert set(SCENARIO.request["prefetch"]) >= {"patient", "observations", "conditions", "medications"}


# -- 1. fhirAuthorization missing subject, scope or expires_in --------------------------------------------------------


@pytest.mark.parametrize(
    "without", [("subject",), ("scope",), ("expires_in",), ("subject", "scope", "expires_in")], ids="-".join
)
def test_lenient_authorization_with_every_key_prefetched_gets_cards_and_the_deviation_is_logged(
    client: TestClient, fhir: RecordingFhir, caplog: pytest.LogCaptureFixture, without: tuple[str, ...]
) -> None:
    body = complete_request(fhirServer=EHR_FHIR, fhirAuthorization=lenient_authorization(without=without))
    with caplog.at_level(logging.INFO, logger="cds_hooks"):
        response = client.post("/cds-services/patient-view", json=body)
    assert card_kinds(response) == SCENARIO.expected_cards
    assert fhir.seen == []  # the token was never used
    assert deviation_logs(caplog) == [sorted(without, key=["expires_in", "scope", "subject"].index)]
    assert TOKEN not in caplog.text


def test_complete_authorization_logs_no_deviation(
    client: TestClient, fhir: RecordingFhir, caplog: pytest.LogCaptureFixture
) -> None:
    body = complete_request(fhirServer=EHR_FHIR, fhirAuthorization=lenient_authorization(without=()))
    with caplog.at_level(logging.INFO, logger="cds_hooks"):
        response = client.post("/cds-services/patient-view", json=body)
    assert card_kinds(response) == SCENARIO.expected_cards
    assert deviation_logs(caplog) == []


@pytest.mark.parametrize("token_type", ["Bearer", "bearer", "BEARER"])
def test_lenient_authorization_is_enough_for_a_fallback_fetch(
    client: TestClient, fhir: RecordingFhir, caplog: pytest.LogCaptureFixture, token_type: str
) -> None:
    body = request_without(
        "observations", fhirServer=EHR_FHIR, fhirAuthorization={"access_token": TOKEN, "token_type": token_type}
    )
    with caplog.at_level(logging.INFO, logger="cds_hooks"):
        response = client.post("/cds-services/patient-view", json=body)
    # The magnesium card needs the observations: it can only come from the fetch.
    assert card_kinds(response) == SCENARIO.expected_cards
    assert [request.url.path for request in fhir.seen] == ["/fhir/Observation"]
    assert fhir.seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert deviation_logs(caplog) == [["expires_in", "scope", "subject"]]


def test_without_the_observations_the_fallback_really_decides_the_cards(
    client: TestClient, fhir: RecordingFhir
) -> None:
    # Control for the test above: the same call, the FHIR server holding no observations, gets no magnesium card.
    fhir.chart["observations"] = {"resourceType": "Bundle", "type": "searchset", "total": 0}
    body = request_without("observations", fhirServer=EHR_FHIR, fhirAuthorization={"access_token": TOKEN,
                                                                                   "token_type": "Bearer"})
    response = client.post("/cds-services/patient-view", json=body)
    assert card_kinds(response) != SCENARIO.expected_cards
    assert len(fhir.seen) == 1


@pytest.mark.parametrize("prefetched", ["complete", "needs-fallback"])
@pytest.mark.parametrize(
    ("authorization", "named"),
    [
        ({"token_type": "Bearer"}, "fhirAuthorization.access_token"),
        ({"access_token": "", "token_type": "Bearer"}, "fhirAuthorization.access_token"),
        ({"access_token": TOKEN}, "fhirAuthorization.token_type"),
        ({"access_token": TOKEN, "token_type": "MAC"}, "fhirAuthorization.token_type"),
    ],
    ids=["no-access-token", "empty-access-token", "no-token-type", "not-bearer"],
)
def test_authorization_without_a_usable_bearer_token_is_400_naming_the_field(
    client: TestClient, fhir: RecordingFhir, authorization: dict[str, Any], named: str, prefetched: str
) -> None:
    keys = () if prefetched == "complete" else ("observations",)
    body = request_without(*keys, fhirServer=EHR_FHIR, fhirAuthorization=authorization)
    response = client.post("/cds-services/patient-view", json=body)
    assert response.status_code == 400, response.text
    assert named in diagnostics(response)
    assert fhir.seen == []  # refused before anything was fetched


def test_fallback_without_any_authorization_fetches_without_a_token(client: TestClient, fhir: RecordingFhir) -> None:
    # No fhirAuthorization at all is legal (an open FHIR server): no Authorization header is sent.
    response = client.post("/cds-services/patient-view", json=request_without("observations", fhirServer=EHR_FHIR))
    assert card_kinds(response) == SCENARIO.expected_cards
    assert len(fhir.seen) == 1 and "authorization" not in fhir.seen[0].headers


# -- 2. CORS preflight ---------------------------------------------------------------------------------------------


def preflight(client: TestClient, headers: str, *, origin: str = ORIGIN, path: str = "/cds-services/patient-view"
              ) -> httpx.Response:
    return client.options(
        path,
        headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": headers},
    )


def allowed_headers(response: httpx.Response) -> set[str]:
    return {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}


@pytest.mark.parametrize(
    "path", ["/cds-services/patient-view", "/cds-services/order-sign/", "/cds-services/order-select/feedback"]
)
def test_preflight_with_tracing_headers_is_200_and_allows_them(client: TestClient, path: str) -> None:
    response = preflight(client, TRACING_HEADERS, path=path)
    assert response.status_code == 200, response.text
    assert {h.strip() for h in TRACING_HEADERS.split(",")} <= allowed_headers(response)
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-origin"] in ("*", ORIGIN)
    assert response.headers["access-control-max-age"] == "600"


def test_preflight_header_names_are_case_insensitive(client: TestClient) -> None:
    response = preflight(client, "Authorization,Content-Type,X-Request-ID,TraceParent,X-B3-TraceId")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("header", CORS_ALLOWED_HEADERS)
def test_every_listed_header_is_allowed_alone(client: TestClient, header: str) -> None:
    assert preflight(client, header.lower()).status_code == 200


@pytest.mark.parametrize("unknown", ["x-evil-header", "cookie", "x-forwarded-for", "x-http-method-override"])
def test_preflight_asking_for_an_unlisted_header_is_refused(client: TestClient, unknown: str) -> None:
    # The defined policy (cds_hooks/cors.py): anything not listed is still refused, even beside allowed headers.
    response = preflight(client, f"{TRACING_HEADERS}, {unknown}")
    assert response.status_code == 400
    assert "Disallowed CORS headers" in response.text
    assert unknown not in allowed_headers(response)


def test_the_actual_cross_origin_post_carries_the_cors_answer(client: TestClient) -> None:
    response = client.post(
        "/cds-services/patient-view",
        json=complete_request(),
        headers={"Origin": ORIGIN, "X-Request-Id": "r-1", "traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"},
    )
    assert card_kinds(response) == SCENARIO.expected_cards
    assert response.headers["access-control-allow-origin"] in ("*", ORIGIN)


def test_preflight_from_an_origin_not_configured_is_refused(tmp_path: Path) -> None:
    with make_client(tmp_path, cors_origins=[ORIGIN]) as restricted:
        allowed = preflight(restricted, TRACING_HEADERS)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ORIGIN
        refused = preflight(restricted, TRACING_HEADERS, origin="https://attacker.example")
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers


# -- 3. trailing slashes and HEAD ----------------------------------------------------------------------------------


def test_discovery_with_a_trailing_slash_is_the_same_document(client: TestClient) -> None:
    canonical, slashed = client.get("/cds-services"), client.get("/cds-services/")
    assert canonical.status_code == slashed.status_code == 200
    assert slashed.content == canonical.content
    assert slashed.headers["content-type"] == canonical.headers["content-type"]
    assert len(slashed.json()["services"]) == 3


@pytest.mark.parametrize("service", ["patient-view", "order-select", "order-sign"])
def test_hook_call_with_a_trailing_slash_answers_like_the_canonical_path(client: TestClient, service: str) -> None:
    if service == "patient-view":
        body = complete_request()
    else:  # the same chart, as an order hook with one harmless draft order
        order = {"resourceType": "MedicationRequest", "id": "draft-1", "status": "draft", "intent": "order",
                 "subject": {"reference": f"Patient/{PATIENT_ID}"},
                 "medicationCodeableConcept": {"text": "paracetamol 500 mg tablet"}}
        context = {**SCENARIO.request["context"], "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                                                  "entry": [{"resource": order}]}}
        if service == "order-select":
            context["selections"] = ["MedicationRequest/draft-1"]
        body = complete_request(hook=service, context=context)
    canonical = client.post(f"/cds-services/{service}", json=body)
    slashed = client.post(f"/cds-services/{service}/", json=body)
    assert slashed.status_code == canonical.status_code == 200  # not a 307 redirect
    assert "location" not in slashed.headers
    assert card_content(slashed) == card_content(canonical)
    if service == "patient-view":
        assert card_kinds(slashed) == SCENARIO.expected_cards


def test_trailing_slash_errors_are_the_same_too(client: TestClient) -> None:
    assert client.post("/cds-services/nope/", json={}).status_code == 404
    bad = client.post("/cds-services/patient-view/", json={"hook": "patient-view"})
    assert bad.status_code == 400
    assert bad.json() == client.post("/cds-services/patient-view", json={"hook": "patient-view"}).json()


@pytest.mark.parametrize(
    "path",
    ["/cds-services", "/cds-services/", "/healthz", "/readyz", "/handouts/stress", "/handouts/no-such-topic",
     "/openapi.json", "/docs", "/no-such-page", "/cds-services/patient-view"],
)
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code
    assert head.content == b""
    assert get.content != b""  # otherwise "empty" proves nothing
    for name in ("content-type", "content-length", "allow", "www-authenticate"):
        assert head.headers.get(name) == get.headers.get(name), name
    assert int(head.headers["content-length"]) == len(get.content)


def test_head_status_codes_cover_success_and_failure(client: TestClient) -> None:
    # The parametrized paths above include each of these, so a HEAD that always said 200 would fail there.
    assert client.head("/healthz").status_code == 200
    assert client.head("/handouts/no-such-topic").status_code == 404
    assert client.head("/cds-services/patient-view").status_code == 405  # POST-only, as GET is


def test_head_on_metrics_has_the_get_headers(client: TestClient) -> None:
    get, head = client.get("/metrics"), client.head("/metrics")
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


# -- 4. fallback queries percent-encoded on the wire ------------------------------------------------------------------


def query_of(target: str) -> str:
    return target.partition("?")[2]


def assert_strictly_encoded(query: str) -> None:
    """Only unreserved characters, `%XX` escapes, and the `&`/`=` that separate parameters."""
    for pair in query.split("&"):
        name, sep, value = pair.partition("=")
        assert sep == "=", pair
        for part in (name, value):
            assert all(c.isalnum() or c in "-._~%" for c in part), part


def test_observation_fallback_search_is_percent_encoded(client: TestClient, fhir: RecordingFhir) -> None:
    discovery = client.get("/cds-services").json()["services"]
    template = next(s for s in discovery if s["id"] == "patient-view")["prefetch"]["observations"]
    response = client.post("/cds-services/patient-view", json=request_without("observations", fhirServer=EHR_FHIR))
    assert card_kinds(response) == SCENARIO.expected_cards
    target = fhir.target("Observation")
    assert target.startswith(
        f"/fhir/Observation?patient={PATIENT_ID}&code=http%3A%2F%2Floinc.org%7C19123-9%2Chttp%3A%2F%2Floinc.org%7C"
    )
    assert target.endswith("&_sort=-date&_count=200")
    assert "|" not in target and "," not in target
    assert_strictly_encoded(query_of(target))
    # Decoded, it is exactly the advertised template, filled in.
    expected = template.replace("{{context.patientId}}", PATIENT_ID).partition("?")[2]
    assert parse_qsl(query_of(target)) == [(n, v) for n, _, v in (p.partition("=") for p in expected.split("&"))]


def test_condition_and_statement_fallback_searches_are_percent_encoded(client: TestClient, fhir: RecordingFhir) -> None:
    body = request_without("conditions", "medicationStatements", fhirServer=EHR_FHIR)
    response = client.post("/cds-services/patient-view", json=body)
    assert card_kinds(response) == SCENARIO.expected_cards
    assert fhir.target("Condition") == f"/fhir/Condition?patient={PATIENT_ID}"
    assert fhir.target("MedicationStatement") == (
        f"/fhir/MedicationStatement?patient={PATIENT_ID}&status=active%2Cintended"
        "&_include=MedicationStatement%3Amedication"
    )
    assert len(fhir.seen) == 2


def test_medication_request_fallback_search_is_percent_encoded(client: TestClient, fhir: RecordingFhir) -> None:
    client.post("/cds-services/patient-view", json=request_without("medications", fhirServer=EHR_FHIR))
    assert fhir.target("MedicationRequest") == (
        f"/fhir/MedicationRequest?patient={PATIENT_ID}&status=active&_include=MedicationRequest%3Amedication"
    )


HOSTILE_IDS = [
    "a b&_id=evil",
    "x&_count=1000000",
    "x#frag",
    "x?_id=evil",
    "p1&patient=someone-else",
    "a/../../Patient/other",
    "100%25&x=y",
    ".",  # a dot-segment: `Patient/.` would be normalised to a search of every Patient
    "..",
]


@pytest.mark.parametrize("patient_id", HOSTILE_IDS)
def test_a_patient_id_cannot_add_query_parameters_or_path_segments(
    client: TestClient, fhir: RecordingFhir, patient_id: str
) -> None:
    body = request_without("patient", "observations", "conditions", "medications", "medicationStatements",
                           fhirServer=EHR_FHIR)
    body["context"]["patientId"] = patient_id
    response = client.post("/cds-services/patient-view", json=body)
    assert response.status_code == 200, response.text
    searches = [t for t in fhir.targets if "?" in t]
    reads = [t for t in fhir.targets if "?" not in t]
    assert len(searches) == 4 and len(reads) == 1, fhir.targets
    for target in searches:
        params = parse_qsl(query_of(target), keep_blank_values=True)
        assert [v for n, v in params if n == "patient"] == [patient_id], target
        assert {n for n, _ in params} <= {"patient", "code", "_sort", "_count", "status", "_include"}, target
        assert "#" not in target
        assert_strictly_encoded(query_of(target))
        if target.startswith("/fhir/Observation?"):
            assert dict(params)["_count"] == "200"
    # The read stays one path segment under Patient/, whatever the id holds.
    (read,) = reads
    segment = read.removeprefix("/fhir/Patient/")
    assert read.startswith("/fhir/Patient/") and "/" not in segment and "?" not in read and "#" not in read
    assert unquote(segment) == patient_id


def test_a_context_value_is_encoded_exactly_once(client: TestClient, fhir: RecordingFhir) -> None:
    # An id that looks percent-encoded already is sent as the characters it is, not decoded by us.
    body = request_without("conditions", fhirServer=EHR_FHIR)
    body["context"]["patientId"] = "p%7C1"
    client.post("/cds-services/patient-view", json=body)
    assert fhir.target("Condition") == "/fhir/Condition?patient=p%257C1"


@pytest.mark.process
def test_a_real_fhir_server_receives_encoded_queries_and_answers_them(fhir_server: FhirTestServer, client: TestClient
                                                                      ) -> None:
    # Over real sockets: the query string as the test FHIR server received it. It answers 400 to anything it cannot
    # parse, and conditions are required, so a 200 means it understood the encoded search (it holds no conditions
    # for this patient: no twitching, no cards).
    endpoint = fhir_server.endpoint()
    body = request_without("conditions", "medicationStatements", fhirServer=endpoint.url)
    response = client.post("/cds-services/patient-view", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"cards": []}
    queries = {seen["path"].rsplit("/", 1)[-1]: seen["query"] for seen in endpoint.requests()}
    assert queries == {
        "Condition": f"patient={PATIENT_ID}",
        "MedicationStatement": (
            f"patient={PATIENT_ID}&status=active%2Cintended&_include=MedicationStatement%3Amedication"
        ),
    }


@pytest.mark.process
def test_a_real_fhir_server_gets_the_hostile_id_as_one_value(fhir_server: FhirTestServer, client: TestClient) -> None:
    endpoint = fhir_server.endpoint()
    body = request_without("conditions", fhirServer=endpoint.url)
    body["context"]["patientId"] = "x&_id=evil"
    response = client.post("/cds-services/patient-view", json=body)
    assert response.status_code == 200, response.text
    (seen,) = endpoint.requests()
    assert seen["query"] == "patient=x%26_id%3Devil"
