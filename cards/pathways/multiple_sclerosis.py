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
    myokymia = facts.twitching_of(Concept.FACIAL_MYOKYMIA)
    reasons = [c.reference for c in (*ms, *myokymia)]
    suggestions = [Suggestion(
        key="neurology-referral",
        label="Refer to neurology (MS team)",
        resources=(service_proposal(facts.patient_id, text="Referral to neurology (multiple sclerosis team)",
                                    reasons=reasons),),
    )]
    advice = []
    if myokymia:
        advice.append("Continuous facial myokymia in MS points to a lesion in the brainstem (pons): arrange MRI of "
                      "the brain and discuss with the MS team.")
        suggestions.insert(0, Suggestion(
            key="mri-brain",
            label="Request MRI brain (brainstem)",
            resources=(service_proposal(facts.patient_id, text="MRI brain, with attention to the brainstem",
                                        reasons=reasons),),
            is_recommended=True,
        ))
    relapse_dose = ("then consider oral methylprednisolone 0.5 g daily for 5 days (NICE, for adults)."
                    if not facts.demographics.is_child else
                    f"then treat with a paediatric neurology service: the patient is {facts.demographics.age_years} "
                    "years old, and NICE NG220 and its steroid dose cover adults only.")
    advice += [
        "If this is a relapse (new or worse neurological symptoms), exclude infection first (for example a urinary "
        f"infection), {relapse_dose}",
        "Steroids speed recovery from a relapse but do not change the long-term outcome; warn about mood and sleep "
        "changes and other psychiatric effects.",
        "Disease-modifying (immunomodulating) treatment is chosen and monitored by the MS team.",
    ]
    return [
        draft_card(
            MS_MANAGEMENT,
            summary=("MS with facial myokymia: suggests a brainstem lesion - MRI and MS team review" if myokymia
                     else "Multiple sclerosis with facial twitching: consider relapse; steroids and DMT via MS team"),
            indicator="warning" if myokymia else "info",
            basis=[*(c.basis_row() for c in ms), *facts.twitching_rows(),
                   *([facts.demographics.basis_row()] if facts.demographics.is_child else [])],
            basis_notes=unconfirmed_notes((*ms, *myokymia)),
            advice=advice,
            evidence="Relapse steroids and disease-modifying treatment per NICE NG220 (steroids shorten relapses "
                     "without changing outcome). Continuous facial myokymia with MS is described in case series "
                     "(Jacobs et al. 1994), not trials.",
            source=citations.NICE_NG220_MS,
            further_reading=(citations.JACOBS_1994_MYOKYMIA_MS,),
            suggestions=suggestions,
            handout_topic="multiple-sclerosis",
        )
    ]
