"""Epilepsy: start anticonvulsants via neurology when untreated, review control when treated or when underdosing of
an antiepileptic is coded (missed doses are the likeliest cause of breakthrough seizures), and valproate safety.

Valproate wording follows who it is for: the Pregnancy Prevention Programme card for someone who could become
pregnant (female aged 12-55 inclusive; unknown sex or age counts as yes, the safer error), the MHRA 2024 precautions
for men (contraception, no sperm donation). Women outside 12-55 get no patient-view valproate card: the under-55
start restriction (any sex) is an ordering decision, checked when valproate is ordered.
A differential diagnosis of epilepsy triggers no treatment card; a provisional one does, and the card says so.
"""

from __future__ import annotations

from .. import citations
from ..drafting import SUMMARY_LIMIT, RuleInfo, draft_card
from ..facts import BasisRow, ChartFacts, CodedFact, unconfirmed_notes
from ..model import CardDraft, Suggestion
from ..suggestions import service_proposal
from ..terminology import Concept
from ..wording import RuleWording

ANTICONVULSANT_START = RuleInfo("epilepsy.anticonvulsant.start", "Epilepsy without anticonvulsant treatment")
TREATMENT_REVIEW = RuleInfo("epilepsy.treatment.review", "Epilepsy on treatment: review seizure control")
VALPROATE_PREGNANCY_PREVENTION = RuleInfo("epilepsy.valproate.pregnancy-prevention",
                                          "Valproate in someone who could become pregnant")
VALPROATE_MALE_PRECAUTIONS = RuleInfo("epilepsy.valproate.male-precautions",
                                      "Valproate in a man: contraception and sperm-donation precautions")
RULES = (ANTICONVULSANT_START, TREATMENT_REVIEW, VALPROATE_PREGNANCY_PREVENTION, VALPROATE_MALE_PRECAUTIONS)

HANDOUT = "epilepsy"

SHARED_VALPROATE = "shared.valproate"  # wording the valproate order check uses too, so both say the same thing
VALPROATE_RISK_ADVICE_KEYS = ("advice.malformations", "advice.start-restriction", "advice.prevention-programme")

# Drug levels where they help (LOINC [S]): (medication value set, LOINC code, display).
_LEVELS = (
    (Concept.VALPROATE, "4086-5", "Valproate [Mass/volume] in Serum or Plasma"),
    (Concept.LAMOTRIGINE, "6948-4", "Lamotrigine [Mass/volume] in Serum or Plasma"),
)


def valproate_risk(facts: ChartFacts, why: str) -> tuple[list[str], list[str], str]:
    """The shared valproate sentences for someone who could become pregnant: basis notes, risk advice, evidence.
    `why` is the reason `could_become_pregnant` gives (no chart text)."""
    say = facts.wording.rule(SHARED_VALPROATE)
    return ([say("basis-note.could-become-pregnant", why=why)], [say(key) for key in VALPROATE_RISK_ADVICE_KEYS],
            say("evidence"))


def _neurology_referral(facts: ChartFacts, epilepsy: tuple[CodedFact, ...], say: RuleWording) -> Suggestion:
    return Suggestion(
        key="neurology-referral",
        label=say("suggestion.neurology-referral"),
        resources=(service_proposal(facts.patient_id, text=say("proposal.neurology-referral"),
                                    reasons=[c.reference for c in epilepsy]),),
    )


def _start_card(facts: ChartFacts, epilepsy: tuple[CodedFact, ...]) -> CardDraft:
    say = facts.wording.rule(ANTICONVULSANT_START.rule_id)
    none_active = BasisRow("Anticonvulsant", "none active", "", "", "MedicationRequest search (status active)")
    return draft_card(
        ANTICONVULSANT_START,
        summary=say("summary"),
        indicator="warning",
        basis=[*(c.basis_row() for c in epilepsy), none_active, *facts.twitching_rows()],
        basis_notes=unconfirmed_notes(epilepsy),
        advice=[say(key) for key in ("advice.focal-seizures", "advice.anticonvulsants", "advice.valproate")],
        evidence=say("evidence"),
        source=citations.NICE_NG217_EPILEPSY,
        suggestions=[_neurology_referral(facts, epilepsy, say)],
        handout_topic=HANDOUT,
    )


