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
from .wording import RuleWording

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
SHARED_REMOVAL = "shared.draft-removal"  # the removal suggestion's label, the same on every order check


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


def _say(facts: ChartFacts, rule: RuleInfo) -> RuleWording:
    """This order check's sentences."""
    return facts.wording.rule(rule.rule_id)


def _remove(facts: ChartFacts, rule: RuleInfo, ordered: Sequence[DraftOrder], *,
            recommended: bool = False) -> tuple[Suggestion, ...]:
    """"Remove the draft order" for the checked drafts of the drug the card is about; nothing when any of them has
    no id (a partial removal would leave a hazardous draft behind while looking done)."""
    unique = tuple(dict.fromkeys(ordered))
    if not unique or not all(order.removable for order in unique):
        return ()
    names = ", ".join(dict.fromkeys(order.label for order in unique))
    label = facts.wording.rule(SHARED_REMOVAL)(
        "suggestion.remove-drafts" if len(unique) > 1 else "suggestion.remove-draft", orders=names)
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
    say = _say(facts, POTASSIUM_HYPERKALEMIA)
    risks = [say(reason) for reason, present in (
        ("risk.high-potassium", high),
        ("risk.kidney-disease", facts.kidney.ckd),
        ("risk.potassium-sparing-diuretic", bool(sparing or sparing_drafts)),
    ) if present]
    if not risks:
        return None
    basis = [*(o.basis_row() for o in ordered), *([potassium.basis_row()] if potassium else []),
             *(m.basis_row() for m in sparing), *(o.basis_row() for o in sparing_drafts), *facts.kidney.evidence]
    advice = [say("advice.do-not-give" if high else "advice.lowest-dose")]
    if potassium is None:
        advice.append(say("advice.no-result"))
    advice.append(say("advice.contraindications"))
    return draft_card(
        POTASSIUM_HYPERKALEMIA,
        summary=say("summary", risks=" and ".join(risks)),
        indicator="critical" if high else "warning",
        basis=basis,
        advice=advice,
        evidence=say("evidence"),
        source=citations.OPENFDA_LABELS,
        further_reading=(citations.STATPEARLS_HYPOKALEMIA,),
        suggestions=_remove(facts, POTASSIUM_HYPERKALEMIA, ordered, recommended=high),
    )


