"""The HTTP face of the service: routes, limits, authentication, CORS, and the one place errors become HTTP.

Routes stay thin; the work is in `CdsEngine` (hook calls), `TokenVerifier` (EHR JWTs) and the store.
"""

from __future__ import annotations

import gc
from importlib.metadata import version as package_version
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date, datetime
from typing import Any

import anyio
import httpx
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi_offline import FastAPIOffline
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from cards import load_knowledge
from cards.catalogue import build_catalogue, catalogue_document, shared_sentences

from . import openapi
from .admin import DASHBOARD_HEADERS, admin_router
from .catalogue_page import render_catalogue
from .configuration import summary
from .cors import CORS_ALLOWED_HEADERS
from .dev_token import DEV_ISSUER, public_jwks
from .engine import CdsEngine, validation_messages
from .errors import (
    BadRequest,
    CdsError,
    Detail,
    FhirServerNotAllowed,
    NotAuthenticated,
    PayloadTooLarge,
    PrefetchUnavailable,
    RequestTimeout,
)
from .feedback_loop import FeedbackLoop, id_hash_secret, suppression_policy
from .handouts import render_handout_page
from .head_requests import HeadAsGet
from .json_limits import parse_json_object
from .json_response import JsonResponse
from .logs import request_context
from .metrics import LabelSets, announce, exposition, observe
from .models import FeedbackRequest, Hook
from .outbound import DEVELOPMENT_FHIR_SERVERS
from .outcomes import Endpoint, RequestOutcome, Stage
from .security import TokenVerifier, VerifiedToken, expected_audience
from .settings import AuthMode, Settings, TrustedIssuer
from .store import IssuedCardRecorder, Store
from .store.store import utc_now
from .store.suppression_cache import watch_suppressions
from .unexpected_errors import UnexpectedErrors

log = logging.getLogger("cds_hooks.request")


async def read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The request body, refusing (413) anything over `limit` bytes before reading it all into memory, and (408)
    a body still incomplete after `timeout_s`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body over the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"request body over the {limit}-byte limit")
                chunks.append(chunk)
    except TimeoutError:
        raise RequestTimeout(f"request body not received within {timeout_s:g} s") from None
    return b"".join(chunks)


def _error_response(error: CdsError) -> Response:
    if isinstance(error, NotAuthenticated):
        return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    headers = {"Retry-After": str(error.retry_after_seconds)} if error.retry_after_seconds is not None else None
    return JsonResponse(error.operation_outcome(), status_code=error.status_code, headers=headers)


def answer_errors(app: FastAPI) -> None:
    """The one place errors become HTTP: every `CdsError` and FastAPI's own request validation, as an
    OperationOutcome (a bare 401 for authentication)."""

    async def cds_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, CdsError)
        return _error_response(error)

    async def validation_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        details = [Detail(e["msg"], ".".join(map(str, e["loc"]))) for e in error.errors()]
        return _error_response(BadRequest("invalid request", details=details))

    app.add_exception_handler(CdsError, cds_error)
    app.add_exception_handler(RequestValidationError, validation_error)


def trusting_the_development_issuer(settings: Settings) -> Settings:
    """Development with the default issuers also trusts the local issuer `facial-twitch-cds token` signs for."""
    if not settings.issuers_from_profile or any(issuer.iss == DEV_ISSUER for issuer in settings.trusted_issuers):
        return settings
    local = TrustedIssuer(
        iss=DEV_ISSUER, jwks=public_jwks(settings.data_dir), fhir_servers=list(DEVELOPMENT_FHIR_SERVERS)
    )
    return settings.model_copy(update={"trusted_issuers": [*settings.trusted_issuers, local]})


