"""Fetching the prefetch data the EHR did not send, from its FHIR server: concurrent, bounded, careful with the token.

All keys of one hook call are fetched at once under one deadline, because the whole call has ~500 ms. Each key is
fetched page by page (`link[relation=next]`), within page, entry and byte limits, so a large or hostile server
cannot exhaust us; all keys of one request share one byte budget too. We ask for and accept only the identity
content coding: a compressed body is refused unread, so no stack of gzip layers is ever inflated (373 bytes of
stacked gzip inflate to 638 MiB, and inflating blocks the event loop). The EHR's bearer token goes only to the EHR's own FHIR server: a `next` link (or redirect)
to any other origin is refused before anything is sent. Outcomes are reported per key; whether a failure is a
412 is the caller's decision. Logs name the key, status, page count and duration: never URLs (they carry patient
ids) and never the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

import httpx

from .json_limits import InvalidJson, decode_json
from .settings import Settings

log = logging.getLogger(__name__)

_FHIR_MEDIA_TYPES = frozenset({"application/fhir+json", "application/json"})
_INSTANCE_READ = re.compile(r"[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}")  # `Type/id`: FHIR's id syntax
_DEFAULT_PORTS = {"http": 80, "https": 443}
_GONE = frozenset({404, 410})  # a read of a resource that does not exist (404) or was deleted (410)
_IDENTITY = frozenset({"", "identity"})

FHIR_SERVER_NOT_ALLOWED = "fhirServer not allowed"

FETCH_FAILURES = frozenset(
    {
        FHIR_SERVER_NOT_ALLOWED,
        "invalid fhirServer",
        "no fhirServer in request",
        "timeout",
        "connection error",
        "bad url",
        "foreign next link",
        "not fhir",
        "unexpected content type",
        "compressed",
        "invalid json",
        "operation outcome",
        "too large",
        "request bytes exhausted",
    }
)
"""Every reason a key's fetch can fail with, besides `http NNN` (metrics label them from this closed set)."""


@dataclass(frozen=True)
class FetchRequest:
    """One prefetch key to obtain: a query relative to the FHIR server, or an absolute `next` page URL."""

    key: str
    url: str
    partial: dict[str, Any] | None = None  # the Bundle received so far, whose `next` link is `url`


@dataclass(frozen=True)
class FetchOutcome:
    """What fetching one key produced. `pages` counts the pages the result is made of (a `partial` included)."""

    key: str
    resource: dict[str, Any] | None  # the resource or merged searchset Bundle; None when a read finds nothing
    error: str | None  # None on success; otherwise a short reason, safe to log and to show the caller
    pages: int
    truncated: bool  # stopped at a page/entry limit or a `next` loop: the data may be partial


class _FetchFailed(Exception):
    """Ends one key's fetch with a short reason that is safe to log and to show the caller."""


@dataclass
class _ByteBudget:
    """Decoded bytes all keys of one request may still read together."""

    left: int

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise _FetchFailed("request bytes exhausted")


@dataclass
class _Progress:
    """How far one key got; read when the deadline cuts it off, and for its log line."""

    pages: int = 0
    status: int | None = None
    finished_at: float | None = None


def _is_link(link: Any, relation: str) -> bool:
    return isinstance(link, dict) and link.get("relation") == relation


def _links(bundle: Mapping[str, Any], relation: str) -> list[str]:
    links = bundle.get("link")
    if not isinstance(links, list):
        return []
    urls = [link.get("url") for link in links if _is_link(link, relation)]
    return [url for url in urls if isinstance(url, str) and url]


def next_link(bundle: Mapping[str, Any]) -> str | None:
    """The URL of a Bundle's `next` page, if it names one."""
    return next(iter(_links(bundle, "next")), None)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def _page_identity(url: httpx.URL) -> tuple[object, ...]:
    """The same page however its query is spelled (percent-encoding, parameter order), for loop detection."""
    return (*_origin(url), url.path, tuple(sorted(parse_qsl(url.query.decode(), keep_blank_values=True))))


def _parse_url(text: str, *, relative_to: httpx.URL) -> httpx.URL:
    """`text` as an absolute URL; a relative one is taken relative to `relative_to`."""
    try:
        url = httpx.URL(text)
        return relative_to.join(url) if url.is_relative_url else url
    except httpx.InvalidURL as exc:
        raise _FetchFailed("bad url") from exc


