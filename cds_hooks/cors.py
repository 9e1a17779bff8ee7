"""Which request headers a browser-based EHR may send us, as answered to its CORS preflight.

Starlette answers 400 to a preflight asking for any header outside the list, and browser EHRs routinely add request
ids and tracing headers. None of these carries credentials or changes what we do (we never read them), so allowing
them is harmless; anything not listed is still refused.
"""

from __future__ import annotations

CORS_ALLOWED_HEADERS: tuple[str, ...] = (
    "Accept",
    "Accept-Language",
    "Authorization",
    "Content-Type",
    # request ids and correlation
    "X-Request-Id",
    "X-Correlation-Id",
    "X-Requested-With",
    # W3C trace context and common tracers
    "traceparent",
    "tracestate",
    "baggage",
    "X-B3-TraceId",
    "X-B3-SpanId",
    "X-B3-ParentSpanId",
    "X-B3-Sampled",
    "b3",
    # EHR vendors' client identification
    "Epic-Client-ID",
    "Epic-User-ID",
    "Epic-User-IDType",
)
