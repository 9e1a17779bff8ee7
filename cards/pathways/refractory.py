"""Refractory twitching: botulinum toxin when twitching has lasted 90 days or more and neither an electrolyte problem
(nor a missing panel) nor poisoning offers a treatable cause first. Evidence is stated per indication."""

from __future__ import annotations

from datetime import timedelta

from .. import citations
from ..drafting import RuleInfo, draft_card
from ..facts import ChartFacts
from ..markdown import escape_markdown
from ..model import CardDraft, Suggestion
from ..suggestions import service_proposal
from ..terminology import Concept
from ..thresholds import Limit
from . import electrolytes

BOTULINUM_TOXIN = RuleInfo("refractory.botulinum-toxin", "Persistent facial twitching: consider botulinum toxin")
RULES = (BOTULINUM_TOXIN,)

_SHARED = "shared.botulinum"
EVIDENCE_BY_KIND = (
    (Concept.BLEPHAROSPASM, "evidence.blepharospasm"),
    (Concept.HEMIFACIAL_SPASM, "evidence.hemifacial-spasm"),
    (Concept.FACIAL_MYOKYMIA, "evidence.facial-myokymia"),
    (Concept.EYELID_TWITCHING, "evidence.eyelid-twitching"),
    (Concept.FACIAL_SPASM, "evidence.facial-spasm"),
    (Concept.TIC, "evidence.tic"),
)


def botulinum_age_limits(facts: ChartFacts) -> str:
    """The licensed ages, stated on every botulinum-toxin card."""
    youngest = facts.thresholds.whole(Limit.BOTULINUM_MIN_AGE_YEARS)
    return facts.wording.rule(_SHARED)("age-limits", youngest=str(youngest))


def below_botulinum_age(facts: ChartFacts) -> str:
    """A caution when the recorded age is below every licensed age; "" otherwise (an unknown age is stated in
    the age limits every card carries)."""
    age, youngest = facts.demographics.age_years, facts.thresholds.whole(Limit.BOTULINUM_MIN_AGE_YEARS)
    if age is None or age >= youngest:
        return ""
    return facts.wording.rule(_SHARED)("below-age", age=str(age), youngest=str(youngest))


def evaluate(facts: ChartFacts) -> list[CardDraft]:
    after_days = facts.thresholds.whole(Limit.REFRACTORY_AFTER_DAYS)
    cutoff = facts.today - timedelta(days=after_days)
    persisting = [f for f in facts.twitching
                  if f.reference.startswith("Condition/") and f.documented_since and f.documented_since <= cutoff]
    if (not persisting or electrolytes.low_electrolytes(facts) or electrolytes.panel_missing(facts)
            or facts.conditions_in(Concept.POISONING)):
        return []
    say = facts.wording.rule(BOTULINUM_TOXIN.rule_id)
    kinds = {concept for fact in persisting for concept in fact.concepts}
    evidence = " ".join(say(key) for kind, key in EVIDENCE_BY_KIND if kind in kinds)
    nmj = facts.conditions_in(Concept.NMJ_DISORDER)
    cautions = []
    if nmj:
        cautions.append(say("caution.nmj", conditions="; ".join(escape_markdown(c.label) for c in nmj)))
    if facts.is_pregnant:
        cautions.append(say("caution.pregnancy"))
    if child := below_botulinum_age(facts):
        cautions.append(child)
    hemifacial = Concept.HEMIFACIAL_SPASM in kinds
    advice = [*cautions]
    if hemifacial:
        advice.append(say("advice.hemifacial-mri"))
    advice += [say("advice.consider", days=str(after_days)), say("advice.contraindications"),
               say("advice.boxed-warning"), botulinum_age_limits(facts)]
    reasons = [f.reference for f in persisting]
    suggestions = [Suggestion(
        key="botulinum-assessment",
        label=say("suggestion.assessment"),
        resources=(service_proposal(facts.patient_id, reasons=reasons, text=say("referral.assessment")),),
        is_recommended=not hemifacial and not child,
    )]
    if hemifacial:
        suggestions.insert(0, Suggestion(
            key="mri-brain",
            label=say("suggestion.mri"),
            resources=(service_proposal(facts.patient_id, reasons=reasons, text=say("referral.mri")),),
            is_recommended=True,
        ))
    earliest = min(f.documented_since for f in persisting if f.documented_since)
    return [
        draft_card(
            BOTULINUM_TOXIN,
            summary=say("summary", since=earliest.isoformat()),
            indicator="warning" if cautions else "info",
            basis=[*(f.basis_row() for f in persisting), facts.demographics.basis_row(), *(c.basis_row() for c in nmj),
                   *facts.pregnancy,
                   *(lab.basis_row() for lab in facts.labs.values())],
            basis_notes=[say("basis-note", days=str(after_days))],
            advice=advice,
            evidence=evidence,
            source=citations.AAN_2016_BOTULINUM,
            further_reading=(citations.AAN_2008_BOTULINUM, citations.AAN_2019_TICS, citations.OPENFDA_LABELS,
                             citations.DUODECIM_MYOKYMIA),
            suggestions=suggestions,
            handout_topic="botulinum-toxin",
        )
    ]
