"""How long feedback snoozes a rule for a patient: the alert-fatigue control, as one small value object.

A card the clinician accepted is not re-suggested for `accepted`; an overridden card is snoozed for the window of
its reason code. A reason with a zero window (`disagree`) is counted but snoozes nothing, and an override without
a reason, or with a code we do not know, snoozes nothing either: we only stay silent when told why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType

from .records import Outcome

DEFAULT_OVERRIDE_WINDOWS: Mapping[str, timedelta] = MappingProxyType(
    {
        "already-addressed": timedelta(days=30),
        "patient-declined": timedelta(days=90),
        "not-relevant": timedelta(days=180),
        "disagree": timedelta(0),
    }
)


@dataclass(frozen=True)
class SuppressionPolicy:
    accepted: timedelta = timedelta(days=30)
    override_reasons: Mapping[str, timedelta] = field(default_factory=lambda: DEFAULT_OVERRIDE_WINDOWS)

    def __post_init__(self) -> None:
        windows = {"accepted": self.accepted, **self.override_reasons}
        negative = sorted(name for name, window in windows.items() if window < timedelta(0))
        if negative:
            raise ValueError(f"suppression windows must not be negative: {', '.join(negative)}")
        object.__setattr__(self, "override_reasons", MappingProxyType(dict(self.override_reasons)))

    def window(self, outcome: Outcome, override_code: str | None) -> timedelta | None:
        """How long this feedback snoozes its rule, or None when it snoozes nothing."""
        if outcome == "accepted":
            window = self.accepted
        elif override_code is None:
            return None
        else:
            window = self.override_reasons.get(override_code, timedelta(0))
        return window if window > timedelta(0) else None
