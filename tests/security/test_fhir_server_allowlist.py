"""Where the EHR's bearer token may go: FHIR server URL prefixes, matched against hostile lookalikes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from cds_hooks.app import trusting_the_development_issuer
from cds_hooks.dev_token import DEV_ISSUER
from cds_hooks.outbound import DEVELOPMENT_FHIR_SERVERS, LOOPBACK_FHIR_SERVERS, FhirServerAllowlist
from cds_hooks.settings import SANDBOX_ISSUER, Settings, TrustedIssuer

EHR = FhirServerAllowlist(["https://ehr.example.org/fhir"])


@pytest.mark.parametrize(
    "url",
    [
        "https://ehr.example.org/fhir",
        "https://ehr.example.org/fhir/",
        "https://ehr.example.org/fhir/r4",
        "HTTPS://EHR.Example.ORG/fhir",  # scheme and host case
        "https://ehr.example.org:443/fhir",  # the default port spelled out
        "https://ehr.example.org/%66hir",  # percent-encoded unreserved letter: the same path
    ],
)
def test_the_configured_server_and_paths_under_it_are_allowed(url: str) -> None:
    assert EHR.allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://ehr.example.org/fhirevil",  # not at a segment boundary
        "https://ehr.example.org.evil.com/fhir",  # suffix lookalike
        "https://evil-ehr.example.org/fhir",
        "https://ehr.example.org@evil.com/fhir",  # userinfo: the host is evil.com
        "https://evil.com@ehr.example.org/fhir",  # userinfo on the right host: credentials in a URL, refused
        "https://ehr.example.org:8443/fhir",  # another port
        "https://ehr.example.org:80/fhir",
        "http://ehr.example.org/fhir",  # another scheme
        "https://ehr.example.org/",  # above the prefix
        "https://ehr.example.org/FHIR",  # paths are case-sensitive
        "https://ehr.example.org/fhir%2F..%2Fadmin",  # an encoded slash
        "https://ehr.example.org/%2e%2e/fhir",  # encoded dot segment
        "https://ehr%2eexample.org/fhir",  # percent-encoded host
        "https://ehr.example.org%2F@evil.com/fhir",
        "https://xn--hr-vla.example.org/fhir",  # IDN lookalike (punycode of ëhr)
        "https://ëhr.example.org/fhir",
        "ftp://ehr.example.org/fhir",
        "//ehr.example.org/fhir",
        "/fhir",
        "not a url",
        "",
    ],
)
def test_lookalikes_are_refused(url: str) -> None:
    assert not EHR.allows(url)


def test_idn_hosts_compare_in_punycode() -> None:
    allowlist = FhirServerAllowlist(["https://bücher.example/fhir"])
    assert allowlist.allows("https://xn--bcher-kva.example/fhir/Patient")
    assert allowlist.allows("https://BÜCHER.example/fhir")
    assert not allowlist.allows("https://bucher.example/fhir")


def test_a_prefix_with_a_trailing_slash_or_none_is_the_same() -> None:
    assert FhirServerAllowlist(["https://ehr.example.org/fhir/"]).allows("https://ehr.example.org/fhir")
    assert FhirServerAllowlist(["https://ehr.example.org"]).allows("https://ehr.example.org/any/path")


def test_a_port_must_match_unless_it_is_a_wildcard() -> None:
    pinned = FhirServerAllowlist(["http://10.1.2.3:8080"])
    assert pinned.allows("http://10.1.2.3:8080/fhir")
    assert not pinned.allows("http://10.1.2.3/fhir")
    assert not pinned.allows("http://10.1.2.3:8081/fhir")
    loopback = FhirServerAllowlist(LOOPBACK_FHIR_SERVERS)
    for url in ("http://127.0.0.1:8081", "http://localhost:1/fhir", "http://[::1]:9000/r4", "http://127.0.0.1"):
        assert loopback.allows(url), url


@pytest.mark.parametrize(
    "url",
    [
        "http://[0:0:0:0:0:0:0:1]:8081/fhir",  # the same IPv6 address spelled out
        "http://[0::1]:8081",
    ],
)
def test_ipv6_addresses_compare_canonically(url: str) -> None:
    assert FhirServerAllowlist(LOOPBACK_FHIR_SERVERS).allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:8081",  # loopback defaults are http only
        "http://127.0.0.1.evil.com:8081",
        "http://localhost.evil.com",
        "http://127.0.0.1@evil.com:8081",
        "http://[::2]:8081",
        "http://[::ffff:7f00:1]:8081",  # IPv4-mapped: not the addresses listed
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "http://10.0.0.1:8081",
    ],
)
def test_loopback_defaults_refuse_everything_else(url: str) -> None:
    assert not FhirServerAllowlist(LOOPBACK_FHIR_SERVERS).allows(url)


def test_an_empty_allowlist_allows_nothing() -> None:
    assert not FhirServerAllowlist([]).allows("http://127.0.0.1:8081")


@pytest.mark.parametrize(
    "entry",
    ["ehr.example.org/fhir", "https://user@ehr.example.org", "https://ehr.example.org/fhir?x=1",
     "https://ehr.example.org/fhir#f", "ftp://ehr.example.org", "https://", "https://ehr.example.org:*x"],
)
def test_unusable_prefixes_are_a_configuration_error(entry: str) -> None:
    with pytest.raises(ValidationError, match="not a FHIR server URL prefix"):
        TrustedIssuer(iss="https://ehr.example.org", jwks={"keys": []}, fhir_servers=[entry])
    with pytest.raises(ValidationError, match="not a FHIR server URL prefix"):
        Settings(fhir_servers=[entry])


def test_issuers_allow_no_fhir_server_unless_configured() -> None:
    assert TrustedIssuer(iss="https://ehr.example.org", jwks={"keys": []}).fhir_servers == []


def test_fhir_servers_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTCDS_FHIR_SERVERS", "https://ehr.example.org/fhir, http://127.0.0.1:*")
    assert Settings().fhir_servers == ["https://ehr.example.org/fhir", "http://127.0.0.1:*"]
    monkeypatch.setenv("FTCDS_TRUSTED_ISSUERS",
                       '[{"iss": "https://ehr.example.org", "jwks_url": "https://ehr.example.org/jwks",'
                       ' "fhir_servers": ["https://ehr.example.org/fhir"]}]')
    assert Settings().trusted_issuers[0].fhir_servers == ["https://ehr.example.org/fhir"]


def test_open_fhir_servers_default_to_loopback_in_development_and_none_in_production() -> None:
    assert Settings(profile="development").fhir_servers == list(LOOPBACK_FHIR_SERVERS)
    assert Settings(profile="production").fhir_servers == []


def test_development_issuers_allow_loopback_and_the_sandbox_public_server(tmp_path: Path) -> None:
    settings = trusting_the_development_issuer(Settings(profile="development", data_dir=tmp_path))
    by_iss = {issuer.iss: issuer.fhir_servers for issuer in settings.trusted_issuers}
    assert by_iss == {SANDBOX_ISSUER: list(DEVELOPMENT_FHIR_SERVERS), DEV_ISSUER: list(DEVELOPMENT_FHIR_SERVERS)}
    sandbox = FhirServerAllowlist(by_iss[SANDBOX_ISSUER])
    assert sandbox.allows("http://127.0.0.1:8081")  # what the sandbox sends (sandbox-samples)
    assert sandbox.allows("https://launch.smarthealthit.org/v/r2/fhir")
    assert not sandbox.allows("https://launch.smarthealthit.org/v/r4/fhir")
