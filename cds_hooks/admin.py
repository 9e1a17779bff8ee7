"""Analytics for the people who tune the rules: JSON at `/analytics`, an HTML dashboard at `/dashboard`.

Both show rule ids, service ids, dates and counts only: no PHI. They are guarded by an admin bearer token
(`FTCDS_ADMIN_TOKEN`, compared in constant time). Without a token they are open in the development profile and
refused (403) in production, so a production deployment is never open by accident.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .dashboard import render_dashboard
from .errors import BadRequest, Detail, Forbidden, NotAuthenticated
from .settings import Settings
from .store import Analytics, Counts, Store

DEFAULT_DAYS = 30
MAX_DAYS = 366
DASHBOARD_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}

_bearer = HTTPBearer(auto_error=False, description="FTCDS_ADMIN_TOKEN")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def admin_router(store_provider: Callable[[], Store], settings: Settings,
                 titles: Mapping[str, str] | None = None) -> APIRouter:
    """`GET /analytics` and `GET /dashboard`; the store is looked up per request (it exists once the app started)."""
    router = APIRouter(tags=["admin"], dependencies=[Depends(_admin_guard(settings))])

    @router.get("/analytics", summary="Card outcomes per rule (and knowledge version), service and day (JSON)")
    def analytics(start: date | None = None, end: date | None = None, service: str | None = None) -> dict[str, Any]:
        return _analytics_json(_load(store_provider(), start, end, service))

    @router.get("/dashboard", response_class=HTMLResponse, summary="Card outcomes as an HTML page with charts")
    def dashboard(start: date | None = None, end: date | None = None, service: str | None = None) -> HTMLResponse:
        page = render_dashboard(_load(store_provider(), start, end, service), titles)
        return HTMLResponse(page, headers=DASHBOARD_HEADERS)

    return router


def _admin_guard(settings: Settings) -> Callable[[HTTPAuthorizationCredentials | None], None]:
    secret = settings.admin_token.get_secret_value() if settings.admin_token else ""
    expected = secret.encode()

    def guard(credentials: Credentials) -> None:
        if not expected:
            if settings.is_development:
                return
            raise Forbidden("analytics are disabled in production until FTCDS_ADMIN_TOKEN is set")
        given = credentials.credentials.encode() if credentials and credentials.scheme.lower() == "bearer" else b""
        if not hmac.compare_digest(given, expected):
            raise NotAuthenticated("admin bearer token required")

    return guard


def _load(store: Store, start: date | None, end: date | None, service: str | None) -> Analytics:
    """Analytics for the requested days; by default the last 30 days up to today (UTC)."""
    end = end or store.now().date()
    if not date.min + timedelta(days=DEFAULT_DAYS) <= end < date.max:
        # The date arithmetic below and in the store would overflow.
        raise BadRequest("end is out of range", details=[Detail("out of range", "end")])
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise BadRequest("start must not be after end", details=[Detail("after end", "start")])
    if (end - start).days >= MAX_DAYS:
        raise BadRequest(f"at most {MAX_DAYS} days at a time")
    return store.analytics(start, end, service or None)


def _analytics_json(analytics: Analytics) -> dict[str, Any]:
    body: dict[str, Any] = {"start": analytics.start.isoformat(), "end": analytics.end.isoformat()}
    if analytics.service_id is not None:
        body["service"] = analytics.service_id
    body["total"] = _counts_json(analytics.total)
    body["by_rule"] = [
        {"rule_id": rule, **_counts_json(c),
         "by_knowledge_version": _by_version_json(analytics.by_rule_and_version.get(rule, {}))}
        for rule, c in analytics.by_rule.items()
    ]
    body["by_service"] = [{"service_id": service, **_counts_json(c)} for service, c in analytics.by_service.items()]
    body["by_day"] = [{"date": day.isoformat(), **_counts_json(c)} for day, c in analytics.by_day.items()]
    body["by_knowledge_version"] = _by_version_json(analytics.by_knowledge_version)
    body["accepted_by_suggestion"] = [{"suggestion": key, "accepted": n}
                                      for key, n in analytics.accepted_by_suggestion.items()]
    return body


def _by_version_json(by_version: Mapping[str, Counts]) -> list[dict[str, Any]]:
    return [{"knowledge_version": version, **_counts_json(c)} for version, c in by_version.items()]


def _counts_json(counts: Counts) -> dict[str, Any]:
    """Counts as JSON; `acceptance_rate` only when there was feedback (never null)."""
    body: dict[str, Any] = {
        "issued": counts.issued,
        "accepted": counts.accepted,
        "overridden": counts.overridden,
        "overridden_by_reason": dict(sorted(counts.overridden_by_reason.items())),
        "suppressed": counts.suppressed,
        "silent": counts.silent,
        "unknown_suggestion": counts.unknown_suggestion,
    }
    if counts.acceptance_rate is not None:
        body["acceptance_rate"] = round(counts.acceptance_rate, 4)
    return body
