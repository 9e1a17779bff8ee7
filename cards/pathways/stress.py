"""Stress and psychological origin: relaxation, protected time, sleep, less caffeine and alcohol; a referral."""

from __future__ import annotations

from .. import citations
from ..drafting import RuleInfo, draft_card
from ..facts import ChartFacts, unconfirmed_notes
from ..model import CardDraft, Suggestion
from ..suggestions import service_proposal
from ..terminology import Concept

RELAXATION = RuleInfo("stress.relaxation", "Facial twitching with stress, anxiety, poor sleep or low mood")
RULES = (RELAXATION,)


def evaluate(facts: ChartFacts) -> list[CardDraft]:
    contributors = facts.conditions_in(Concept.PSYCHOLOGICAL_STRESS)
    if not contributors:
        return []
    say = facts.wording.rule(RELAXATION.rule_id)
    referral = service_proposal(facts.patient_id, text=say("referral"), reasons=[c.reference for c in contributors])
    return [
        draft_card(
            RELAXATION,
            summary=say("summary"),
            indicator="info",
            basis=[*(c.basis_row() for c in contributors), *facts.twitching_rows()],
            basis_notes=unconfirmed_notes((*contributors, *facts.twitching)),
            advice=[say(key) for key in ("advice.triggers", "advice.relaxation", "advice.sleep", "advice.stimulants",
                                         "advice.mood")],
            evidence=say("evidence"),
            source=citations.DUODECIM_MYOKYMIA,
            suggestions=[Suggestion(key="psychological-support-referral", label=say("suggestion"),
                                    resources=(referral,))],
            handout_topic="stress",
        )
    ]
