"""Clinical knowledge for facial twitching: pure functions from a patient's FHIR chart to card drafts.

The protocol layer (`cds_hooks`) uses exactly this surface; nothing here knows about HTTP or CDS Hooks JSON.
"""

from .drafting import RuleInfo
from .handout_library import Handout
from .knowledge import Knowledge, load_knowledge
from .model import (
    CardDraft,
    ChartData,
    Citation,
    Evaluation,
    FhirJson,
    Indicator,
    OrderContext,
    OverrideReason,
    SelectionBehavior,
    Suggestion,
)

__all__ = [
    "CardDraft",
    "ChartData",
    "Citation",
    "Evaluation",
    "FhirJson",
    "Handout",
    "Indicator",
    "Knowledge",
    "OrderContext",
    "OverrideReason",
    "RuleInfo",
    "SelectionBehavior",
    "Suggestion",
    "load_knowledge",
]
