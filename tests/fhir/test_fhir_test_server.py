"""The test FHIR server answers like a FHIR server, so the client tests that rely on it prove something."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
from starlette.applications import Starlette

from tests.support.fetching import entry_ids
from tests.support.fhir_server import create_app, load_resources

DATA = Path(__file__).parent / "data"
SANDBOX_REQUEST = Path(__file__).parents[2] / "fixtures" / "sandbox" / "patient-view-request.json"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def in_process(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver")


@pytest.fixture
async def server() -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(create_app(load_resources([DATA]))) as client:
        yield client


async def search_ids(server: httpx.AsyncClient, query: str) -> list[str]:
    response = await server.get(f"/fhir/{query}")
    assert response.status_code == 200, response.text
    return entry_ids(response.json())


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("Observation?subject=Patient/ftw-2", ["ftw-2-mg"]),
        ("Observation?subject=ftw-2", ["ftw-2-mg"]),
        ("Observation?patient=ftw-1&code=17861-6", ["ftw-1-ca-feb"]),
        ("Observation?patient=ftw-1&code=http://snomed.info/sct|17861-6", []),
        ("Observation?patient=ftw-1&code=|17861-6", []),
        ("Observation?code=http://loinc.org|19123-9,http://loinc.org|2601-3&code=2601-3", ["ftw-2-mg"]),
        (
            "Observation?patient=ftw-1&code=http://loinc.org|19123-9&_sort=date",
            ["ftw-1-mg-jan", "ftw-1-mg-mar", "ftw-1-mg-may"],
        ),
        ("Condition?patient=ftw-1&clinical-status=active", ["ftw-1-hemifacial-spasm"]),
        (
            "Condition?patient=ftw-1&clinical-status=active,resolved&_sort=-date",
            ["ftw-1-hemifacial-spasm", "ftw-1-epilepsy"],
        ),
        ("MedicationRequest?patient=ftw-1&status=active", ["ftw-1-lamotrigine"]),
        ("MedicationRequest?patient=ftw-1&code=11118", ["ftw-1-valproate"]),
        ("Encounter?patient=ftw-1", []),
    ],
)
async def test_search_parameters_select_what_fhir_says(server: httpx.AsyncClient, query: str, ids: list[str]) -> None:
    assert await search_ids(server, query) == ids


async def test_searchset_pages_link_to_each_other_with_absolute_urls(server: httpx.AsyncClient) -> None:
    first = (await server.get("/fhir/Observation?patient=ftw-1&_count=4")).json()
    assert (first["type"], first["total"], len(first["entry"])) == ("searchset", 6, 4)
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert links["next"].startswith("http://testserver/fhir/Observation?")
    second = (await server.get(links["next"])).json()
    assert len(second["entry"]) == 2
    assert "next" not in {link["relation"] for link in second["link"]}


async def test_read_finds_the_resource_or_answers_404(server: httpx.AsyncClient) -> None:
    assert (await server.get("/fhir/Condition/ftw-2-facial-spasm")).json()["id"] == "ftw-2-facial-spasm"
    missing = await server.get("/fhir/Condition/nope")
    assert (missing.status_code, missing.json()["resourceType"]) == (404, "OperationOutcome")


@pytest.mark.parametrize(
    "path",
    [
        "/fhir/Observation?date=ge2024-01-01",  # a parameter it does not support
        "/fhir/Observation?_sort=code",
        "/fhir/Observation?_count=many",
        "/fhir;fault=nope/Patient/ftw-1",  # an unknown fault
        "/fhir;fault=redirect/Patient/ftw-1",  # a redirect without its target port
        "/other/Patient/ftw-1",
    ],
)
async def test_what_the_server_does_not_understand_is_a_400(server: httpx.AsyncClient, path: str) -> None:
    response = await server.get(path)
    assert (response.status_code, response.json()["resourceType"]) == (400, "OperationOutcome")


async def test_bearer_token_is_required_when_configured() -> None:
    async with in_process(create_app(load_resources([DATA]), token="t0k")) as client:
        assert (await client.get("/fhir/Patient/ftw-1")).status_code == 401
        assert (await client.get("/fhir/Patient/ftw-1", headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert (await client.get("/fhir/Patient/ftw-1", headers={"Authorization": "Bearer t0k"})).status_code == 200


async def test_requests_are_recorded_per_run_tag(server: httpx.AsyncClient) -> None:
    await server.get("/fhir;run=tagged-run/Patient/ftw-1", headers={"Authorization": "Bearer abc"})
    seen = (await server.get("/_control/requests", params={"run": "tagged-run"})).json()
    assert seen == [
        {
            "run": "tagged-run",
            "method": "GET",
            "path": "/fhir;run=tagged-run/Patient/ftw-1",
            "query": "",
            "authorization": "Bearer abc",
        }
    ]


async def test_resources_are_loaded_from_a_cds_hooks_requests_prefetch() -> None:
    request = orjson.loads(SANDBOX_REQUEST.read_bytes())
    patient_id = request["context"]["patientId"]
    async with in_process(create_app(load_resources([SANDBOX_REQUEST]))) as client:
        assert (await client.get(f"/fhir/Patient/{patient_id}")).json()["id"] == patient_id
        conditions = (await client.get(f"/fhir/Condition?patient={patient_id}")).json()
        assert entry_ids(conditions) == entry_ids(request["prefetch"]["conditions"])


def test_two_different_resources_with_one_identity_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"resourceType": "Patient", "id": "same", "gender": "male"}')
    (tmp_path / "b.json").write_text('{"resourceType": "Patient", "id": "same", "gender": "female"}')
    with pytest.raises(ValueError, match="Patient/same"):
        load_resources([tmp_path])


@pytest.mark.parametrize("order", [("v1", "v2"), ("v2", "v1")])
def test_versions_of_one_resource_serve_the_newest(tmp_path: Path, order: tuple[str, str]) -> None:
    """One id under different `meta.versionId` (a `_history` or merged feed) is one resource in two versions: the
    server serves the current one, whichever file lists it first."""
    versions = {"v1": {"resourceType": "Patient", "id": "same", "meta": {"versionId": "1"}, "gender": "male"},
                "v2": {"resourceType": "Patient", "id": "same", "meta": {"versionId": "2"}, "gender": "female"}}
    for position, name in enumerate(order):
        (tmp_path / f"{position}.json").write_bytes(orjson.dumps(versions[name]))
    assert load_resources([tmp_path])["Patient"] == [versions["v2"]]
