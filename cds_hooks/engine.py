"""One hook call from raw bytes to CDS Hooks cards, independent of HTTP.

The FastAPI routes and the `evaluate` CLI both drive this class, so a request behaves the same in a test, on the
command line and in production. Stages are timed for the request log: parse, prefetch (incl. fetch), evaluate,
render.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from pydantic import ValidationError

from cards import Evaluation, Knowledge, OrderContext

from .errors import BadRequest, Detail, PayloadTooLarge, UnknownService
from .feedback_loop import FeedbackLoop, NoFeedback, Tenant
from .fhir_client import FhirFetcher
from .json_limits import parse_json_object
from .models import CONTEXT_MODELS, CardsResponse, DiscoveryResponse, Hook, HookRequest, PatientContext
from .outbound import FhirServerAllowlist
from .outcomes import Stage, Timings
from .prefetch import Outbound, ResolvedPrefetch, resolve_prefetch
from .security import VerifiedToken
from .response import render_card
from .services import CdsService, build_services
from .settings import Settings

log = logging.getLogger(__name__)

_HEADER_SAFE_TOKEN = re.compile(r"[\x21-\x7e]+")


def validation_messages(error: ValidationError, prefix: str = "") -> list[Detail]:
    """Pydantic errors as short, safe sentences, each with the path of its field as the issue's `expression`
    (input values are never echoed)."""
    details = []
    for item in error.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
        details.append(Detail(item["msg"], location or None))
    return details


@dataclass
class HookCall:
    """A parsed, validated hook request for one service."""

    service: CdsService
    request: HookRequest
    context: PatientContext


@dataclass
class HookResult:
    response: CardsResponse
    rule_ids: list[str]
    held_back: list[str]
    prefetch: ResolvedPrefetch
    evaluation: Evaluation
    timings: Timings = field(default_factory=Timings)


def _draft_order_entries(context: PatientContext) -> list[Any]:
    bundle = getattr(context, "draftOrders", None) or {}
    return bundle.get("entry") or []


def _draft_orders(context: PatientContext) -> list[dict[str, Any]]:
    entries = _draft_order_entries(context)
    return [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]


class CdsEngine:
    def __init__(
        self,
        settings: Settings,
        knowledge: Knowledge,
        fetcher: FhirFetcher,
        today: Callable[[], date] | date | None = None,
        loop: FeedbackLoop | NoFeedback | None = None,
    ) -> None:
        """`today` pins the clinical "today" (a date, or a callable for tests); by default the real date.

        Without a feedback `loop` (the CLI) nothing is suppressed or recorded.
        """
        self.settings = settings
        self.loop = loop or NoFeedback()
        self.knowledge = knowledge
        self.fetcher = fetcher
        self.today: Callable[[], date] = (lambda: today) if isinstance(today, date) else today or date.today
        self.services = build_services(knowledge)
        self._open_outbound = Outbound(FhirServerAllowlist(settings.fhir_servers or ()), None)
        self._issuer_outbound = {
            issuer.iss: Outbound(FhirServerAllowlist(issuer.fhir_servers), issuer.iss)
            for issuer in settings.trusted_issuers
        }
        self._discovery = DiscoveryResponse(services=[s.definition() for s in self.services.values()])

    @classmethod
    def create(
        cls,
        settings: Settings,
        knowledge: Knowledge,
        http: httpx.AsyncClient,
        *,
        today: Callable[[], date] | date | None = None,
        loop: FeedbackLoop | None = None,
    ) -> CdsEngine:
        """The engine with its FHIR fetcher on `http`: the one way the server and the CLI build it."""
        return cls(settings, knowledge, FhirFetcher.from_settings(http, settings), today=today, loop=loop)

    def discovery(self) -> DiscoveryResponse:
        return self._discovery

    def service(self, service_id: str) -> CdsService:
        try:
            return self.services[service_id]
        except KeyError:
            raise UnknownService(f"no CDS service with id {service_id!r}") from None

    def parse(self, service: CdsService, body: bytes) -> HookCall:
        """Validate a request body for `service`; every problem becomes a `BadRequest` naming the field."""
        data = parse_json_object(
            body, max_depth=self.settings.max_json_depth, max_string_chars=self.settings.max_json_string_chars,
            skim_resources=True,
        )
        try:
            request = HookRequest.model_validate(data)
        except ValidationError as exc:
            raise BadRequest("invalid CDS Hooks request", details=validation_messages(exc)) from None
        if request.hook != service.hook:
            raise BadRequest(f"service {service.id!r} handles hook {service.hook!r}, not {request.hook!r}")
        if request.fhirAuthorization and not _HEADER_SAFE_TOKEN.fullmatch(request.fhirAuthorization.access_token):
            # It would go into an HTTP header: no spaces, no line breaks, nothing but printable ASCII.
            raise BadRequest("fhirAuthorization.access_token cannot be sent as a bearer token")
        if request.fhirAuthorization and (lacking := request.fhirAuthorization.spec_deviations()):
            log.info("fhirAuthorization lacks required fields", extra={"fields": {"missing": lacking}})
        try:
            context = CONTEXT_MODELS[service.hook].model_validate(request.context)
        except ValidationError as exc:
            raise BadRequest(f"invalid context for {service.hook}", details=validation_messages(exc, "context")) from None
        if len(_draft_order_entries(context)) > self.settings.fetch_max_entries:
            # Refused rather than cut short: an order left out would silently escape the safety checks.
            raise PayloadTooLarge(f"draftOrders holds more than {self.settings.fetch_max_entries} entries")
        return HookCall(service, request, context)

    def fetch_timeout(self, started: float) -> float:
        """Seconds the fallback fetch may take: its own limit, cut to what is left of the request budget."""
        remaining = self.settings.request_budget_ms / 1000 - (time.perf_counter() - started)
        return max(0.0, min(self.settings.fetch_timeout_ms / 1000, remaining))

    def outbound(self, caller: VerifiedToken | None) -> Outbound:
        """Where fallback fetches for `caller` may go: its issuer's `fhir_servers`; without a verified caller
        (authentication off, the CLI) the top-level `fhir_servers`. An issuer we do not know allows none."""
        if caller is None:
            return self._open_outbound
        return self._issuer_outbound.get(caller.issuer, Outbound(FhirServerAllowlist(()), caller.issuer))

    async def run(
        self, call: HookCall, *, base_url: str, started: float | None = None, caller: VerifiedToken | None = None
    ) -> HookResult:
        """Evaluate a parsed call; `started` (a `time.perf_counter()` value) is when the request arrived; `caller`
        the verified token (None when authentication is off), whose issuer decides where fetches may go."""
        timings = Timings()
        with timings.measure(Stage.PREFETCH):
            resolved = await resolve_prefetch(
                call.request,
                call.service.prefetch,
                self.fetcher,
                outbound=self.outbound(caller),
                timeout_s=self.fetch_timeout(started if started is not None else time.perf_counter()),
                max_entries=self.settings.fetch_max_entries,
            )
        with timings.measure(Stage.EVALUATE):
            evaluation = self._evaluate(call, resolved)
        issuer = caller.issuer if caller is not None else None
        fhir_server = str(call.request.fhirServer).rstrip("/") if call.request.fhirServer else None
        tenant = Tenant(issuer, fhir_server)
        patient_key = self.loop.key(call.context.patientId, tenant)
        with timings.measure(Stage.SUPPRESS):
            screened = await self.loop.screen(patient_key, evaluation.cards)
        drafts, held_back = screened.shown, screened.held_back
        with timings.measure(Stage.RENDER):
            rendered = [
                (draft, render_card(draft, knowledge_version=self.knowledge.version, base_url=base_url))
                for draft in drafts
            ]
        self.loop.remember(
            service_id=call.service.id,
            hook_instance=call.request.hookInstance,
            patient_key=patient_key,
            user_key=self.loop.key(call.context.userId, tenant),
            issuer=issuer,
            cards=rendered,
            held_back=held_back,
            silent=[draft.rule_id for draft in evaluation.silent],
        )
        return HookResult(
            response=CardsResponse(cards=[card for _, card in rendered]),
            rule_ids=[draft.rule_id for draft in drafts],
            held_back=held_back,
            prefetch=resolved,
            evaluation=evaluation,
            timings=timings,
        )

    def _evaluate(self, call: HookCall, resolved: ResolvedPrefetch) -> Evaluation:
        today = self.today()
        recency = self.settings.lab_recency_days
        if call.service.hook is Hook.PATIENT_VIEW:
            return self.knowledge.evaluate_patient_view(resolved.chart, today=today, lab_recency_days=recency)
        orders = OrderContext(
            draft_orders=_draft_orders(call.context),
            selections=tuple(getattr(call.context, "selections", ()) or ()),
        )
        return self.knowledge.evaluate_orders(resolved.chart, orders, today=today, lab_recency_days=recency)
