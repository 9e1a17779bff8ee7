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
    referral = service_proposal(
        facts.patient_id,
        text="Referral for psychological support (stress management or talking therapy)",
        reasons=[c.reference for c in contributors],
    )
    return [
        draft_card(
            RELAXATION,
            summary="Facial twitching with stress, anxiety, poor sleep or low mood: relaxation and sleep first",
            indicator="info",
            basis=[*(c.basis_row() for c in contributors), *facts.twitching_rows()],
            basis_notes=unconfirmed_notes((*contributors, *facts.twitching)),
            advice=[
                "Explain that stress, tiredness, caffeine and alcohol commonly set off twitching, and that the "
                "twitch itself is harmless.",
                "Plan a fixed time each day for themselves, without interruptions; try a relaxation method such as "
                "slow breathing or progressive muscle relaxation.",
                "Aim for enough restful sleep at regular times.",
                "Cut down caffeine (coffee, energy drinks) and alcohol; stopping smoking helps too.",
                "Treat anxiety, depression or insomnia on their own merits, and ask about low mood: long-lasting "
                "twitching often lowers mood. Offer psychological support if wanted.",
            ],
            evidence="Stress, tiredness, caffeine, alcohol and smoking are recognised triggers of benign myokymia, "
                     "which usually settles on its own (Duodecim EBM Guidelines). No trials test relaxation for "
                     "twitching itself: this is low-risk advice based on expert opinion.",
            source=citations.DUODECIM_MYOKYMIA,
            suggestions=[Suggestion(key="psychological-support-referral", label="Refer for psychological support",
                                    resources=(referral,))],
            handout_topic="stress",
        )
    ]
