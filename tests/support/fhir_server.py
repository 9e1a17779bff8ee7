"""A small, real FHIR R4 server for tests: serves JSON resources over HTTP, with paging, a bearer check and faults.

Run it (from the repository root):

    python -m tests.support.fhir_server --port 0 --data tests/fhir/data [--data DIR ...]
           [--token T] [--delay-ms D] [--fault MODE] [--next-port N]

The first line on stdout is `listening on <port>` (so `--port 0` picks a free port without races). `--data` takes
directories (searched recursively for `*.json`) or files; each file may hold a resource, a Bundle (its entries are
served), or a CDS Hooks request (the resources in its `prefetch` are served). Two different resources with the same
type and id are an error, unless they are versions of one resource (different numeric `meta.versionId`): the
newest version is served, as a real server serves the current version.

Base URL: `http://127.0.0.1:<port>/fhir`. Interactions: `GET [base]/metadata`, `GET [base]/{Type}/{id}` (404
when absent) and `GET [base]/{Type}?...` with the search parameters `patient`, `subject` (`Patient/X` or `X`),
`code` (`system|code`, `|code`, or `code`), `status`, `clinical-status`, `_id`, `_sort` (`date` or `-date`),
`_count` (page size, default 50), `_include` (`MedicationRequest:medication`, `MedicationStatement:medication`). Commas mean OR, repeated parameters AND; any other parameter is a 400. Paging links carry
an `_offset` parameter.

`--token T` makes every FHIR request need `Authorization: Bearer T` (401 otherwise).

Per-test behaviour is chosen by matrix parameters on the base URL's `fhir` segment, so one running server serves
every test at once: `http://127.0.0.1:<port>/fhir;fault=500;delay-ms=100;run=abc`.
    delay-ms=N     wait N ms before answering each request (default: `--delay-ms`)
    fault=MODE     misbehave (default: `--fault`), MODE being one of
        500            answer 500 with an OperationOutcome
        401, 403, 404  answer that status with an OperationOutcome (refused, forbidden, not found)
        outcome        answer 200 with an OperationOutcome
        invalid-json   answer 200 with a truncated JSON body
        not-fhir       answer 200 with JSON that is not a FHIR resource
        huge           answer 200 with a 64 MiB Bundle, streamed without a Content-Length
        slow           send the headers at once, then drip the real answer over 2 s
        next-loop      page normally, but the last of several pages links `next` back to the first
        foreign-next   page normally, but `next` links point to port `next-port` on the same host
        redirect       answer 302 to the same path on port `next-port`
    next-port=N    the port `foreign-next` and `redirect` point to
    run=ID         a tag to find this test's requests among all the server has seen

Control endpoints (outside the FHIR base, never recorded): `GET /_control/health` answers once serving;
`GET /_control/requests?run=ID` lists the FHIR requests received (method, path, query, authorization header),
optionally only those whose base carried `run=ID`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

FHIR_JSON = "application/fhir+json"
DEFAULT_PAGE_SIZE = 50
SLOW_SECONDS = 2.0
HUGE_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024
_DATE_ELEMENTS = ("effectiveDateTime", "effectivePeriod.start", "issued", "recordedDate", "onsetDateTime", "authoredOn")
CAPABILITY_STATEMENT = {
    "resourceType": "CapabilityStatement",
    "status": "active",
    "kind": "instance",
    "fhirVersion": "4.0.1",
    "format": ["json"],
}
FAULTS = (
    "500", "401", "403", "404", "outcome", "invalid-json", "not-fhir", "huge", "slow", "next-loop", "foreign-next",
    "redirect",
)

Resource = dict[str, Any]


class BadRequest(ValueError):
    """A request this server does not understand; answered 400 with an OperationOutcome."""


@dataclass(frozen=True)
class Options:
    """How the server behaves for one request: process defaults, overridden by the base URL's matrix parameters."""

    fault: str | None = None
    delay_ms: int = 0
    next_port: int | None = None
    run: str | None = None

    def __post_init__(self) -> None:
        if self.fault in ("foreign-next", "redirect") and self.next_port is None:
            raise BadRequest(f"fault {self.fault!r} needs next-port")

    def overridden_by(self, segment: str) -> Options:
        """`fhir;fault=500;delay-ms=100` -> these options with `fault` and `delay_ms` replaced."""
        name, *params = segment.split(";")
        if name != "fhir":
            raise BadRequest(f"unknown base {name!r}")
        changes: dict[str, Any] = {}
        for param in params:
            key, _, value = param.partition("=")
            if key == "fault" and value in FAULTS:
                changes["fault"] = value
            elif key in ("delay-ms", "next-port") and value.isdigit():
                changes[key.replace("-", "_")] = int(value)
            elif key == "run" and value:
                changes["run"] = value
            else:
                raise BadRequest(f"bad matrix parameter {param!r}")
        return dataclasses.replace(self, **changes)


