"""How hard the hardening tests push: a quick pass in `make test`, a deep one in `make fuzz` (`FTCDS_FUZZ=deep`)."""

from __future__ import annotations

import os

DEEP = os.environ.get("FTCDS_FUZZ", "quick") == "deep"


def examples(quick: int, deep: int) -> int:
    """Hypothesis examples per property: `quick` for every test run, `deep` for `make fuzz`."""
    return deep if DEEP else quick
