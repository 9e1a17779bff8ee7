"""The shapes that cross the boundary between clinical knowledge and the protocol layer.

`cards` receives a patient's raw FHIR R4 JSON (`ChartData`, `OrderContext`) and returns `CardDraft`s: everything a
clinician should read, without anything CDS Hooks specific (uuids, absolute URLs and JSON shapes are added by
`cds_hooks`). Keeping these plain frozen dataclasses lets every pathway be a pure function that is trivial to test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Indicator = Literal["info", "warning", "critical"]
SelectionBehavior = Literal["at-most-one", "any"]
FhirJson = Mapping[str, Any]


@dataclass(frozen=True)
class ChartData:
    """Raw FHIR R4 resources the protocol layer gathered for one patient (prefetch or fallback fetch).

    Lists hold resources, not Bundles. `None` for `patient` means the Patient could not be obtained;
    `patient_id` (from the hook context) is always known and is what suggested resources refer to.
    `medication_products` holds the Medication resources that requests, statements and draft orders may refer to,
    by every address they may be referred to by (`Medication/id`, a Bundle entry's `fullUrl`).
    """

    patient_id: str
    patient: FhirJson | None = None
    observations: Sequence[FhirJson] = ()
    conditions: Sequence[FhirJson] = ()
    medication_requests: Sequence[FhirJson] = ()
    medication_statements: Sequence[FhirJson] = ()
    medication_products: Mapping[str, FhirJson] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderContext:
    """The orders an order-select or order-sign hook is about.

    `draft_orders` are the resources of `context.draftOrders`; `selections` are `Type/id` references
    (order-select). An empty `selections` means every draft order is under review (order-sign).
    """

    draft_orders: Sequence[FhirJson] = ()
    selections: Sequence[str] = ()


@dataclass(frozen=True)
class Citation:
    """A source a clinician can open to judge the advice independently."""

    label: str
    url: str


@dataclass(frozen=True)
class Suggestion:
    """One thing the clinician can accept with a click.

    `resources` are complete FHIR R4 resources (JSON) to create together, valid per `fhir.resources` R4B.
    `removals` are relative references (`MedicationRequest/id`) of draft orders under review to remove.
    Knowledge's suggestions create, remove, or both (tests/cards/test_card_contract.py holds them to that).
    `key` is stable per rule and suggestion, so feedback on "accepted" suggestions can be traced back.
    """

    key: str
    label: str
    resources: tuple[FhirJson, ...] = ()
    removals: tuple[str, ...] = ()
    is_recommended: bool = False


@dataclass(frozen=True)
class OverrideReason:
    """A coded reason a clinician may give for dismissing a card, and the days it snoozes the rule for that patient
    by default (feedback-based suppression)."""

    code: str
    display: str
    snooze_days: int = 0


@dataclass(frozen=True)
class CardDraft:
    """A card as clinical knowledge states it.

    `rule_id` is stable and names the rule that fired (e.g. ``electrolyte.magnesium.low``); suppression and
    analytics key on it. `detail` is GitHub-flavoured Markdown: the basis (values, units, dates, reference ranges,
    source resources), the advice, the evidence strength and the citations. `handout_topic` names a page in
    `cards.handouts`; `guideline` is the primary cited source, also offered as a link.
    """

    rule_id: str
    title: str
    summary: str
    indicator: Indicator
    detail: str
    source: Citation
    guideline: Citation | None = None
    suggestions: tuple[Suggestion, ...] = ()
    selection_behavior: SelectionBehavior = "at-most-one"
    override_reasons: tuple[OverrideReason, ...] = ()
    handout_topic: str | None = None


@dataclass
class Evaluation:
    """What knowledge made of one request: the cards, plus what it had to skip (for logs, never for PHI)."""

    cards: list[CardDraft] = field(default_factory=list)
    skipped_resources: Counter[str] = field(default_factory=Counter)
    silent: list[CardDraft] = field(default_factory=list)  # from rules in silent mode: recorded, never returned