def _pages_named_self(bundle: Mapping[str, Any], *, relative_to: httpx.URL) -> set[tuple[object, ...]]:
    """The pages a Bundle says it is (`self` links): a `next` link back to one of them is a loop."""
    identities: set[tuple[object, ...]] = set()
    for url in _links(bundle, "self"):
        with contextlib.suppress(_FetchFailed):  # an unusable `self` link names no page
            identities.add(_page_identity(_parse_url(url, relative_to=relative_to)))
    return identities


def encode_query(query: str) -> str:
    """A query with every name and value percent-encoded as RFC 3986 requires (`|` → `%7C`, `,` → `%2C`).

    Strict FHIR servers refuse a raw `|`; values already encoded are decoded first, so nothing is encoded twice.
    A `+` is a literal plus (FHIR dates carry time zones), never a space.
    """
    pairs = (part.partition("=") for part in query.split("&") if part)
    return "&".join(
        quote(unquote(name), safe="") + (f"={quote(unquote(value), safe='')}" if sep else "")
        for name, sep, value in pairs
    )


def _first_url(base: httpx.URL, text: str) -> httpx.URL:
    """A prefetch query is relative to the FHIR server's base (path included), its values percent-encoded; a
    `next` link is absolute and used as the server wrote it."""
    try:
        is_query = httpx.URL(text).is_relative_url
    except httpx.InvalidURL as exc:
        raise _FetchFailed("bad url") from exc
    if not is_query:
        return _parse_url(text, relative_to=base)
    path, sep, query = text.partition("?")
    relative = path.lstrip("/") + (f"?{encode_query(query)}" if sep else "")
    return _parse_url(str(base).rstrip("/") + "/" + relative, relative_to=base)


def _entries(bundle: Mapping[str, Any]) -> list[Any]:
    entries = bundle.get("entry")
    return entries if isinstance(entries, list) else []


def _with_entries(bundle: Mapping[str, Any], entries: list[Any]) -> dict[str, Any]:
    """A copy of `bundle` holding `entries` and no `next` link (the merged result stands for every page read)."""
    merged = {key: value for key, value in bundle.items() if key not in ("entry", "link")}
    links = bundle.get("link")
    kept = [link for link in links if not _is_link(link, "next")] if isinstance(links, list) else []
    if kept:
        merged["link"] = kept
    if entries:
        merged["entry"] = entries
    return merged


