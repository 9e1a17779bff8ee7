"""Broken and hostile FHIR in prefetch and draftOrders: always a valid CDS response or a clear 4xx, never a 500.

And garbage costs only itself: a good chart (twitching with a low magnesium) mixed with it still gets its card.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.scenarios import SCENARIOS_DIR, Scenario, load_scenario
from tests.support.cds_responses import assert_cards_response, assert_operation_outcome
from tests.support.fhir_fixtures import FhirTestServer

from . import hostile_fhir as hostile
from .budget import examples
from .tally import INPUTS, count

MAGNESIUM_CHART = load_scenario(SCENARIOS_DIR / "04-eyelid-twitching-mild-low-magnesium")
ORDER_SIGN = load_scenario(SCENARIOS_DIR / "53-order-sign-potassium-chloride-hyperkalemia")
ORDER_SELECT = load_scenario(SCENARIOS_DIR / "64-order-select-lamotrigine-on-valproate")
CLEAR_REFUSALS = {400, 412, 413}
BODY_LIMIT = Settings.model_fields["max_body_bytes"].default
FUZZ_SETTINGS = settings(
    max_examples=examples(80, 2000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

pytestmark = pytest.mark.process  # requests may send the service to the real FHIR test server


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings_ = Settings(profile="development", auth="off", data_dir=tmp_path_factory.mktemp("clinical-fuzz"))
    with TestClient(create_app(settings_, today=MAGNESIUM_CHART.today)) as test_client:
        yield test_client


def post(client: TestClient, body: dict[str, Any], hook: str) -> Any:
    """Posts with the standard library's encoder: it writes what orjson will not (integers beyond 64 bits)."""
    count(INPUTS)
    return client.post(f"/cds-services/{hook}", content=json.dumps(body), headers={"Content-Type": "application/json"})


def assert_valid_answer(response: Any) -> None:
    if response.status_code == 200:
        assert_cards_response(response.json())
    else:
        assert response.status_code in CLEAR_REFUSALS, response.text
        assert_operation_outcome(response.json())


def fhir_access(server: FhirTestServer) -> Any:
    """No FHIR server at all, the real test server with any token, or a server address that is junk."""
    authorization = st.fixed_dictionaries(
        {
            "access_token": hostile.TEXT,
            "token_type": st.just("Bearer"),
            "expires_in": st.just(300),
            "scope": st.just("patient/*.read"),
            "subject": st.just("cds-service"),
        }
    )
    real = st.fixed_dictionaries(
        {"fhirServer": st.just(server.endpoint().url)}, optional={"fhirAuthorization": authorization}
    )
    junk = st.fixed_dictionaries({"fhirServer": hostile.TEXT})
    return st.one_of(st.just({}), real, real, junk)


def hostile_request(scenario: Scenario, server: FhirTestServer) -> Any:
    """The scenario's request with its prefetch, context, FHIR access and extensions attacked in any combination."""
    context = dict(scenario.request["context"])
    hostile_context: dict[str, Any] = {"patientId": hostile.sloppy(hostile.IDS), "userId": hostile.sloppy(hostile.TEXT)}
    if "draftOrders" in context:
        orders = hostile.bundle(hostile.medication_request(hostile.FIXTURE_CODINGS))
        hostile_context["draftOrders"] = hostile.sloppy(orders)
    if "selections" in context:
        hostile_context["selections"] = hostile.sloppy(st.lists(hostile.IDS, max_size=3))

    def assemble(prefetch: Any, replaced: dict[str, Any], access: dict[str, Any], extension: Any) -> dict[str, Any]:
        body = {**copy.deepcopy(scenario.request), **access, "context": {**context, **replaced}}
        if prefetch is not None:
            body["prefetch"] = prefetch
        if extension is not None:
            body["extension"] = extension
        return body

    return st.builds(
        assemble,
        # Weighted towards what passes the first checks, so that most garbage reaches the chart and the rules.
        prefetch=st.one_of(st.none(), *[hostile.hostile_prefetch()] * 3, hostile.JSON_VALUES),
        replaced=st.fixed_dictionaries({}, optional=hostile_context),
        access=fhir_access(server),
        extension=st.one_of(
            *[st.none()] * 3, st.dictionaries(st.text(max_size=8), hostile.JSON_VALUES), hostile.nested(100)
        ),
    )


@pytest.mark.parametrize("scenario", [MAGNESIUM_CHART, ORDER_SIGN, ORDER_SELECT], ids=lambda s: s.hook)
def test_hostile_fhir_gets_a_valid_response_or_a_clear_4xx(
    scenario: Scenario, client: TestClient, fhir_server: FhirTestServer
) -> None:
    @FUZZ_SETTINGS
    @given(body=hostile_request(scenario, fhir_server))
    def check(body: dict[str, Any]) -> None:
        assert_valid_answer(post(client, body, scenario.hook))

    check()


def with_garbage(garbage: dict[str, list[Any]]) -> dict[str, Any]:
    """The magnesium chart with garbage entries added to each part (its own entries kept, first)."""
    body = copy.deepcopy(MAGNESIUM_CHART.request)
    for key, extra in garbage.items():
        bundle = body["prefetch"][key]
        bundle["entry"] = bundle.get("entry", []) + extra
    return body


def rule_ids(response: Any) -> set[str]:
    return {card["source"]["topic"]["code"] for card in response.json()["cards"]}


@FUZZ_SETTINGS
@given(garbage=hostile.garbage_for_a_good_chart())
def test_garbage_beside_a_good_chart_does_not_cost_its_magnesium_card(
    client: TestClient, garbage: dict[str, list[Any]]
) -> None:
    body = with_garbage(garbage)
    assume(len(json.dumps(body)) <= BODY_LIMIT)  # a larger body is refused whole (413), rightly
    response = post(client, body, "patient-view")
    assert response.status_code == 200, response.text
    assert_cards_response(response.json())
    assert "electrolyte.magnesium.low" in rule_ids(response)


def test_the_good_chart_alone_gets_the_magnesium_card(client: TestClient) -> None:
    """The control for the property above: without garbage, exactly the scenario's card."""
    response = post(client, with_garbage({}), "patient-view")
    assert rule_ids(response) == {"electrolyte.magnesium.low"}


def test_fixture_codes_reach_the_rules() -> None:
    """The garbage is built from the codes the scenarios use, so it lands where the rules read."""
    codes = {code for _, code in hostile.FIXTURE_CODINGS}
    assert hostile.MAGNESIUM_CODES <= codes
    assert "R25.3" in codes  # the eyelid twitching of the magnesium chart
    assert len(hostile.FIXTURE_IDS) > 100

