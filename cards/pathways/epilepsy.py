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
from ..drafting import RuleInfo, draft_card
from ..facts import BasisRow, ChartFacts, CodedFact, unconfirmed_notes
from ..model import CardDraft, Suggestion
from ..suggestions import service_proposal
from ..terminology import Concept

ANTICONVULSANT_START = RuleInfo("epilepsy.anticonvulsant.start", "Epilepsy without anticonvulsant treatment")
TREATMENT_REVIEW = RuleInfo("epilepsy.treatment.review", "Epilepsy on treatment: review seizure control")
VALPROATE_PREGNANCY_PREVENTION = RuleInfo("epilepsy.valproate.pregnancy-prevention",
                                          "Valproate in someone who could become pregnant")
VALPROATE_MALE_PRECAUTIONS = RuleInfo("epilepsy.valproate.male-precautions",
                                      "Valproate in a man: contraception and sperm-donation precautions")
RULES = (ANTICONVULSANT_START, TREATMENT_REVIEW, VALPROATE_PREGNANCY_PREVENTION, VALPROATE_MALE_PRECAUTIONS)

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
VALPROATE_MALE_ADVICE = (
    "As a precaution, he and his partner should use effective contraception (condoms plus the partner's own method) "
    "during treatment and for 3 months after stopping valproate (MHRA 2024).",
    "No sperm donation during treatment and for 3 months after stopping.",
    "Ask about plans to father a child at each review, and refer to a specialist to discuss treatment options "
    "before trying to conceive; do not stop valproate without advice.",
    "Starting valproate in anyone under 55 needs two specialists to document that nothing else is effective or "
    "tolerated (MHRA 2024); a second specialist is not required for men already taking it (MHRA 2025).",
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
        basis_notes=unconfirmed_notes(epilepsy),
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


def _review_card(facts: ChartFacts, epilepsy: tuple[CodedFact, ...], treatment: tuple[CodedFact, ...],
                 underdosing: tuple[CodedFact, ...]) -> CardDraft:
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
    advice = []
    if underdosing:
        summary = "Epilepsy with antiepileptic underdosing coded: missed doses may explain twitching or seizures"
        advice.append("Underdosing of an antiepileptic is recorded: missed or reduced doses are the likeliest cause "
                      "of breakthrough seizures. Ask why (side effects, cost, forgetting, supply), agree a plan, and "
                      "restart the prescribed dose only as advised - some drugs need re-titration after a gap.")
    if not treatment:
        advice.append("No active anticonvulsant prescription is on record: check what the patient is actually "
                      "taking.")
    return draft_card(
        TREATMENT_REVIEW,
        summary=summary,
        basis=[*(c.basis_row() for c in epilepsy), *(u.basis_row() for u in underdosing),
               *(m.basis_row() for m in treatment), *facts.twitching_rows()],
        basis_notes=unconfirmed_notes((*epilepsy, *underdosing)),
        indicator="warning" if underdosing else "info",
        advice=[
            *advice,
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


def _male_valproate_card(facts: ChartFacts, valproate: tuple[CodedFact, ...]) -> CardDraft:
    return draft_card(
        VALPROATE_MALE_PRECAUTIONS,
        summary="On valproate (male): effective contraception and no sperm donation, during and 3 months after",
        indicator="info",
        basis=[*(m.basis_row() for m in valproate), facts.demographics.basis_row()],
        advice=list(VALPROATE_MALE_ADVICE),
        evidence="A Nordic registry study suggests a possibly higher risk of neurodevelopmental disorders in children "
                 "of fathers taking valproate in the 3 months before conception (about 4-6% vs 2-3% with lamotrigine "
                 "or levetiracetam; adjusted hazard ratio 1.5); causation is not confirmed, and the risk is far "
                 "below that after use in pregnancy. The advice is a regulatory precaution (MHRA).",
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
