"""The clinical knowledge as one object: value sets, thresholds, pathways, order checks and handouts.

Loaded and validated once at start-up (`load_knowledge`); every evaluation afterwards is a pure, fast function of
the chart and the date passed in (rules never read the clock).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path

from . import order_checks, pathways
from .chart_reader import read_chart
from .drafting import RuleInfo
from .facts import ChartFacts
from .site import Mode, SiteKnowledge, load_site
from .handout_library import Handout, load_handouts
from .knowledge_files import check_rule_references, load_override_reasons, load_thresholds, load_wording
from .thresholds import Thresholds
from .wording import Wording
from .model import CardDraft, ChartData, Evaluation, OrderContext, OverrideReason
from .terminology import Concept, Terminology, load_terminology

KNOWLEDGE_VERSION = "2026.11.0"

# Observation codes the rules read: the protocol layer turns them into a code-filtered prefetch.
OBSERVATION_CONCEPTS = (
    Concept.LAB_MAGNESIUM,
    Concept.LAB_POTASSIUM,
    Concept.LAB_SODIUM,
    Concept.LAB_CALCIUM_TOTAL,
    Concept.LAB_CALCIUM_ADJUSTED,
    Concept.LAB_CALCIUM_IONIZED,
    Concept.LAB_ALBUMIN,
    Concept.LAB_EGFR,
    Concept.PREGNANCY_TEST,
    Concept.FACIAL_TWITCHING,
)


KNOWLEDGE_DIR = Path(__file__).parent
# What the cards are made from: the rules (Python, for now), value sets and handouts.
_CONTENT_GLOBS = ("**/*.py", "knowledge/**/*.yaml", "valuesets/*.json", "handouts/*.html", "catalogue/*.json")


def content_hash(root: Path = KNOWLEDGE_DIR) -> str:
    """SHA-256 (first 12 hex digits) over every knowledge file's path and bytes: two deployments with the same
    release but edited content are told apart in discovery, on cards and in analytics."""
    digest = hashlib.sha256()
    files = sorted({path for pattern in _CONTENT_GLOBS for path in root.glob(pattern)})
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


class Knowledge:
    def __init__(self, terminology: Terminology, handouts: dict[str, Handout], thresholds: Thresholds,
                 wording: Wording, override_reasons: tuple[OverrideReason, ...], content: str = "",
                 site: SiteKnowledge | None = None) -> None:
        """`release` is the reviewed knowledge version; `version` adds the content hash and, when a site file
        changes anything, its digest (`2026.11.0+3f2a9c1e07b4.site-1a2b3c4d`): what discovery, cards, analytics and
        metrics carry. `site` holds each rule's mode and the site's own figures and sentences, applied on top of the
        shipped `thresholds` and `wording`."""
        self.release = terminology.version
        self.content_hash = content
        self.site = site or SiteKnowledge()
        self.version = (f"{self.release}+{content}" if content else self.release) + \
            (f".site-{self.site.digest}" if self.site.digest else "")
        self.shipped_thresholds = thresholds
        self.thresholds = thresholds.with_overrides(self.site.thresholds)
        self.shipped_wording = wording
        self.wording = wording.with_overrides(self.site.wording)
        self.override_reasons = override_reasons
        check_rule_references(thresholds, wording, (rule.rule_id for rule in self.rules()))
        self._terminology = terminology
        self._handouts = handouts
        self._observation_codings = terminology.listed_codings(OBSERVATION_CONCEPTS)

    def observation_codings(self) -> tuple[tuple[str, str], ...]:
        """(system, code) of every Observation code the rules use (labs, eGFR, albumin, pregnancy, twitching)."""
        return self._observation_codings

    def _facts(self, chart: ChartData, evaluation: Evaluation, today: date, lab_recency_days: int) -> ChartFacts | None:
        return read_chart(chart, self._terminology, today=today, lab_recency_days=lab_recency_days,
                          thresholds=self.thresholds, wording=self.wording, skipped=evaluation.skipped_resources)

    def evaluate_patient_view(self, chart: ChartData, *, today: date, lab_recency_days: int = 90) -> Evaluation:
        """Cards for a patient with documented facial twitching; anyone else gets none."""
        evaluation = Evaluation()
        facts = self._facts(chart, evaluation, today, lab_recency_days)
        if facts is not None:
            self._sort_by_mode(evaluation, pathways.evaluate(facts))
        return evaluation

    def evaluate_orders(
        self, chart: ChartData, orders: OrderContext, *, today: date, lab_recency_days: int = 90
    ) -> Evaluation:
        """Order-check cards only, for the orders under review of a patient with documented facial twitching."""
        evaluation = Evaluation()
        facts = self._facts(chart, evaluation, today, lab_recency_days)
        if facts is not None:
            under_review = order_checks.read_orders(orders, chart, self._terminology)
            if under_review.checked:
                self._sort_by_mode(evaluation, order_checks.evaluate(facts, under_review))
        return evaluation

    def _sort_by_mode(self, evaluation: Evaluation, drafts: list[CardDraft]) -> None:
        """Active rules' cards are returned, silent ones only recorded ("would have fired"), off ones dropped.
        Every card offers the same override reasons."""
        for draft in drafts:
            mode = self.site.mode(draft.rule_id)
            if mode is not Mode.OFF:
                offered = replace(draft, override_reasons=self.override_reasons)
                (evaluation.cards if mode is Mode.ACTIVE else evaluation.silent).append(offered)

    def with_site(self, site: SiteKnowledge) -> Knowledge:
        """The same knowledge with the site's rule modes and figures."""
        return Knowledge(self._terminology, self._handouts, self.shipped_thresholds, self.shipped_wording,
                         self.override_reasons, self.content_hash, site)

    def load_site(self, path: Path | None) -> Knowledge:
        """`with_site` for the site file at `path`, checked against these rules (`SiteKnowledgeError` if bad)."""
        return self.with_site(load_site(path, self.rules(), self.shipped_thresholds, self.shipped_wording))

    def rules(self) -> tuple[RuleInfo, ...]:
        """Every rule that can fire, patient-view pathways first, then order checks."""
        return (*pathways.RULES, *order_checks.RULES)

    def order_rules(self) -> tuple[RuleInfo, ...]:
        """The order checks (order-select and order-sign)."""
        return order_checks.RULES

    def listed_codings(self, concepts: Iterable[Concept]) -> tuple[tuple[str, str], ...]:
        """(system, code) listed in these value sets, for the catalogue."""
        return self._terminology.listed_codings(concepts)

    def display(self, system: str, code: str) -> str | None:
        """The reviewed display of a listed code."""
        return self._terminology.display(system, code)

    def handout(self, topic: str) -> Handout | None:
        return self._handouts.get(topic)

    def handout_topics(self) -> tuple[str, ...]:
        return tuple(sorted(self._handouts))


@cache
def load_knowledge() -> Knowledge:
    """The knowledge, validated once per process (value sets as FHIR ValueSets, handouts as safe HTML)."""
    return Knowledge(load_terminology(version=KNOWLEDGE_VERSION), load_handouts(), load_thresholds(), load_wording(),
                     load_override_reasons(), content_hash())
