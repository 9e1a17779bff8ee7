"""Pytest fixtures that run `tests.support.fhir_server` as a real process and hand tests its address.

`fhir_server` (open) and `secured_fhir_server` (bearer token required) live for the whole session; tests keep out
of each other's way through `endpoint(...)`, which gives each its own base URL options and run tag.
`second_fhir_server` is a fresh server per test, for proving that nothing was sent to it.
"""

from __future__ import annotations

import select
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from .processes import wait_until_ok

SERVER_SCRIPT = Path(__file__).with_name("fhir_server.py")
DEFAULT_DATA = Path(__file__).parents[1] / "fhir" / "data"
SECURED_SERVER_TOKEN = "test-bearer-token-7f3a9c"  # a test fixture's token, not a credential
STARTUP_SECONDS = 15.0


@dataclass(frozen=True)
class FhirTestServer:
    port: int
    token: str | None = None
    host: str = "127.0.0.1"

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/fhir"

    def endpoint(
        self, *, fault: str | None = None, delay_ms: int | None = None, next_port: int | None = None
    ) -> FhirEndpoint:
        """A base URL of its own for one test: the given behaviour, and a fresh run tag."""
        run = uuid.uuid4().hex
        options = {"fault": fault, "delay-ms": delay_ms, "next-port": next_port, "run": run}
        matrix = "".join(f";{name}={value}" for name, value in options.items() if value is not None)
        return FhirEndpoint(url=f"{self.base_url}{matrix}", run=run, server=self)

    def requests_seen(self, run: str | None = None) -> list[dict[str, Any]]:
        """The FHIR requests this server received (all, or those of one run tag)."""
        params = {"run": run} if run else {}
        response = httpx.get(f"{self.origin}/_control/requests", params=params)
        response.raise_for_status()
        return list(response.json())


@dataclass(frozen=True)
class FhirEndpoint:
    """One test's view of a server: its base URL and the requests that arrived through it."""

    url: str
    run: str
    server: FhirTestServer

    def requests(self) -> list[dict[str, Any]]:
        return self.server.requests_seen(self.run)


@contextmanager
def running_fhir_server(*data: Path, token: str | None = None) -> Iterator[FhirTestServer]:
    """Start the server on a free port, wait until it answers, and stop it afterwards."""
    command = [sys.executable, str(SERVER_SCRIPT), "--port", "0"]
    command += [arg for path in data for arg in ("--data", str(path))]
    command += ["--token", token] if token else []
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        announced, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
        first_line = process.stdout.readline() if announced else ""
        if not first_line.startswith("listening on "):
            raise RuntimeError(f"FHIR test server did not start (exit code {process.poll()})")
        server = FhirTestServer(port=int(first_line.split()[-1]), token=token)
        wait_until_ok(f"{server.origin}/_control/health", process, timeout=STARTUP_SECONDS, name="FHIR test server")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def fhir_server() -> Iterator[FhirTestServer]:
    """An open FHIR server (no token needed) serving `tests/fhir/data`."""
    with running_fhir_server(DEFAULT_DATA) as server:
        yield server


@pytest.fixture(scope="session")
def secured_fhir_server() -> Iterator[FhirTestServer]:
    """The same data behind a bearer token (`server.token`)."""
    with running_fhir_server(DEFAULT_DATA, token=SECURED_SERVER_TOKEN) as server:
        yield server


@pytest.fixture
def second_fhir_server() -> Iterator[FhirTestServer]:
    """A fresh, empty server on another port: whatever it has seen by the end of a test came from that test."""
    with running_fhir_server() as server:
        yield server
