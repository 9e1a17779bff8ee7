"""Epilepsy: start anticonvulsants via neurology when untreated, review control when treated, and valproate safety.

"Could become pregnant" is Patient.gender female aged 12-55 inclusive; unknown sex or age counts as yes (the safer
error), and the card says so in its basis.
"""

from __future__ import annotations

from .. import citations
from ..drafting import RuleInfo, draft_card
from ..facts import BasisRow, ChartFacts, CodedFact
from ..model import CardDraft, Suggestion
from ..suggestions import service_proposal
from ..terminology import Concept

ANTICONVULSANT_START = RuleInfo("epilepsy.anticonvulsant.start", "Epilepsy without anticonvulsant treatment")
TREATMENT_REVIEW = RuleInfo("epilepsy.treatment.review", "Epilepsy on treatment: review seizure control")
VALPROATE_PREGNANCY_PREVENTION = RuleInfo("epilepsy.valproate.pregnancy-prevention",
                                          "Valproate in someone who could become pregnant")
RULES = (ANTICONVULSANT_START, TREATMENT_REVIEW, VALPROATE_PREGNANCY_PREVENTION)

HANDOUT = "epilepsy"

# Shared with the valproate order check, so both say the same thing.
VALPROATE_RISK_ADVICE = (
    "Valproate taken in pregnancy causes major malformations in about 11% and developmental disorders in 30-40% "
    "of exposed children.",
    "Do not start valproate in anyone under 55 unless two specialists independently document that no other "
    "treatment is effective or tolerated (MHRA, January 2024).",
    "Where it continues: Pregnancy Prevention Programme - highly effective contraception, pregnancy testing and an "
    "annual risk acknowledgement; check liver function before and during the first 6 months.",
)
VALPROATE_EVIDENCE = (
    "NICE NG217 (amended January 2025) and NICE CG137 figures; MHRA 2024 restriction; valproate boxed warnings for "
    "fetal risk and hepatotoxicity."
)

# Drug levels where they help (LOINC [S]): (medication value set, LOINC code, display).
_LEVELS = (
    (Concept.VALPROATE, "4086-5", "Valproate [Mass/volume] in Serum or Plasma"),
    (Concept.LAMOTRIGINE, "6948-4", "Lamotrigine [Mass/volume] in Serum or Plasma"),
)


def _neurology_referral(facts: ChartFacts, epilepsy: tuple[CodedFact, ...]) -> Suggestion:
    return Suggestion(
        key="neurology-referral",
        label="Refer to neurology (epilepsy)",
        resources=(service_proposal(facts.patient_id, text="Referral to neurology (epilepsy)",
                                    reasons=[c.reference for c in epilepsy]),),
    )


def _start_card(facts: ChartFacts, epilepsy: tuple[CodedFact, ...]) -> CardDraft:
    none_active = BasisRow("Anticonvulsant", "none active", "", "", "MedicationRequest search (status active)")
    return draft_card(
        ANTICONVULSANT_START,
        summary="Epilepsy with facial twitching and no active anticonvulsant: neurology review to start treatment",
        indicator="warning",
        basis=[*(c.basis_row() for c in epilepsy), none_active, *facts.twitching_rows()],
        advice=[
            "Facial twitching in someone with epilepsy may be focal seizure activity: ask about spreading jerks, "
            "loss of awareness, and twitching that persists in sleep.",
            "Anticonvulsants (for example lamotrigine, levetiracetam, valproate) damp down nerve excitability; the "
            "choice depends on seizure type, age, sex and pregnancy plans, so start treatment through neurology.",
            "Valproate: not for anyone who could become pregnant, and not started under 55 without two specialists' "
            "agreement (MHRA 2024).",
        ],
        evidence="Antiseizure medicines are the standard treatment of epilepsy (NICE NG217). No trials address "
                 "facial twitching as such.",
        source=citations.NICE_NG217_EPILEPSY,
        suggestions=[_neurology_referral(facts, epilepsy)],
        handout_topic=HANDOUT,
    )


def _review_card(facts: ChartFacts, epilepsy: tuple[CodedFact, ...], treatment: tuple[CodedFact, ...]) -> CardDraft:
    levels = [
        Suggestion(
            key=f"level-{code}",
            label=f"Measure {display.split(' [')[0].lower()} level",
            resources=(service_proposal(facts.patient_id, text=display, loinc=(code, display),
                                        reasons=[m.reference for m in facts.medications_in(concept)]),),
        )
        for concept, code, display in _LEVELS
        if facts.medications_in(concept)
    ]
    names = ", ".join(m.label for m in treatment)
    summary = f"Epilepsy on {names}: review seizure control and adherence; twitching may be breakthrough seizures"
    if len(summary) >= 140:
        summary = "Epilepsy on treatment: review seizure control and adherence; twitching may be breakthrough seizures"
    return draft_card(
        TREATMENT_REVIEW,
        summary=summary,
        indicator="info",
        basis=[*(c.basis_row() for c in epilepsy), *(m.basis_row() for m in treatment), *facts.twitching_rows()],
        advice=[
            "Review adherence, seizure frequency (a seizure diary helps) and side effects before thinking of a new "
            "drug.",
            "New or changed twitching may be breakthrough focal seizures: discuss with neurology.",
            "Drug levels help where adherence or toxicity is in question (e.g. valproate, phenytoin); they are not "
            "a routine target for most antiseizure medicines.",
        ],
        evidence="Treatment review and monitoring per NICE NG217. No trials address facial twitching as such.",
        source=citations.NICE_NG217_EPILEPSY,
        suggestions=levels,
        selection_behavior="any",
        handout_topic=HANDOUT,
    )


def _valproate_card(facts: ChartFacts, valproate: tuple[CodedFact, ...], why: str) -> CardDraft:
    pregnant = facts.is_pregnant
    advice = (["Pregnant on valproate: urgent specialist review of the epilepsy treatment; do not stop valproate "
               "suddenly without advice, because seizures also harm mother and baby."] if pregnant else [])
    return draft_card(
        VALPROATE_PREGNANCY_PREVENTION,
        summary=("Pregnant and on valproate: urgent specialist review - high risk of birth defects" if pregnant
                 else "On valproate and could become pregnant: Pregnancy Prevention Programme and MHRA 2024 rules"),
        indicator="critical" if pregnant else "warning",
        basis=[*(m.basis_row() for m in valproate), facts.demographics.basis_row(), *facts.pregnancy],
        basis_notes=[f"Could become pregnant: {why}."],
        advice=[*advice, *VALPROATE_RISK_ADVICE],
        evidence=VALPROATE_EVIDENCE,
        source=citations.NICE_NG217_EPILEPSY,
        further_reading=(citations.OPENFDA_LABELS,),
        handout_topic=HANDOUT,
    )


def evaluate(facts: ChartFacts) -> list[CardDraft]:
    cards = []
    epilepsy = facts.conditions_in(Concept.EPILEPSY)
    if epilepsy:
        treatment = facts.medications_in(Concept.ANTICONVULSANT)
        cards.append(_review_card(facts, epilepsy, treatment) if treatment else _start_card(facts, epilepsy))
    valproate = facts.medications_in(Concept.VALPROATE)
    could, why = facts.demographics.could_become_pregnant()
    if valproate and (could or facts.is_pregnant):
        cards.append(_valproate_card(facts, valproate, why))
    return cards
