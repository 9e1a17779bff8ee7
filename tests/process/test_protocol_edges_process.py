"""The protocol edges of `tests/api/test_protocol_edges.py` once more through a real uvicorn process, where the
server's own HTTP layer (h11, keep-alive, HEAD framing) is in the path."""

from __future__ import annotations

import copy
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.scenarios import SCENARIOS_DIR, load_scenario
from tests.support.service_process import ServiceProcess, development_service

pytestmark = pytest.mark.process

SCENARIO = load_scenario(SCENARIOS_DIR / "04-eyelid-twitching-mild-low-magnesium")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with development_service(tmp_path_factory.mktemp("edges")) as running:
        yield running


def raw_exchange(service: ServiceProcess, payload: bytes) -> bytes:
    """Send raw bytes on one connection and read until the server closes it."""
    parts = urlsplit(service.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(payload)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize("path", ["/healthz", "/cds-services", "/cds-services/"])
def test_head_over_the_wire_has_the_get_headers_and_no_body_bytes(service: ServiceProcess, path: str) -> None:
    get = httpx.get(service.base_url + path)
    assert get.status_code == 200 and get.content
    # HEAD, then GET pipelined on one keep-alive connection: any body bytes after the HEAD would corrupt the second
    # response's framing.
    host = urlsplit(service.base_url).netloc
    received = raw_exchange(
        service,
        f"HEAD {path} HTTP/1.1\r\nHost: {host}\r\n\r\nGET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        .encode(),
    )
    head_headers, _, rest = received.partition(b"\r\n\r\n")
    assert head_headers.startswith(b"HTTP/1.1 200 ")
    assert f"content-length: {len(get.content)}".encode() in head_headers.lower()
    assert rest.startswith(b"HTTP/1.1 200 "), rest[:80]  # the very next bytes are the GET's status line
    assert rest.partition(b"\r\n\r\n")[2] == get.content


def test_preflight_with_tracing_headers_over_the_wire(service: ServiceProcess) -> None:
    response = httpx.options(
        f"{service.base_url}/cds-services/patient-view",
        headers={
            "Origin": "https://ehr.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-request-id, traceparent, tracestate, "
            "x-b3-traceid",
        },
    )
    assert response.status_code == 200, response.text
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-request-id", "traceparent", "tracestate", "x-b3-traceid"} <= allowed


def test_hook_call_with_a_trailing_slash_over_the_wire_is_not_redirected(service: ServiceProcess) -> None:
    body = copy.deepcopy(SCENARIO.request)
    body["prefetch"]["medicationStatements"] = None
    with httpx.Client(base_url=service.base_url, follow_redirects=False) as client:
        canonical = client.post("/cds-services/patient-view", json=body)
        slashed = client.post("/cds-services/patient-view/", json=body)
    assert canonical.status_code == slashed.status_code == 200, slashed.text
    assert not slashed.history and "location" not in slashed.headers
    # The clinical `today` is real time here, so only compare the two answers with each other.
    assert [c["summary"] for c in slashed.json()["cards"]] == [c["summary"] for c in canonical.json()["cards"]]