@dataclass
class ServerState:
    resources: dict[str, list[Resource]]
    defaults: Options
    token: str | None
    requests_seen: list[dict[str, Any]] = field(default_factory=list)


# -- loading -------------------------------------------------------------------------------------------------------


def _resources_in(document: Any) -> Iterator[Resource]:
    if not isinstance(document, dict):
        return
    if document.get("resourceType") == "Bundle":
        for entry in document.get("entry") or []:
            yield from _resources_in(entry.get("resource") if isinstance(entry, dict) else None)
    elif isinstance(document.get("resourceType"), str):
        yield document
    elif "hook" in document and isinstance(document.get("prefetch"), dict):
        for value in document["prefetch"].values():
            yield from _resources_in(value)


def _version(resource: Resource) -> int | None:
    meta = resource.get("meta")
    version = str(meta.get("versionId", "")) if isinstance(meta, dict) else ""
    return int(version) if version.isdigit() else None


def _newer_version(known: Resource, other: Resource) -> Resource | None:
    """Of two versions of one resource (numeric `meta.versionId`s that differ), the newer one, which a server
    serves as current; None when they are not distinguishable versions."""
    old, new = _version(known), _version(other)
    if old is None or new is None or old == new:
        return None
    return other if new > old else known


def load_resources(paths: Iterable[Path]) -> dict[str, list[Resource]]:
    """Every resource in the given files and directories, by type; conflicting duplicates are an error."""
    by_type: dict[str, list[Resource]] = {}
    by_identity: dict[tuple[str, str], Resource] = {}
    files = [f for p in paths for f in (sorted(p.rglob("*.json")) if p.is_dir() else [p])]
    for file in files:
        for resource in _resources_in(orjson.loads(file.read_bytes())):
            identity = (resource["resourceType"], str(resource.get("id", "")))
            if identity[1] and identity in by_identity:
                known = by_identity[identity]
                if known != resource:
                    newer = _newer_version(known, resource)
                    if newer is None:
                        raise ValueError(f"{file}: a different {identity[0]}/{identity[1]} was already loaded")
                    if newer is resource:
                        listed = by_type[identity[0]]
                        listed[next(i for i, r in enumerate(listed) if r is known)] = resource
                        by_identity[identity] = resource
                continue
            by_identity[identity] = resource
            by_type.setdefault(resource["resourceType"], []).append(resource)
    return by_type


# -- search --------------------------------------------------------------------------------------------------------