def create_app(
    settings: Settings | None = None,
    *,
    today: Callable[[], date] | date | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """Build the service. Tests may pin the clinical `today` and the feedback loop's `clock`; by default both
    are real time."""
    settings = settings or Settings()
    settings.check_startable()
    knowledge = load_knowledge().load_site(settings.site_knowledge)
    catalogue = build_catalogue(knowledge)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        policy = suppression_policy(settings, knowledge.override_reasons)
        store = Store.open(settings.effective_database_url, policy=policy, clock=clock or utc_now)
        await run_in_threadpool(store.upgrade)
        suppressions = await run_in_threadpool(watch_suppressions, store.engine)
        loop = FeedbackLoop(store, IssuedCardRecorder(store), id_hash_secret(settings), knowledge.version,
                            suppressions)
        async with httpx.AsyncClient(follow_redirects=False) as http:
            # The development issuer's key pair is made here, when the service starts, not when the app is built.
            serving = trusting_the_development_issuer(settings)
            engine = CdsEngine.create(serving, knowledge, http, today=today, loop=loop)
            app.state.store = store
            app.state.loop = loop
            app.state.engine = engine
            app.state.labels = LabelSets(  # the closed label sets, from what this process serves
                services=frozenset(engine.services),
                prefetch_keys=frozenset(key.name for service in engine.services.values()
                                        for key in service.prefetch),
                rules=frozenset(rule.rule_id for rule in knowledge.rules()),
                feedback_details=frozenset({"accepted", "overridden",
                                            *(reason.code for reason in knowledge.override_reasons)}),
            )
            app.state.verifier = TokenVerifier(serving, store)
            # Everything loaded so far lives as long as the process: keep the collector from walking it again,
            # and from running every few hundred allocations while a large body is parsed (bench: large-chart
            # p99 from ~150 ms to ~50 ms, worker CPU per medium request from 12.6 to 7.3 ms).
            gc.collect()
            gc.freeze()
            gc.set_threshold(20_000, 50, 100)
            log.info("configuration", extra={"fields": summary(serving)})
            announce(app.state.labels, version=package_version("facial-twitch-cds"),
                     knowledge_version=knowledge.version)
            if settings.auth is AuthMode.off:
                log.warning("AUTHENTICATION IS OFF: any caller can invoke these services (FTCDS_AUTH=off)")
            try:
                yield
            finally:
                await app.state.verifier.aclose()
                await run_in_threadpool(loop.close)

    app = FastAPIOffline(
        title="facial-twitch-cds",
        version=knowledge.version,
        summary="CDS Hooks 2.0 decision support for involuntary facial twitching",
        lifespan=lifespan,
        default_response_class=JsonResponse,
        # The Swagger UI and ReDoc assets ship with fastapi-offline: the pages work where no CDN can be reached.
        docs_url="/docs" if settings.serves_api_docs else None,
        redoc_url="/redoc" if settings.serves_api_docs else None,
    )
    app.add_middleware(UnexpectedErrors)  # added first, so it runs inside CORS
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=list(CORS_ALLOWED_HEADERS),
        max_age=600,
    )

    answer_errors(app)

    def public_url(request: Request) -> str:
        public_base = str(settings.public_base_url) if settings.public_base_url else None
        return expected_audience(str(request.url), public_base, request.scope.get("root_path", ""))

    def base_url(request: Request) -> str:
        return str(settings.public_base_url or request.base_url).rstrip("/")

    @contextmanager
    def answered(outcome: RequestOutcome, message: str) -> Iterator[None]:
        """Log and count a request once it is answered; a `CdsError` is recorded here and mapped to HTTP by the
        one exception handler (anything else stays a 500, answered by `UnexpectedErrors`)."""
        try:
            with request_context(outcome.request_id):
                yield
        except CdsError as error:
            outcome.status = error.status_code
            outcome.error = error.reason if isinstance(error, NotAuthenticated) else error.message
            if isinstance(error, NotAuthenticated):
                outcome.rejection = error.reason
            if isinstance(error, PrefetchUnavailable):
                outcome.fetch_errors = error.fetch_errors
            outcome.fhir_server_refused = isinstance(error, FhirServerNotAllowed)
            raise
        finally:
            outcome.finish()
            log.info(message, extra={"fields": outcome.log_fields()})
            observe(outcome, app.state.labels)

    async def authenticate(request: Request) -> VerifiedToken | None:
        """The caller's verified token; None when authentication is off (FTCDS_AUTH=off)."""
        if settings.auth is AuthMode.off:
            return None
        return await request.app.state.verifier.verify(request.headers.get("authorization"), public_url(request))

    @app.get("/cds-services", summary="CDS Hooks discovery", openapi_extra=openapi.DISCOVERY)
    @app.get("/cds-services/", include_in_schema=False)
    async def discovery(request: Request) -> Any:
        if settings.discovery_requires_auth:
            await authenticate(request)
        return request.app.state.engine.discovery().model_dump(exclude_none=True)

    @app.post("/cds-services/{service_id}", summary="Call a CDS service", openapi_extra=openapi.HOOK_CALL)
    @app.post("/cds-services/{service_id}/", include_in_schema=False)
    async def call_service(service_id: str, request: Request) -> Response:
        engine: CdsEngine = request.app.state.engine
        outcome = RequestOutcome(Endpoint.HOOK, service_id)
        with answered(outcome, "hook call"):
            service = engine.service(service_id)
            # The JWT is in a header: an anonymous caller never makes us read a body.
            caller = await authenticate(request)
            body = await read_body(request, settings.max_body_bytes, settings.body_timeout_seconds)
            with outcome.timings.measure(Stage.PARSE):
                call = engine.parse(service, body)
            outcome.hook_instance = call.request.hookInstance
            result = await engine.run(call, base_url=base_url(request), started=outcome.started,
                                      caller=caller)
            outcome.timings.ms.update(result.timings.ms)
            with outcome.timings.measure(Stage.SERIALIZE):
                response = JsonResponse(result.response.model_dump(exclude_none=True))
            outcome.rules = result.rule_ids
            outcome.suppressed_rules = result.held_back
            outcome.silent_rules = [draft.rule_id for draft in result.evaluation.silent]
            outcome.prefetch = result.prefetch.sources
            outcome.truncated_keys = result.prefetch.truncated
            outcome.skipped_resources = result.evaluation.skipped_resources
            outcome.fetch_errors = result.prefetch.fetch_errors
            outcome.status = 200
            return response

    @app.post("/cds-services/{service_id}/feedback", summary="Feedback on cards", openapi_extra=openapi.FEEDBACK)
    @app.post("/cds-services/{service_id}/feedback/", include_in_schema=False)
    async def feedback(service_id: str, request: Request) -> Response:
        engine: CdsEngine = request.app.state.engine
        outcome = RequestOutcome(Endpoint.FEEDBACK, service_id)
        with answered(outcome, "feedback"):
            engine.service(service_id)
            caller = await authenticate(request)
            body = await read_body(request, settings.max_body_bytes, settings.body_timeout_seconds)
            document = parse_json_object(
                body, max_depth=settings.max_json_depth, max_string_chars=settings.max_json_string_chars
            )
            items = document.get("feedback")
            if isinstance(items, list) and len(items) > settings.feedback_max_items:
                # Counted before validation: 25,000 items would cost seconds to validate and to write.
                raise PayloadTooLarge(
                    f"feedback holds {len(items)} items; send at most {settings.feedback_max_items} per request"
                )
            try:
                parsed = FeedbackRequest.model_validate(document)
            except ValidationError as exc:
                raise BadRequest("invalid feedback", details=validation_messages(exc)) from None
            issuer = caller.issuer if caller is not None else None
            results = await request.app.state.loop.save_feedback(service_id, parsed, issuer)
            for item, result in zip(parsed.feedback, results, strict=True):
                reason = item.overrideReason.reason if item.overrideReason else None
                outcome.feedback[(result.status, reason.code if reason else item.outcome)] += 1
            outcome.status = 200
            return JsonResponse({"feedback": [{"card": r.card_uuid, "status": r.status} for r in results]})

    @app.get("/rules", response_class=HTMLResponse, summary="The rule catalogue (HTML)")
    async def rules_page() -> Response:
        return HTMLResponse(render_catalogue(catalogue, knowledge.version, shared_sentences(knowledge)),
                            headers=DASHBOARD_HEADERS)

    @app.get("/rules.json", summary="The rule catalogue (JSON)")
    async def rules_json() -> Any:
        return catalogue_document(knowledge, catalogue)

    @app.get(
        "/handouts/{topic}",
        response_class=HTMLResponse,
        summary="Printable patient handout",
        openapi_extra=openapi.HANDOUT,
    )
    async def handout(topic: str) -> Response:
        page = knowledge.handout(topic)
        if page is None:
            return HTMLResponse("<!DOCTYPE html><title>Not found</title><p>No such handout.</p>", status_code=404)
        return HTMLResponse(render_handout_page(page, knowledge.version))

    @app.get("/healthz", summary="Liveness", openapi_extra=openapi.LIVENESS)
    async def healthz() -> Any:
        return {"status": "ok"}

    @app.get("/readyz", summary="Readiness: knowledge loaded, store reachable", openapi_extra=openapi.READINESS)
    async def readyz(request: Request) -> Response:
        store: Store | None = getattr(request.app.state, "store", None)
        store_ok = store is not None and await run_in_threadpool(store.ping)
        body = {
            "status": "ready" if store_ok else "not ready",
            "knowledge_version": knowledge.version,
            "store": "reachable" if store_ok else "unreachable",
        }
        return JsonResponse(body, status_code=200 if store_ok else 503)

    @app.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    titles = {rule.rule_id: rule.title for rule in knowledge.rules()}
    app.include_router(admin_router(lambda: app.state.store, settings, titles), responses=openapi.ADMIN_RESPONSES)
    openapi.describe_wire(app, [hook.value for hook in Hook])  # service ids are the hook names

    return app
