"""Hostile `fhirServer` values: lookalikes of the allowlisted EHR never receive a connection, let alone its token.

Each lookalike is sent twice through the real app with a verified token: with a key missing (403, nothing sent) and
with every key sent (cards, nothing sent). The FHIR side is an `httpx.MockTransport` that records every request.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.test_outbound_api import ALLOWED_FHIR, Upstream, body, call, client_for, issuer, route
from tests.security.tokens import SigningKey

from .tally import OUTBOUND_PREFETCHED, OUTBOUND_REFUSED, count

HOSTS = ["ehr.example.org.evil.com", "evil.com", "ehr.example.org%2eevil.com", "xn--hr-vla.example.org",
         "ehr.example.0rg", "127.0.0.1", "[::1]", "169.254.169.254", "EHR.EXAMPLE.ORG.", "ehr-example.org"]
AUTHORITY_TRICKS = ["{host}", "ehr.example.org@{host}", "ehr.example.org:443@{host}", "{host}:443",
                    "{host}:8443", "ehr.example.org:8443"]
PATH_TRICKS = ["/fhir", "/fhirevil", "/fhir%2F..%2F..", "/%2e%2e/fhir", "/FHIR", ""]


def lookalikes() -> list[str]:
    urls = {f"https://{authority.format(host=host)}{path}"
            for host in HOSTS for authority in AUTHORITY_TRICKS for path in PATH_TRICKS}
    urls |= {f"http://ehr.example.org{path}" for path in PATH_TRICKS}  # downgraded scheme
    # The right host, the wrong path. (`/%2e%2e/fhir` is left out here: the request model normalises it to `/fhir`,
    # which is what would then be contacted, and is allowed.)
    urls |= {f"https://ehr.example.org{path}" for path in PATH_TRICKS[1:] if path != "/%2e%2e/fhir"}
    return sorted(urls)


LOOKALIKES = lookalikes()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, es384: SigningKey) -> Iterator[tuple[TestClient, Upstream]]:
    upstream = Upstream()
    with client_for(tmp_path_factory.mktemp("outbound"), upstream,
                    issuer(es384, fhir_servers=[ALLOWED_FHIR])) as client:
        route(client, upstream)
        yield client, upstream


def test_lookalikes_of_the_allowlisted_server_get_no_connection(
    setup: tuple[TestClient, Upstream], es384: SigningKey
) -> None:
    client, upstream = setup
    upstream.seen.clear()
    statuses: dict[str, int] = {}
    for url in LOOKALIKES:
        statuses[url] = call(client, es384, body(url, "observations")).status_code
        count(OUTBOUND_REFUSED, statuses[url] == 403)
        response = call(client, es384, body(url))
        assert response.status_code == 200 and response.json()["cards"], url
        count(OUTBOUND_PREFETCHED)
    # A value that is not a URL at all is a 400 from the request model; every URL is a 403.
    assert set(statuses.values()) <= {400, 403}, {u: s for u, s in statuses.items() if s not in (400, 403)}
    assert sum(s == 403 for s in statuses.values()) > len(LOOKALIKES) * 0.9
    assert upstream.seen == []


def test_the_allowlisted_server_itself_is_fetched_from(setup: tuple[TestClient, Upstream], es384: SigningKey) -> None:
    client, upstream = setup
    upstream.seen.clear()
    assert call(client, es384, body(ALLOWED_FHIR, "observations")).status_code == 200
    assert {request.url.host for request in upstream.seen} == {"ehr.example.org"}