def _get(resource: Resource, dotted: str) -> Any:
    value: Any = resource
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _codings(resource: Resource, element: str) -> list[dict[str, Any]]:
    codings = _get(resource, f"{element}.coding")
    return [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []


def _token_matches(coding: dict[str, Any], token: str) -> bool:
    if "|" not in token:
        return coding.get("code") == token
    system, _, code = token.partition("|")
    return coding.get("code") == code and coding.get("system", "") == system


def _refers_to_patient(resource: Resource, values: list[str], elements: tuple[str, ...]) -> bool:
    references = {_get(resource, f"{element}.reference") for element in elements}
    wanted = {v if "/" in v else f"Patient/{v}" for v in values}
    return bool(references & wanted)


def _matches_code(resource: Resource, tokens: list[str]) -> bool:
    codings = _codings(resource, "code") + _codings(resource, "medicationCodeableConcept")
    return any(_token_matches(coding, token) for coding in codings for token in tokens)


_SEARCH_PARAMETERS: dict[str, Callable[[Resource, list[str]], bool]] = {
    "patient": lambda r, values: _refers_to_patient(r, values, ("subject", "patient")),
    "subject": lambda r, values: _refers_to_patient(r, values, ("subject",)),
    "code": _matches_code,
    "status": lambda r, values: r.get("status") in values,
    "clinical-status": lambda r, values: any(c.get("code") in values for c in _codings(r, "clinicalStatus")),
    "_id": lambda r, values: r.get("id") in values,
}
_PAGING_PARAMETERS = ("_sort", "_count", "_offset", "_include")
_INCLUDABLE = {"MedicationRequest:medication", "MedicationStatement:medication"}


def _date(resource: Resource) -> str:
    """The resource's clinically relevant date as written (ISO 8601 strings compare well enough for tests)."""
    return next((d for d in (_get(resource, e) for e in _DATE_ELEMENTS) if isinstance(d, str)), "")


def search(resources: list[Resource], params: list[tuple[str, str]]) -> list[Resource]:
    """The matching resources, sorted as asked; `_count`/`_offset` are left to paging."""
    matches = list(resources)
    for name, value in params:
        if name in _SEARCH_PARAMETERS:
            matcher = _SEARCH_PARAMETERS[name]
            matches = [r for r in matches if matcher(r, value.split(","))]
        elif name == "_sort":
            for key in reversed(value.split(",")):
                if key.lstrip("-") != "date":
                    raise BadRequest(f"cannot sort by {key!r}")
                matches.sort(key=_date, reverse=key.startswith("-"))
        elif name not in _PAGING_PARAMETERS:
            raise BadRequest(f"unsupported search parameter {name!r}")
    return matches


def _int_param(params: list[tuple[str, str]], name: str, default: int) -> int:
    values = [v for k, v in params if k == name]
    if not values:
        return default
    if not values[-1].isdigit():
        raise BadRequest(f"{name} must be a non-negative integer")
    return int(values[-1])


def searchset(
    request: Request, options: Options, matches: list[Resource], params: list[tuple[str, str]]
) -> Resource:
    """One page of a searchset Bundle, with absolute `self` and `next` links (shaped by paging faults)."""
    count = max(_int_param(params, "_count", DEFAULT_PAGE_SIZE), 1)
    offset = _int_param(params, "_offset", 0)
    query = [(k, v) for k, v in params if k != "_offset"]
    origin = f"{request.url.scheme}://{request.url.netloc}"
    base = f"{origin}/{request.path_params['base']}"

    def page_url(page_offset: int, page_origin: str = origin) -> str:
        page_query = query + ([("_offset", str(page_offset))] if page_offset else [])
        return f"{page_origin}{request.url.path}?{urlencode(page_query)}"

    links = [{"relation": "self", "url": page_url(offset)}]
    if offset + count < len(matches):
        foreign = f"{request.url.scheme}://{request.url.hostname}:{options.next_port}"
        next_origin = foreign if options.fault == "foreign-next" else origin
        links.append({"relation": "next", "url": page_url(offset + count, next_origin)})
    elif options.fault == "next-loop" and offset > 0:
        links.append({"relation": "next", "url": page_url(0)})
    entries = [
        {"fullUrl": f"{base}/{r['resourceType']}/{r.get('id')}", "resource": r, "search": {"mode": "match"}}
        for r in matches[offset : offset + count]
    ]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(matches), "link": links, "entry": entries}


# -- HTTP ----------------------------------------------------------------------------------------------------------


def outcome(code: str, diagnostics: str) -> Resource:
    issue = {"severity": "error", "code": code, "diagnostics": diagnostics}
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def fhir_response(status: int, body: Any) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=FHIR_JSON)


def _interaction(request: Request, state: ServerState, options: Options) -> tuple[int, Resource]:
    """The answer a well-behaved server would give."""
    kind = request.path_params.get("type")
    resource_id = request.path_params.get("id")
    if kind is None:
        return 200, CAPABILITY_STATEMENT
    resources = state.resources.get(kind, [])
    if resource_id is not None:
        found = next((r for r in resources if r.get("id") == resource_id), None)
        return (200, found) if found else (404, outcome("not-found", f"{kind}/{resource_id} is not known"))
    params = list(request.query_params.multi_items())
    bundle = searchset(request, options, search(resources, params), params)
    for name, value in params:
        if name == "_include":
            if value not in _INCLUDABLE:
                raise BadRequest(f"cannot _include {value!r}")
            bundle["entry"] += _included_medications(request, state, bundle["entry"])
    return 200, bundle


def _included_medications(request: Request, state: ServerState, entries: list[Any]) -> list[dict[str, Any]]:
    """`_include=...:medication`: the Medications the page's resources refer to, once each, in mode include."""
    base = f"{request.url.scheme}://{request.url.netloc}/{request.path_params['base']}"
    wanted = {_get(entry["resource"], "medicationReference.reference") for entry in entries}
    return [
        {"fullUrl": f"{base}/Medication/{r['id']}", "resource": r, "search": {"mode": "include"}}
        for r in state.resources.get("Medication", []) if f"Medication/{r.get('id')}" in wanted
    ]


