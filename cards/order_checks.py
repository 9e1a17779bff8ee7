"""Order checks for order-select and order-sign: hazards in the draft medication orders under review.

Draft orders come from EHRs (and the CDS Hooks sandbox) in shapes that are not valid R4 (`category` and `reasonCode`
as objects, `intent` missing), and a check needs only the medication, so drafts are read leniently from raw JSON
instead of being validated. Only the selected orders are checked (all drafts when nothing is selected); the other
drafts still count as "being ordered together".

Every order-check card offers one suggestion the clinician can accept: remove the draft order(s) of the drug the
card is about, among the orders under review (the selected drafts for order-select, every draft for order-sign).
A draft without a usable FHIR id cannot be named for removal, so such a card offers no suggestion. Removal is
recommended only where the advice is not to give the drug at all (potassium already high, valproate in pregnancy);
elsewhere the advice may well be to go ahead with care (halved lamotrigine titration, reduced magnesium dose).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from . import citations
from .drafting import RuleInfo, draft_card
from .facts import BasisRow, ChartFacts, CodedFact
from .fhir_reading import reference
from .medication_reading import is_an_instruction_to_give, name_medication
from .model import CardDraft, ChartData, OrderContext, Suggestion
from .pathways.epilepsy import valproate_risk
from .pathways.refractory import below_botulinum_age, botulinum_age_limits
from .terminology import Concept, Terminology
from .thresholds import Analyte, Limit

POTASSIUM_HYPERKALEMIA = RuleInfo("order.potassium.hyperkalemia-risk", "Potassium order with a risk of high potassium",
                                  may_silence=False)
MAGNESIUM_RENAL = RuleInfo("order.magnesium.renal", "Magnesium order with severe kidney disease")
VALPROATE_PREGNANCY = RuleInfo("order.valproate.pregnancy", "Valproate order for someone who could become pregnant",
                               may_silence=False)
VALPROATE_UNDER_55 = RuleInfo("order.valproate.under-55", "Valproate order for a patient under 55")
LAMOTRIGINE_VALPROATE = RuleInfo("order.lamotrigine.valproate", "Lamotrigine and valproate together")
BOTULINUM_NMJ = RuleInfo("order.botulinum.nmj-disorder", "Botulinum toxin with a neuromuscular junction disorder")
BOTULINUM_PREGNANCY = RuleInfo("order.botulinum.pregnancy", "Botulinum toxin ordered during pregnancy")
BOTULINUM_CHILD = RuleInfo("order.botulinum.under-licensed-age", "Botulinum toxin ordered below its licensed age")
RULES = (POTASSIUM_HYPERKALEMIA, MAGNESIUM_RENAL, VALPROATE_PREGNANCY, VALPROATE_UNDER_55, LAMOTRIGINE_VALPROATE,
         BOTULINUM_NMJ, BOTULINUM_PREGNANCY, BOTULINUM_CHILD)

ORDER_RESOURCE_TYPES = frozenset({"MedicationRequest", "MedicationOrder"})  # MedicationOrder: DSTU2 EHRs
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # FHIR R4 `id`


@dataclass(frozen=True)
class DraftOrder:
    reference: str
    label: str
    concepts: frozenset[Concept]
    removable: bool = False  # it has a valid FHIR id, so `reference` can name it in a delete action

    def basis_row(self) -> BasisRow:
        return BasisRow(f"Draft order: {self.label}", "being ordered", "", "", self.reference)


@dataclass(frozen=True)
class OrdersUnderReview:
    checked: tuple[DraftOrder, ...]
    all_drafts: tuple[DraftOrder, ...]

    def checked_in(self, concept: Concept) -> tuple[DraftOrder, ...]:
        return tuple(order for order in self.checked if concept in order.concepts)

    def drafts_in(self, concept: Concept) -> tuple[DraftOrder, ...]:
        return tuple(order for order in self.all_drafts if concept in order.concepts)


def _is_selected(order_reference: str, order_id: str | None, selections: frozenset[str]) -> bool:
    """`selections` name drafts as `Type/id` (the spec), but EHRs also send the bare id or an absolute URL."""
    if not selections:
        return True
    return order_reference in selections or (order_id is not None and order_id in selections) or any(
        selection.endswith("/" + order_reference) for selection in selections)


def read_orders(orders: OrderContext, chart: ChartData, terminology: Terminology) -> OrdersUnderReview:
    """The draft medication orders, matched to value sets however they name the drug (code, ATC, text, brand,
    referenced Medication). An order not to give a drug (`doNotPerform`) is not under review."""
    selected = frozenset(orders.selections)
    drafts: list[DraftOrder] = []
    checked: list[DraftOrder] = []
    for raw in orders.draft_orders:
        kind = raw.get("resourceType") if isinstance(raw, Mapping) else None
        if not isinstance(kind, str) or kind not in ORDER_RESOURCE_TYPES:
            continue
        if not is_an_instruction_to_give(raw):
            continue
        named = name_medication(raw, chart.medication_products)
        order_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        order = DraftOrder(
            reference=reference(raw["resourceType"], order_id),
            label=named.label,
            concepts=named.match(terminology),
            removable=order_id is not None and FHIR_ID.fullmatch(order_id) is not None,
        )
        drafts.append(order)
        if _is_selected(order.reference, order_id, selected):
            checked.append(order)
    return OrdersUnderReview(tuple(checked), tuple(drafts))


def _remove(rule: RuleInfo, ordered: Sequence[DraftOrder], *, recommended: bool = False) -> tuple[Suggestion, ...]:
    """"Remove the draft order" for the checked drafts of the drug the card is about; nothing when any of them has
    no id (a partial removal would leave a hazardous draft behind while looking done)."""
    unique = tuple(dict.fromkeys(ordered))
    if not unique or not all(order.removable for order in unique):
        return ()
    names = ", ".join(dict.fromkeys(order.label for order in unique))
    label = f"Remove the draft order{'s' if len(unique) > 1 else ''}: {names}"
    return (Suggestion(key=f"{rule.rule_id}.remove-draft", label=label,
                       removals=tuple(order.reference for order in unique), is_recommended=recommended),)


def _rows(orders: Sequence[DraftOrder], facts: Sequence[CodedFact] = ()) -> list[BasisRow]:
    return [*(o.basis_row() for o in orders), *(f.basis_row() for f in facts)]


def _potassium(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    ordered = orders.checked_in(Concept.POTASSIUM_SUPPLEMENT)
    if not ordered:
        return None
    potassium = facts.labs.get(Analyte.POTASSIUM)
    sparing = facts.medications_in(Concept.POTASSIUM_SPARING_DIURETIC)
    sparing_drafts = orders.drafts_in(Concept.POTASSIUM_SPARING_DIURETIC)
    high = potassium is not None and potassium.is_high
    risks = [reason for reason, present in (
        ("potassium above range", high),
        ("chronic kidney disease", facts.kidney.ckd),
        ("a potassium-sparing diuretic", bool(sparing or sparing_drafts)),
    ) if present]
    if not risks:
        return None
    basis = [*(o.basis_row() for o in ordered), *([potassium.basis_row()] if potassium else []),
             *(m.basis_row() for m in sparing), *(o.basis_row() for o in sparing_drafts), *facts.kidney.evidence]
    advice = (["Potassium is already above the range: do not give potassium; review why it was ordered."] if high
              else ["If potassium is still needed, use the lowest effective dose and recheck potassium and kidney "
                    "function within a few days."])
    if potassium is None:
        advice.append("There is no recent potassium result: measure it before giving potassium.")
    advice.append("Potassium supplements are contraindicated in hyperkalaemia; kidney disease, acidosis, adrenal "
                  "insufficiency and potassium-sparing diuretics (spironolactone, triamterene, amiloride, eplerenone) "
                  "raise the risk.")
    return draft_card(
        POTASSIUM_HYPERKALEMIA,
        summary=f"Potassium order with {' and '.join(risks)}: risk of dangerously high potassium",
        indicator="critical" if high else "warning",
        basis=basis,
        advice=advice,
        evidence="Contraindication and interaction warnings from the potassium chloride product labels (openFDA).",
        source=citations.OPENFDA_LABELS,
        further_reading=(citations.STATPEARLS_HYPOKALEMIA,),
        suggestions=_remove(POTASSIUM_HYPERKALEMIA, ordered, recommended=high),
    )


def _magnesium(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    ordered = orders.checked_in(Concept.MAGNESIUM_SUPPLEMENT)
    if not ordered or not facts.kidney.severe:
        return None
    return draft_card(
        MAGNESIUM_RENAL,
        summary="Magnesium order with severe kidney disease: magnesium is cleared only by the kidneys",
        indicator="warning",
        basis=_rows(ordered) + list(facts.kidney.evidence),
        advice=["Magnesium can build up to toxic levels when kidney function is severely reduced: give it only if "
                "clearly needed, at a reduced dose, with magnesium levels monitored.",
                "Watch for toxicity: drowsiness, weakness, low blood pressure, loss of reflexes."],
        evidence="Magnesium sulfate labels: excreted solely by the kidneys, use with caution in renal impairment.",
        source=citations.OPENFDA_LABELS,
        suggestions=_remove(MAGNESIUM_RENAL, ordered),
    )


def _valproate(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    ordered = orders.checked_in(Concept.VALPROATE)
    could, why = facts.could_become_pregnant()
    if not ordered or not (could or facts.is_pregnant):
        return None
    pregnant = facts.is_pregnant
    if pregnant:
        summary = "Valproate ordered during pregnancy: high risk of birth defects; specialist review now"
        advice = ["Pregnant: do not start valproate; arrange urgent specialist review of the epilepsy treatment."]
    else:
        summary = "Valproate ordered for someone who could become pregnant: birth-defect risk, pregnancy prevention"
        advice = []
    notes, risk_advice, evidence = valproate_risk(facts, why)
    return draft_card(
        VALPROATE_PREGNANCY,
        summary=summary,
        indicator="critical" if pregnant else "warning",
        basis=_rows(ordered) + [facts.demographics.basis_row(), *facts.pregnancy],
        basis_notes=notes,
        advice=[*advice, *risk_advice],
        evidence=evidence,
        source=citations.NICE_NG217_EPILEPSY,
        further_reading=(citations.OPENFDA_LABELS,),
        suggestions=_remove(VALPROATE_PREGNANCY, ordered, recommended=pregnant),
        handout_topic="epilepsy",
    )


def _valproate_under_55(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    """Someone who cannot become pregnant but is under 55 (in practice: men, and girls before menarche): the MHRA
    start restriction still applies; men get the paternal-exposure precautions."""
    ordered = orders.checked_in(Concept.VALPROATE)
    age = facts.demographics.age_years
    restricted_below = facts.thresholds.whole(Limit.VALPROATE_START_RESTRICTED_BELOW_AGE)
    could, _ = facts.could_become_pregnant()
    if not ordered or could or facts.is_pregnant or age is None or age >= restricted_below:
        return None
    advice = [f"Valproate must not be started in anyone younger than {restricted_below} unless "
              "two specialists independently consider and document that no other treatment is effective or "
              "tolerated, or that the reproductive risks do not apply (MHRA, January 2024)."]
    if facts.medications_in(Concept.VALPROATE):
        advice.append("Valproate is already on the medication list: if this continues existing treatment, the "
                      "two-specialist requirement is for new starts (for men already taking valproate the CHM no "
                      "longer requires it, February 2025); review at the next annual review.")
    if facts.demographics.sex == "male":
        advice.append("Men: as a precaution, use effective contraception (condoms plus the partner's contraception) "
                      "during treatment and for 3 months after stopping, do not donate sperm in that time, and "
                      "discuss family plans at each review (MHRA, September 2024). A records study suggests a "
                      "possible small increase in neurodevelopmental disorders in children of fathers on valproate "
                      "(about 5% vs 3%); causation is not confirmed.")
    return draft_card(
        VALPROATE_UNDER_55,
        summary=f"Valproate ordered for a patient under {restricted_below}: "
                "two-specialist agreement needed to start (MHRA 2024)",
        indicator="warning",
        basis=_rows(ordered) + [facts.demographics.basis_row(), *(m.basis_row() for m in
                                                                  facts.medications_in(Concept.VALPROATE))],
        advice=advice,
        evidence="MHRA Drug Safety Updates: start restriction for patients under 55 (January 2024); precautions for "
                 "men (September 2024), based on an observational Nordic registry study (pooled adjusted hazard ratio "
                 "1.50, 95% CI 1.09-2.07) - a possible, unconfirmed risk, far below the 30-40% after exposure in "
                 "the womb.",
        source=citations.MHRA_VALPROATE_MEN_2025,
        further_reading=(citations.MHRA_VALPROATE_MEN, citations.NICE_NG217_EPILEPSY),
        suggestions=_remove(VALPROATE_UNDER_55, ordered),
        handout_topic="epilepsy",
    )


def _lamotrigine_valproate(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    lamotrigine = orders.checked_in(Concept.LAMOTRIGINE)
    valproate = orders.checked_in(Concept.VALPROATE)
    partner_valproate = facts.medications_in(Concept.VALPROATE) + tuple(
        o for o in orders.drafts_in(Concept.VALPROATE) if o not in lamotrigine)
    partner_lamotrigine = facts.medications_in(Concept.LAMOTRIGINE) + tuple(
        o for o in orders.drafts_in(Concept.LAMOTRIGINE) if o not in valproate)
    pairs = [(lamotrigine, partner_valproate), (valproate, partner_lamotrigine)]
    hits = [(ordered, partners) for ordered, partners in pairs if ordered and partners]
    if not hits:
        return None
    basis = [row for ordered, partners in hits for row in
             [*(o.basis_row() for o in ordered), *(p.basis_row() for p in partners)]]
    return draft_card(
        LAMOTRIGINE_VALPROATE,
        summary="Lamotrigine with valproate: use the halved titration; higher risk of serious rash (SJS/TEN)",
        indicator="warning",
        basis=list(dict.fromkeys(basis)),
        advice=["With valproate, lamotrigine needs about half the usual titration (for example 25 mg every other "
                "day for 2 weeks, then 25 mg daily for 2 weeks), following the product label.",
                "Serious rash (Stevens-Johnson syndrome, toxic epidermal necrolysis) is more likely with valproate "
                "and with fast titration: tell the patient to report any rash at once."],
        evidence="Lamotrigine boxed warning (serious rash; risk increased by valproate and by exceeding the "
                 "recommended titration), openFDA label.",
        source=citations.OPENFDA_LABELS,
        further_reading=(citations.NICE_NG217_EPILEPSY,),
        # The lamotrigine draft when it is the one being started with valproate, else the valproate draft; the
        # advice is to go ahead with the halved titration, so removal is offered, not recommended.
        suggestions=_remove(LAMOTRIGINE_VALPROATE, hits[0][0]),
        handout_topic="epilepsy",
    )


def _botulinum(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    ordered = orders.checked_in(Concept.BOTULINUM_TOXIN)
    disorders = facts.conditions_in(Concept.NMJ_DISORDER)
    if not ordered or not disorders:
        return None
    return draft_card(
        BOTULINUM_NMJ,
        summary="Botulinum toxin ordered with a neuromuscular junction disorder: higher risk of serious weakness",
        indicator="warning",
        basis=_rows(ordered, disorders),
        advice=["Patients with myasthenia gravis, Lambert-Eaton syndrome or ALS are at higher risk of severe "
                "weakness, swallowing and breathing problems after botulinum toxin: involve their neurologist "
                "before injecting, and use the lowest dose if it goes ahead.",
                "Tell the patient to seek help at once for trouble swallowing, speaking or breathing."],
        evidence="Botulinum toxin boxed warning (distant spread of toxin effect) and label warnings for "
                 "pre-existing neuromuscular disorders, openFDA labels.",
        source=citations.OPENFDA_LABELS,
        further_reading=(citations.AAN_2016_BOTULINUM,),
        suggestions=_remove(BOTULINUM_NMJ, ordered),
        handout_topic="botulinum-toxin",
    )


def _botulinum_pregnancy(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    ordered = orders.checked_in(Concept.BOTULINUM_TOXIN)
    if not ordered or not facts.is_pregnant:
        return None
    return draft_card(
        BOTULINUM_PREGNANCY,
        summary="Botulinum toxin ordered during pregnancy: insufficient safety data; defer unless clearly needed",
        indicator="warning",
        basis=_rows(ordered) + list(facts.pregnancy),
        advice=["There are insufficient data on botulinum toxin in pregnancy: defer treatment until after the "
                "pregnancy where possible, or go ahead only on specialist advice after discussing the uncertainty "
                "with the patient."],
        evidence="Product labels (openFDA): no adequate data in pregnant women.",
        source=citations.OPENFDA_LABELS,
        suggestions=_remove(BOTULINUM_PREGNANCY, ordered),
        handout_topic="botulinum-toxin",
    )


def _botulinum_child(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    ordered = orders.checked_in(Concept.BOTULINUM_TOXIN)
    caution = below_botulinum_age(facts)
    if not ordered or not caution:
        return None
    return draft_card(
        BOTULINUM_CHILD,
        summary=f"Botulinum toxin ordered for a child under {facts.thresholds.whole(Limit.BOTULINUM_MIN_AGE_YEARS)}: "
                "below the licensed age",
        indicator="warning",
        basis=_rows(ordered) + [facts.demographics.basis_row()],
        advice=[caution, botulinum_age_limits(facts)],
        evidence="Product labels (openFDA): blepharospasm indications from 12 years (onabotulinumtoxinA) or in "
                 "adults (incobotulinumtoxinA); AAN 2019 tic guideline: adolescents and adults.",
        source=citations.OPENFDA_LABELS,
        further_reading=(citations.AAN_2019_TICS,),
        suggestions=_remove(BOTULINUM_CHILD, ordered),
        handout_topic="botulinum-toxin",
    )


CHECKS: tuple[Callable[[ChartFacts, OrdersUnderReview], CardDraft | None], ...] = (
    _potassium, _magnesium, _valproate, _valproate_under_55, _lamotrigine_valproate, _botulinum,
    _botulinum_pregnancy, _botulinum_child,
)


def evaluate(facts: ChartFacts, orders: OrdersUnderReview) -> list[CardDraft]:
    """One card per check that found a hazard; checks that found nothing say nothing."""
    return [card for check in CHECKS if (card := check(facts, orders)) is not None]