def _magnesium(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    ordered = orders.checked_in(Concept.MAGNESIUM_SUPPLEMENT)
    if not ordered or not facts.kidney.severe:
        return None
    say = _say(facts, MAGNESIUM_RENAL)
    return draft_card(
        MAGNESIUM_RENAL,
        summary=say("summary"),
        indicator="warning",
        basis=_rows(ordered) + list(facts.kidney.evidence),
        advice=[say("advice.reduced-dose"), say("advice.toxicity")],
        evidence=say("evidence"),
        source=citations.OPENFDA_LABELS,
        suggestions=_remove(facts, MAGNESIUM_RENAL, ordered),
    )


def _valproate(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    ordered = orders.checked_in(Concept.VALPROATE)
    could, why = facts.could_become_pregnant()
    if not ordered or not (could or facts.is_pregnant):
        return None
    pregnant = facts.is_pregnant
    say = _say(facts, VALPROATE_PREGNANCY)
    summary = say("summary.pregnant") if pregnant else say("summary")
    advice = [say("advice.pregnant")] if pregnant else []
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
        suggestions=_remove(facts, VALPROATE_PREGNANCY, ordered, recommended=pregnant),
        handout_topic="epilepsy",
    )


def _valproate_under_55(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    """Someone who cannot become pregnant but is under 55 (in practice: men, and girls before menarche): the MHRA
    start restriction still applies; men get the paternal-exposure precautions. An unknown age counts as under 55
    (the safer error), and the card says the age is not recorded."""
    ordered = orders.checked_in(Concept.VALPROATE)
    age = facts.demographics.age_years
    restricted_below = facts.thresholds.whole(Limit.VALPROATE_START_RESTRICTED_BELOW_AGE)
    could, _ = facts.could_become_pregnant()
    if not ordered or could or facts.is_pregnant or (age is not None and age >= restricted_below):
        return None
    say = _say(facts, VALPROATE_UNDER_55)
    advice = [say("advice.age-unknown", age_limit=str(restricted_below))] if age is None else []
    advice.append(say("advice.start-restriction", age_limit=str(restricted_below)))
    if facts.medications_in(Concept.VALPROATE):
        advice.append(say("advice.already-taking"))
    if facts.demographics.sex == "male":
        advice.append(say("advice.men"))
    return draft_card(
        VALPROATE_UNDER_55,
        summary=say("summary" if age is not None else "summary.age-unknown", age_limit=str(restricted_below)),
        indicator="warning",
        basis=_rows(ordered) + [facts.demographics.basis_row(), *(m.basis_row() for m in
                                                                  facts.medications_in(Concept.VALPROATE))],
        advice=advice,
        evidence=say("evidence"),
        source=citations.MHRA_VALPROATE_MEN_2025,
        further_reading=(citations.MHRA_VALPROATE_MEN, citations.NICE_NG217_EPILEPSY),
        suggestions=_remove(facts, VALPROATE_UNDER_55, ordered),
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
    say = _say(facts, LAMOTRIGINE_VALPROATE)
    return draft_card(
        LAMOTRIGINE_VALPROATE,
        summary=say("summary"),
        indicator="warning",
        basis=list(dict.fromkeys(basis)),
        advice=[say("advice.halved-titration"), say("advice.rash")],
        evidence=say("evidence"),
        source=citations.OPENFDA_LABELS,
        further_reading=(citations.NICE_NG217_EPILEPSY,),
        # The lamotrigine draft when it is the one being started with valproate, else the valproate draft; the
        # advice is to go ahead with the halved titration, so removal is offered, not recommended.
        suggestions=_remove(facts, LAMOTRIGINE_VALPROATE, hits[0][0]),
        handout_topic="epilepsy",
    )


def _botulinum(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    ordered = orders.checked_in(Concept.BOTULINUM_TOXIN)
    disorders = facts.conditions_in(Concept.NMJ_DISORDER)
    if not ordered or not disorders:
        return None
    say = _say(facts, BOTULINUM_NMJ)
    return draft_card(
        BOTULINUM_NMJ,
        summary=say("summary"),
        indicator="warning",
        basis=_rows(ordered, disorders),
        advice=[say("advice.neurologist"), say("advice.seek-help")],
        evidence=say("evidence"),
        source=citations.OPENFDA_LABELS,
        further_reading=(citations.AAN_2016_BOTULINUM,),
        suggestions=_remove(facts, BOTULINUM_NMJ, ordered),
        handout_topic="botulinum-toxin",
    )


def _botulinum_pregnancy(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    ordered = orders.checked_in(Concept.BOTULINUM_TOXIN)
    if not ordered or not facts.is_pregnant:
        return None
    say = _say(facts, BOTULINUM_PREGNANCY)
    return draft_card(
        BOTULINUM_PREGNANCY,
        summary=say("summary"),
        indicator="warning",
        basis=_rows(ordered) + list(facts.pregnancy),
        advice=[say("advice.defer")],
        evidence=say("evidence"),
        source=citations.OPENFDA_LABELS,
        suggestions=_remove(facts, BOTULINUM_PREGNANCY, ordered),
        handout_topic="botulinum-toxin",
    )


def _botulinum_child(facts: ChartFacts, orders: OrdersUnderReview) -> CardDraft | None:
    ordered = orders.checked_in(Concept.BOTULINUM_TOXIN)
    caution = below_botulinum_age(facts)
    if not ordered or not caution:
        return None
    say = _say(facts, BOTULINUM_CHILD)
    return draft_card(
        BOTULINUM_CHILD,
        summary=say("summary", min_age=str(facts.thresholds.whole(Limit.BOTULINUM_MIN_AGE_YEARS))),
        indicator="warning",
        basis=_rows(ordered) + [facts.demographics.basis_row()],
        advice=[caution, botulinum_age_limits(facts)],
        evidence=say("evidence"),
        source=citations.OPENFDA_LABELS,
        further_reading=(citations.AAN_2019_TICS,),
        suggestions=_remove(facts, BOTULINUM_CHILD, ordered),
        handout_topic="botulinum-toxin",
    )


CHECKS: tuple[Callable[[ChartFacts, OrdersUnderReview], CardDraft | None], ...] = (
    _potassium, _magnesium, _valproate, _valproate_under_55, _lamotrigine_valproate, _botulinum,
    _botulinum_pregnancy, _botulinum_child,
)


def evaluate(facts: ChartFacts, orders: OrdersUnderReview) -> list[CardDraft]:
    """One card per check that found a hazard; checks that found nothing say nothing."""
    return [card for check in CHECKS if (card := check(facts, orders)) is not None]
