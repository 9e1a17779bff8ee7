"""Where issued cards, feedback, suppressions and seen JWT ids live: SQLite by default, PostgreSQL when shared.

The public surface is here; `store` documents the behaviour a caller relies on.
"""

from .analytics import UNSPECIFIED_REASON, Analytics, Counts
from .hashing import keyed_hash
from .policy import SuppressionPolicy
from .records import FeedbackRecord, FeedbackResult, IssuedCard, Purged, SuppressedCard, Suppression
from .recorder import IssuedCardRecorder
from .store import Store

__all__ = [
    "UNSPECIFIED_REASON",
    "Analytics",
    "Counts",
    "FeedbackRecord",
    "FeedbackResult",
    "IssuedCard",
    "IssuedCardRecorder",
    "Purged",
    "Store",
    "SuppressedCard",
    "Suppression",
    "SuppressionPolicy",
    "keyed_hash",
]
