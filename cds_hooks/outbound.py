"""Which FHIR servers the EHR's bearer token may be sent to: an allowlist of URL prefixes per trusted issuer.

A hook request names its own `fhirServer`, and the fallback fetch sends `fhirAuthorization.access_token` there. An
allowlist entry is a URL prefix, `scheme://host[:port][/path]`: a `fhirServer` is allowed when its scheme, host and
port equal the entry's (scheme and host compared case-insensitively, IDN hosts in their ASCII (punycode) form,
default ports filled in, IPv6 addresses in canonical form) and its path starts with the entry's path at a segment
boundary (`/fhir` allows `/fhir` and `/fhir/r4`, never `/fhirevil`). A port of `*` allows any port (the loopback
defaults). A `fhirServer` with userinfo (`https://ehr.example.org@evil.com`), a percent-encoded host, or an encoded
`/`, `.` or `..` path segment is never allowed. Parsing is httpx's, the same parser that opens the connection, so
what is checked is what would be contacted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

import httpx

ANY_PORT = "*"
_DEFAULT_PORTS = {"http": 80, "https": 443}

LOOPBACK_FHIR_SERVERS = ("http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*")
"""Loopback on any port: the CDS Hooks sandbox run locally sends `http://127.0.0.1:8081` (sandbox-samples)."""

SANDBOX_PUBLIC_FHIR_SERVERS = ("https://launch.smarthealthit.org/v/r2/fhir",)
"""The public FHIR server the CDS Hooks sandbox defaults to (its `src/reducers/fhir-server-reducers.js`)."""

DEVELOPMENT_FHIR_SERVERS = (*LOOPBACK_FHIR_SERVERS, *SANDBOX_PUBLIC_FHIR_SERVERS)


@dataclass(frozen=True)
class _Origin:
    scheme: str
    host: str
    port: int | None  # None: any port (entries only)
    segments: tuple[str, ...]


def _host(raw_host: bytes) -> str | None:
    """The host in canonical form, or None when it cannot be compared safely (percent-encoded, empty)."""
    try:
        host = raw_host.decode("ascii").lower()
    except UnicodeDecodeError:
        return None
    if not host or "%" in host:
        return None
    if ":" in host:  # an IPv6 address (httpx gives it without brackets)
        try:
            return ipaddress.IPv6Address(host).compressed
        except ValueError:
            return None
    return host


def _segments(raw_path: bytes) -> tuple[str, ...] | None:
    """The path's segments, percent-decoded, without empty ones; None if one decodes to `/`, `.` or `..`."""
    path = raw_path.decode("ascii", errors="replace").partition("?")[0]
    decoded = [unquote(segment) for segment in path.split("/") if segment]
    if any("/" in segment or segment in (".", "..") for segment in decoded):
        return None
    return tuple(decoded)


def _parse(text: str, *, entry: bool) -> _Origin | None:
    """`text` as an origin and path, or None when it is not an http(s) URL we can compare."""
    any_port = False
    if entry:
        authority_end = text.find("/", text.find("://") + 3) if "://" in text else -1
        authority = text if authority_end == -1 else text[:authority_end]
        if authority.endswith(":" + ANY_PORT):
            any_port = True
            text = authority.removesuffix(":" + ANY_PORT) + ("" if authority_end == -1 else text[authority_end:])
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError):
        return None
    scheme = url.scheme.lower()
    if scheme not in _DEFAULT_PORTS or url.userinfo or url.is_relative_url:
        return None
    if entry and (url.query or url.fragment):
        return None
    host = _host(url.raw_host)
    segments = _segments(url.raw_path)
    if host is None or segments is None:
        return None
    port = None if any_port else url.port or _DEFAULT_PORTS[scheme]
    return _Origin(scheme, host, port, segments)


def valid_entry(text: str) -> bool:
    return _parse(text, entry=True) is not None


class FhirServerAllowlist:
    """The FHIR servers one caller's token may be sent to (empty: none)."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.entries = tuple(entries)
        parsed = [_parse(entry, entry=True) for entry in self.entries]
        if any(origin is None for origin in parsed):
            bad = [entry for entry, origin in zip(self.entries, parsed, strict=True) if origin is None]
            raise ValueError(f"not a usable FHIR server prefix: {', '.join(map(repr, bad))}")
        self._origins = tuple(origin for origin in parsed if origin is not None)

    def allows(self, fhir_server: str) -> bool:
        url = _parse(fhir_server, entry=False)
        return url is not None and any(self._matches(entry, url) for entry in self._origins)

    @staticmethod
    def _matches(entry: _Origin, url: _Origin) -> bool:
        return (
            entry.scheme == url.scheme
            and entry.host == url.host
            and (entry.port is None or entry.port == url.port)
            and url.segments[: len(entry.segments)] == entry.segments
        )

    def __bool__(self) -> bool:
        return bool(self._origins)


def host_of(fhir_server: str) -> str:
    """The host a `fhirServer` names, for the refusal log ("" when it has none)."""
    try:
        return httpx.URL(fhir_server).host
    except (httpx.InvalidURL, TypeError, ValueError):
        return ""
