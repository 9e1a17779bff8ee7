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

TALLY: Counter[str] = Counter()


def count(what: str, n: int = 1) -> None:
    TALLY[what] += n