async def _dripped(body: bytes) -> AsyncIterator[bytes]:
    pieces = 20
    step = max(len(body) // pieces, 1)
    for start in range(0, len(body), step):
        await asyncio.sleep(SLOW_SECONDS / pieces)
        yield body[start : start + step]


async def _huge_body() -> AsyncIterator[bytes]:
    yield b'{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Basic","id":"huge",'
    yield b'"text":{"status":"generated","div":"<div>'
    for _ in range(HUGE_BYTES // _CHUNK):
        yield b"x" * _CHUNK
    yield b'</div>"}}}]}'


def _replacement(request: Request, options: Options) -> Response | None:
    """The faulty answer that replaces the real one, for the faults that do."""
    match options.fault:
        case "500":
            return fhir_response(500, outcome("exception", "simulated server failure"))
        case "401":
            return fhir_response(401, outcome("login", "simulated: token not accepted"))
        case "403":
            return fhir_response(403, outcome("forbidden", "simulated: scope does not allow this"))
        case "404":
            return fhir_response(404, outcome("not-found", "simulated: nothing here"))
        case "outcome":
            return fhir_response(200, outcome("processing", "simulated OperationOutcome with 200"))
        case "invalid-json":
            return Response(b'{"resourceType": "Bundle", "entry": [', media_type=FHIR_JSON)
        case "not-fhir":
            return Response(orjson.dumps({"message": "this is JSON but not FHIR"}), media_type=FHIR_JSON)
        case "huge":
            return StreamingResponse(_huge_body(), media_type=FHIR_JSON)
        case "redirect":
            target = request.url.replace(port=options.next_port)
            return Response(status_code=302, headers={"Location": str(target)})
    return None


async def fhir_endpoint(request: Request) -> Response:
    state: ServerState = request.app.state.fhir
    try:
        options = state.defaults.overridden_by(request.path_params["base"])
    except BadRequest as exc:
        return fhir_response(400, outcome("invalid", str(exc)))
    state.requests_seen.append(
        {
            "run": options.run,
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "authorization": request.headers.get("authorization"),
        }
    )
    await asyncio.sleep(options.delay_ms / 1000)
    if state.token is not None and request.headers.get("authorization") != f"Bearer {state.token}":
        denied = fhir_response(401, outcome("login", "bearer token required"))
        denied.headers["WWW-Authenticate"] = "Bearer"
        return denied
    if (replacement := _replacement(request, options)) is not None:
        return replacement
    try:
        status, body = _interaction(request, state, options)
    except BadRequest as exc:
        return fhir_response(400, outcome("invalid", str(exc)))
    if options.fault == "slow":
        return StreamingResponse(_dripped(orjson.dumps(body)), status_code=status, media_type=FHIR_JSON)
    return fhir_response(status, body)


async def health(request: Request) -> Response:
    return Response(b"ok", media_type="text/plain")


async def requests_seen(request: Request) -> Response:
    state: ServerState = request.app.state.fhir
    run = request.query_params.get("run")
    seen = [r for r in state.requests_seen if run is None or r["run"] == run]
    return Response(orjson.dumps(seen), media_type="application/json")


def create_app(
    resources: dict[str, list[Resource]], *, token: str | None = None, defaults: Options = Options()
) -> Starlette:
    app = Starlette(
        routes=[
            Route("/_control/health", health),
            Route("/_control/requests", requests_seen),
            Route("/{base}/metadata", fhir_endpoint),
            Route("/{base}/{type}", fhir_endpoint),
            Route("/{base}/{type}/{id}", fhir_endpoint),
        ]
    )
    app.state.fhir = ServerState(resources=resources, defaults=defaults, token=token)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--data", type=Path, action="append", default=[], help="file or directory; repeatable")
    parser.add_argument("--token", help="bearer token every FHIR request must carry")
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--fault", choices=FAULTS)
    parser.add_argument("--next-port", type=int, help="where `foreign-next` and `redirect` point")
    args = parser.parse_args(argv)

    defaults = Options(fault=args.fault, delay_ms=args.delay_ms, next_port=args.next_port)
    app = create_app(load_resources(args.data), token=args.token, defaults=defaults)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)
    print(f"listening on {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