class FhirFetcher:
    """Fetches prefetch keys from an EHR's FHIR server with the shared `httpx.AsyncClient`."""

    @classmethod
    def from_settings(cls, client: httpx.AsyncClient, settings: Settings) -> FhirFetcher:
        return cls(
            client,
            max_pages=settings.fetch_max_pages,
            max_entries=settings.fetch_max_entries,
            max_response_bytes=settings.fetch_max_response_bytes,
            max_request_bytes=settings.fetch_max_request_bytes,
        )

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        max_pages: int,
        max_entries: int,
        max_response_bytes: int,
        max_request_bytes: int | None = None,
    ) -> None:
        """`max_request_bytes` bounds all keys of one `fetch_all` together (None: only each response is bounded)."""
        self._client = client
        self._max_pages = max_pages
        self._max_entries = max_entries
        self._max_response_bytes = max_response_bytes
        self._max_request_bytes = max_request_bytes

    async def fetch_all(
        self,
        fhir_server: str,
        requests: Sequence[FetchRequest],
        *,
        access_token: str | None,
        timeout_s: float,
    ) -> dict[str, FetchOutcome]:
        """Fetch every key concurrently; keys unfinished at the deadline get the error "timeout"."""
        started = time.perf_counter()
        try:
            base = httpx.URL(fhir_server)
        except httpx.InvalidURL:
            base = httpx.URL()
        if base.scheme not in ("http", "https") or not base.host:
            return {r.key: FetchOutcome(r.key, None, "invalid fhirServer", 0, False) for r in requests}
        headers = {"Accept": "application/fhir+json", "Accept-Encoding": "identity"}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"

        outcomes: dict[str, FetchOutcome] = {}
        progress = {r.key: _Progress() for r in requests}
        budget = _ByteBudget(self._max_request_bytes or sys.maxsize)

        async def fetch(request: FetchRequest) -> None:
            outcomes[request.key] = await self._fetch_key(base, request, headers, progress[request.key], budget)
            progress[request.key].finished_at = time.perf_counter()

        try:
            async with asyncio.timeout(timeout_s), asyncio.TaskGroup() as group:
                for request in requests:
                    group.create_task(fetch(request))
        except TimeoutError:
            for key, reached in progress.items():
                if key not in outcomes:
                    outcomes[key] = FetchOutcome(key, None, "timeout", reached.pages, False)
        self._log(outcomes, progress, started)
        return outcomes

    async def _fetch_key(
        self,
        base: httpx.URL,
        request: FetchRequest,
        headers: Mapping[str, str],
        progress: _Progress,
        budget: _ByteBudget,
    ) -> FetchOutcome:
        try:
            return await self._follow_pages(base, request, headers, progress, budget)
        except _FetchFailed as failure:
            return FetchOutcome(request.key, None, str(failure), progress.pages, False)
        except httpx.TimeoutException:
            return FetchOutcome(request.key, None, "timeout", progress.pages, False)
        except httpx.HTTPError:
            return FetchOutcome(request.key, None, "connection error", progress.pages, False)

    async def _follow_pages(
        self,
        base: httpx.URL,
        request: FetchRequest,
        headers: Mapping[str, str],
        progress: _Progress,
        budget: _ByteBudget,
    ) -> FetchOutcome:
        url: httpx.URL | None = _first_url(base, request.url)
        is_read = request.partial is None and _INSTANCE_READ.fullmatch(request.url) is not None
        result = request.partial
        entries = list(_entries(result)) if result is not None else []
        progress.pages = 1 if result is not None else 0
        seen = _pages_named_self(result, relative_to=url) if result is not None else set()

        while url is not None:
            if _origin(url) != _origin(base):
                raise _FetchFailed("foreign next link")
            if _page_identity(url) in seen or progress.pages >= self._max_pages or len(entries) >= self._max_entries:
                return self._finish(request.key, result, entries, progress.pages, truncated=True)
            seen.add(_page_identity(url))
            page = await self._get(url, headers, progress, budget, is_read=is_read)
            if page is None:
                return FetchOutcome(request.key, None, None, progress.pages, False)
            if page["resourceType"] != "Bundle":
                if result is not None:
                    raise _FetchFailed("not fhir")  # a `next` page must be a Bundle
                return FetchOutcome(request.key, page, None, progress.pages, False)
            result = page if result is None else result
            entries.extend(_entries(page))
            seen |= _pages_named_self(page, relative_to=url)
            follow = next_link(page)
            url = _parse_url(follow, relative_to=url) if follow is not None else None
        return self._finish(request.key, result, entries, progress.pages, truncated=len(entries) > self._max_entries)

    def _finish(
        self, key: str, result: dict[str, Any] | None, entries: list[Any], pages: int, *, truncated: bool
    ) -> FetchOutcome:
        if result is not None and result.get("resourceType") == "Bundle":
            result = _with_entries(result, entries[: self._max_entries])
        return FetchOutcome(key, result, None, pages, truncated)

    async def _get(
        self, url: httpx.URL, headers: Mapping[str, str], progress: _Progress, budget: _ByteBudget, *, is_read: bool
    ) -> dict[str, Any] | None:
        """One page as a FHIR resource; None when a read finds no such resource."""
        async with self._client.stream("GET", url, headers=headers, follow_redirects=False) as response:
            progress.status = response.status_code
            if is_read and response.status_code in _GONE:
                return None
            if response.status_code != 200:
                raise _FetchFailed(f"http {response.status_code}")
            media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type not in _FHIR_MEDIA_TYPES:
                raise _FetchFailed("unexpected content type")
            if response.headers.get("content-encoding", "").strip().lower() not in _IDENTITY:
                raise _FetchFailed("compressed")  # we asked for identity; inflating an answer is a bomb's way in
            body = await self._read_capped(response, budget)
        progress.pages += 1
        try:
            resource = decode_json(body)
        except InvalidJson as exc:
            raise _FetchFailed("invalid json") from exc
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise _FetchFailed("not fhir")
        if resource["resourceType"] == "OperationOutcome":
            raise _FetchFailed("operation outcome")
        return resource

    async def _read_capped(self, response: httpx.Response, budget: _ByteBudget) -> bytes:
        """The body as sent (`aiter_raw`: nothing is decoded), no further than `max_response_bytes` nor the
        request's byte budget."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_response_bytes:
            raise _FetchFailed("too large")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if size > self._max_response_bytes:
                raise _FetchFailed("too large")
            budget.spend(len(chunk))
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _log(outcomes: Mapping[str, FetchOutcome], progress: Mapping[str, _Progress], started: float) -> None:
        deadline_hit = time.perf_counter()
        for key, outcome in outcomes.items():
            finished = progress[key].finished_at or deadline_hit
            log.info(
                "fhir fetch",
                extra={
                    "fields": {
                        "key": key,
                        "outcome": outcome.error or "ok",
                        "status": progress[key].status,
                        "pages": outcome.pages,
                        "truncated": outcome.truncated,
                        "ms": round((finished - started) * 1000, 1),
                    }
                },
            )
