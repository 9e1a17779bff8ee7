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
    say = facts.wording.rule(TOXICOLOGY.rule_id)
    recent = any(is_recent(fact, facts) for fact in poisoning)
    consult = service_proposal(facts.patient_id, text=say("consultation"), reasons=[c.reference for c in poisoning],
                               priority="urgent" if recent else "routine")
    advice = [say("advice.recent")] if recent else []
    advice += [say("advice.exposure"), say("advice.detoxification"), say("advice.follow-up")]
    return [
        draft_card(
            TOXICOLOGY,
            summary=say("summary.recent" if recent else "summary.on-record"),
            indicator="critical" if recent else "warning",
            basis=[*(c.basis_row() for c in poisoning), *facts.twitching_rows()],
            basis_notes=[say("basis-note.recent", days=str(facts.thresholds.whole(Limit.RECENT_ONSET_DAYS))),
                         say("basis-note.poisoning-only"), *unconfirmed_notes(poisoning)],
            advice=advice,
            evidence=say("evidence"),
            source=citations.POISON_HELP,
            suggestions=[Suggestion(key="toxicology-consult", label=say("suggestion"), resources=(consult,),
                                    is_recommended=recent)],
            handout_topic="poisoning",
        )
    ]
