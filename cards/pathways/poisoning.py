"""Poisoning: toxicology and poison-centre advice; critical when recent (onset or record within 30 days, or an
ICD-10-CM 7th character "A", initial encounter).

Only poisoning is poisoning: T-codes for an adverse effect or underdosing never reach this pathway (the chart
reader drops them; see `injury_codes`). A differential diagnosis of poisoning fires nothing here; a provisional one
does, and the card says so."""

from __future__ import annotations

from datetime import timedelta

from .. import citations
from ..drafting import RuleInfo, draft_card
from ..facts import ChartFacts, CodedFact, unconfirmed_notes
from ..model import CardDraft, Suggestion
from ..suggestions import service_proposal
from ..terminology import ICD10CM, Concept, normalise_code
from ..thresholds import Limit

TOXICOLOGY = RuleInfo("poisoning.toxicology", "Poisoning with facial twitching")
RULES = (TOXICOLOGY,)

_SEVENTH_CHARACTER = 6


def is_initial_encounter(fact: CodedFact) -> bool:
    """ICD-10-CM injury/poisoning codes carry the encounter in the 7th character: A initial, D subsequent, S sequela."""
    for system, code in fact.codes:
        normalised = normalise_code(system, code)
        if system == ICD10CM and len(normalised) > _SEVENTH_CHARACTER and normalised[_SEVENTH_CHARACTER] == "A":
            return True
    return False


def is_recent(fact: CodedFact, facts: ChartFacts) -> bool:
    """Onset or recorded date within the recent window, or coded as the initial encounter."""
    since = facts.today - timedelta(days=facts.thresholds.whole(Limit.RECENT_ONSET_DAYS))
    return is_initial_encounter(fact) or any(day is not None and day >= since for day in (fact.onset, fact.recorded))


def evaluate(facts: ChartFacts) -> list[CardDraft]:
    poisoning = facts.conditions_in(Concept.POISONING)
    if not poisoning:
        return []
    recent = any(is_recent(fact, facts) for fact in poisoning)
    consult = service_proposal(
        facts.patient_id,
        text="Toxicology / poison centre consultation",
        reasons=[c.reference for c in poisoning],
        priority="urgent" if recent else "routine",
    )
    advice = (["Recent poisoning: assess now - airway, breathing, consciousness, seizures - and get toxicology "
               "advice today."] if recent else [])
    advice += [
        "Identify the substance, amount, time and route, and stop any ongoing exposure (workplace, home, "
        "medicines).",
        "Detoxification is specific to the poison (decontamination, antidote, enhanced elimination): follow "
        "toxicology or poison-centre advice (US Poison Help 1-800-222-1222); do not induce vomiting.",
        "Twitching can be a sign of continuing toxicity: recheck electrolytes and arrange follow-up until it settles.",
    ]
    return [
        draft_card(
            TOXICOLOGY,
            summary=("Recent poisoning with facial twitching: urgent toxicology / poison-centre advice" if recent
                     else "Poisoning on record with facial twitching: review exposure and toxicology follow-up"),
            indicator="critical" if recent else "warning",
            basis=[*(c.basis_row() for c in poisoning), *facts.twitching_rows()],
            basis_notes=[f"Recent = onset or record within {facts.thresholds.whole(Limit.RECENT_ONSET_DAYS)} days, or ICD-10-CM 7th character A "
                         "(initial encounter).",
                         "Poisoning only: ICD-10-CM T36-T50 codes for an adverse effect (6th character 5) or "
                         "underdosing (6) are not counted.",
                         *unconfirmed_notes(poisoning)],
            advice=advice,
            evidence="Management of poisoning is substance-specific; poison centres give free expert advice around "
                     "the clock. No trials address facial twitching in poisoning as such.",
            source=citations.POISON_HELP,
            suggestions=[Suggestion(key="toxicology-consult", label="Request toxicology / poison centre advice",
                                    resources=(consult,), is_recommended=recent)],
            handout_topic="poisoning",
        )
    ]