def _review_card(facts: ChartFacts, epilepsy: tuple[CodedFact, ...], treatment: tuple[CodedFact, ...],
                 underdosing: tuple[CodedFact, ...]) -> CardDraft:
    say = facts.wording.rule(TREATMENT_REVIEW.rule_id)
    levels = [
        Suggestion(
            key=f"level-{code}",
            label=say("suggestion.measure-level", drug=display.split(" [")[0].lower()),
            resources=(service_proposal(facts.patient_id, text=display, loinc=(code, display),
                                        reasons=[m.reference for m in facts.medications_in(concept)]),),
        )
        for concept, code, display in _LEVELS
        if facts.medications_in(concept)
    ]
    names = ", ".join(m.label for m in treatment)
    summary = say("summary", medications=names)
    if len(summary) >= SUMMARY_LIMIT:
        summary = say("summary.any-treatment")
    advice = []
    if underdosing:
        summary = say("summary.underdosing")
        advice.append(say("advice.underdosing"))
    if not treatment:
        advice.append(say("advice.no-prescription"))
    return draft_card(
        TREATMENT_REVIEW,
        summary=summary,
        basis=[*(c.basis_row() for c in epilepsy), *(u.basis_row() for u in underdosing),
               *(m.basis_row() for m in treatment), *facts.twitching_rows()],
        basis_notes=unconfirmed_notes((*epilepsy, *underdosing)),
        indicator="warning" if underdosing else "info",
        advice=[*advice, *(say(key) for key in ("advice.adherence", "advice.breakthrough", "advice.levels"))],
        evidence=say("evidence"),
        source=citations.NICE_NG217_EPILEPSY,
        suggestions=levels,
        selection_behavior="any",
        handout_topic=HANDOUT,
    )


def _valproate_card(facts: ChartFacts, valproate: tuple[CodedFact, ...], why: str) -> CardDraft:
    say = facts.wording.rule(VALPROATE_PREGNANCY_PREVENTION.rule_id)
    pregnant = facts.is_pregnant
    advice = [say("advice.pregnant")] if pregnant else []
    notes, risk_advice, evidence = valproate_risk(facts, why)
    return draft_card(
        VALPROATE_PREGNANCY_PREVENTION,
        summary=say("summary.pregnant") if pregnant else say("summary"),
        indicator="critical" if pregnant else "warning",
        basis=[*(m.basis_row() for m in valproate), facts.demographics.basis_row(), *facts.pregnancy],
        basis_notes=notes,
        advice=[*advice, *risk_advice],
        evidence=evidence,
        source=citations.NICE_NG217_EPILEPSY,
        further_reading=(citations.OPENFDA_LABELS,),
        handout_topic=HANDOUT,
    )


def _male_valproate_card(facts: ChartFacts, valproate: tuple[CodedFact, ...]) -> CardDraft:
    say = facts.wording.rule(VALPROATE_MALE_PRECAUTIONS.rule_id)
    return draft_card(
        VALPROATE_MALE_PRECAUTIONS,
        summary=say("summary"),
        indicator="info",
        basis=[*(m.basis_row() for m in valproate), facts.demographics.basis_row()],
        advice=[say(key) for key in ("advice.contraception", "advice.sperm-donation", "advice.family-plans",
                                     "advice.start-restriction")],
        evidence=say("evidence"),
        source=citations.MHRA_VALPROATE_MEN,
        further_reading=(citations.MHRA_VALPROATE_MEN_2025,),
        handout_topic=HANDOUT,
    )


def evaluate(facts: ChartFacts) -> list[CardDraft]:
    cards = []
    epilepsy = facts.conditions_in(Concept.EPILEPSY)
    if epilepsy:
        treatment = facts.medications_in(Concept.ANTICONVULSANT)
        underdosing = facts.conditions_in(Concept.ANTIEPILEPTIC_UNDERDOSING)
        cards.append(_review_card(facts, epilepsy, treatment, underdosing) if treatment or underdosing
                     else _start_card(facts, epilepsy))
    valproate = facts.medications_in(Concept.VALPROATE)
    could, why = facts.could_become_pregnant()
    if valproate and (could or facts.is_pregnant):
        cards.append(_valproate_card(facts, valproate, why))
    elif valproate and facts.demographics.sex == "male":
        cards.append(_male_valproate_card(facts, valproate))
    return cards
