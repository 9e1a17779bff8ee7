"""How long feedback snoozes a rule for a patient: the alert-fatigue control, as one small value object.

- An accepted suggestion: the rule is not re-suggested for `accepted` (30 days).
- An override with a coded reason: snoozed for that reason's window; a zero window (`disagree`) and a code we
  never offered are counted but snooze nothing.
- A plain dismissal (an override without a coded reason, what the sandbox's "Dismiss" sends): snoozed briefly, so
  the same card does not come straight back on the next hook call for that patient. By default until the next UTC
  midnight after the feedback ("the rest of the day"); with `dismissed` set, for that fixed window instead (zero:
  snooze nothing). UTC because the service does not know the clinician's time zone, and a fixed hour-count would
  make a dismissal at 23:55 outlast one at 08:00.

A snooze never hides a critical card or one more severe than the card that was dismissed: `feedback_loop.screen`
shows those anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from types import MappingProxyType

from .records import Outcome

DISMISSED = "dismissed"
"""The snooze reason recorded for a plain dismissal (an override without a coded reason)."""


def next_utc_midnight(moment: datetime) -> datetime:
    """The first UTC midnight strictly after `moment` (a dismissal at 00:00:00 lasts the whole day)."""
    day = moment.astimezone(UTC).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class SuppressionPolicy:
    accepted: timedelta = timedelta(days=30)
    # By reason code; the service fills it from the knowledge's override reasons (`feedback_loop.suppression_policy`).
    override_reasons: Mapping[str, timedelta] = field(default_factory=lambda: MappingProxyType({}))
    dismissed: timedelta | None = None  # None: until the next UTC midnight

    def __post_init__(self) -> None:
        windows = {"accepted": self.accepted, **self.override_reasons}
        if self.dismissed is not None:
            windows[DISMISSED] = self.dismissed
        negative = sorted(name for name, window in windows.items() if window < timedelta(0))
        if negative:
            raise ValueError(f"suppression windows must not be negative: {', '.join(negative)}")
        object.__setattr__(self, "override_reasons", MappingProxyType(dict(self.override_reasons)))

    def until(self, outcome: Outcome, override_code: str | None, start: datetime) -> datetime | None:
        """When the snooze this feedback starts at `start` ends, or None when it snoozes nothing."""
        if outcome == "overridden" and override_code is None:
            end = next_utc_midnight(start) if self.dismissed is None else start + self.dismissed
        elif outcome == "accepted":
            end = start + self.accepted
        else:
            end = start + self.override_reasons.get(override_code or "", timedelta(0))
        return end if end > start else None

    @staticmethod
    def reason(outcome: Outcome, override_code: str | None) -> str:
        """The reason a snooze is recorded (and shown) with."""
        if outcome == "accepted":
            return "accepted"
        return override_code if override_code is not None else DISMISSED
