"""What the hardening tests tried, counted across the session and printed at its end (see `conftest`).

Counting is evidence, not decoration: "zero 5xx" means more when it says out of how many inputs.
"""

from __future__ import annotations

from collections import Counter

INPUTS = "fuzzed inputs sent"
FAULTS = "FHIR server faults injected"
ATTACKS_TRIED = "token attacks tried"
ATTACKS_REFUSED = "token attacks refused (401)"
FEEDBACK_ACKED = "feedback items acknowledged before a crash"
FEEDBACK_FOUND = "acknowledged feedback items found after restart"
LOG_LINES = "log lines scanned for secrets"
BOMBS_REFUSED = "compression bombs refused unread"
BOMB_BYTES_REFUSED = "compression-bomb bytes refused (wire size)"
AUDIENCE_ATTACKS = "audience and Host/forwarded-header attacks refused"
TENANT_ATTACKS = "cross-tenant feedback attempts without effect"
CARDINALITY_PROBES = "unknown-path requests that added no metric series"
HEADER_ATTACKS = "oversized or stalled request heads closed"
IDLE_CONNECTIONS = "idle or half-sent connections dropped"
BODIES_UNREAD = "anonymous bodies refused unread"
FEEDBACK_FLOODS = "oversized or contended feedback posts answered 413/503"
LONG_STRINGS = "over-long strings refused at parse"
PRIVATE_FILES = "data files checked private (0600/0700)"
OUTBOUND_REFUSED = "non-allowlisted fhirServer calls refused (403) before any connection"
OUTBOUND_PREFETCHED = "fully prefetched calls with a hostile fhirServer answered without contacting it"

TALLY: Counter[str] = Counter()


def count(what: str, n: int = 1) -> None:
    TALLY[what] += n
