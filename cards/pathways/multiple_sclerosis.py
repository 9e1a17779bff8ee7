"""Multiple sclerosis: relapse steroids after excluding infection, disease-modifying treatment via neurology, and
MRI when the twitching is facial myokymia (continuous facial myokymia in MS points to a brainstem lesion).
A differential diagnosis of MS triggers no card; a provisional one does, and the card says so."""

from __future__ import annotations

from .. import citations
from ..drafting import RuleInfo, draft_card
from ..facts import ChartFacts, unconfirmed_notes
from ..model import CardDraft, Suggestion
from ..suggestions import service_proposal
from ..terminology import Concept

MS_MANAGEMENT = RuleInfo("ms.management", "Multiple sclerosis with facial twitching")
RULES = (MS_MANAGEMENT,)


def evaluate(facts: ChartFacts) -> list[CardDraft]:
    ms = facts.conditions_in(Concept.MULTIPLE_SCLEROSIS)
    if not ms:
        return []
    say = facts.wording.rule(MS_MANAGEMENT.rule_id)
    myokymia = facts.twitching_of(Concept.FACIAL_MYOKYMIA)
    reasons = [c.reference for c in (*ms, *myokymia)]
    suggestions = [Suggestion(
        key="neurology-referral",
        label=say("suggestion.neurology-referral"),
        resources=(service_proposal(facts.patient_id, text=say("proposal.neurology-referral"), reasons=reasons),),
    )]
    advice = []
    if myokymia:
        advice.append(say("advice.myokymia-mri"))
        suggestions.insert(0, Suggestion(
            key="mri-brain",
            label=say("suggestion.mri-brain"),
            resources=(service_proposal(facts.patient_id, text=say("proposal.mri-brain"), reasons=reasons),),
            is_recommended=True,
        ))
    relapse = (say("advice.relapse.child", age=str(facts.demographics.age_years)) if facts.demographics.is_child
               else say("advice.relapse"))
    advice += [relapse, say("advice.steroids"), say("advice.dmt")]
    return [
        draft_card(
            MS_MANAGEMENT,
            summary=say("summary.myokymia") if myokymia else say("summary"),
            indicator="warning" if myokymia else "info",
            basis=[*(c.basis_row() for c in ms), *facts.twitching_rows(),
                   *([facts.demographics.basis_row()] if facts.demographics.is_child else [])],
            basis_notes=unconfirmed_notes((*ms, *myokymia)),
            advice=advice,
            evidence=say("evidence"),
            source=citations.NICE_NG220_MS,
            further_reading=(citations.JACOBS_1994_MYOKYMIA_MS,),
            suggestions=suggestions,
            handout_topic="multiple-sclerosis",
        )
    ]
