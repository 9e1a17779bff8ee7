"""Electrolytes: a card per low magnesium, potassium, sodium or calcium, or one card asking for the panel.

Diet first, a supplement proposal when diet is not enough and it is safe, and the hazards spelled out: magnesium and
potassium with kidney disease, potassium with potassium-sparing diuretics, sodium over-correction, and "correct
magnesium first" when potassium or calcium are low too. Sodium gets a cause work-up, never a salt prescription.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from .. import calcium_adjustment, citations
from ..drafting import SEVERITY_INDICATORS, RuleInfo, draft_card
from ..facts import BasisRow, ChartFacts, LabNote, LabResult, format_number
from ..markdown import escape_markdown
from ..model import CardDraft, Suggestion
from ..suggestions import medication_proposal, service_proposal
from ..terminology import Concept
from ..thresholds import CANONICAL_UNIT, Analyte, Limit, Severity

MAGNESIUM_LOW = RuleInfo("electrolyte.magnesium.low", "Low magnesium in a patient with facial twitching")
POTASSIUM_LOW = RuleInfo("electrolyte.potassium.low", "Low potassium in a patient with facial twitching")
SODIUM_LOW = RuleInfo("electrolyte.sodium.low", "Low sodium in a patient with facial twitching")
CALCIUM_LOW = RuleInfo("electrolyte.calcium.low", "Low calcium in a patient with facial twitching")
PANEL_MISSING = RuleInfo("electrolyte.panel.missing", "No recent electrolytes for facial twitching")
RULES = (MAGNESIUM_LOW, POTASSIUM_LOW, SODIUM_LOW, CALCIUM_LOW, PANEL_MISSING)

HANDOUT = "electrolytes"
PANEL_TESTS = (
    ("19123-9", "Magnesium [Mass/volume] in Serum or Plasma"),
    ("2823-3", "Potassium [Moles/volume] in Serum or Plasma"),
    ("2951-2", "Sodium [Moles/volume] in Serum or Plasma"),
    ("17861-6", "Calcium [Mass/volume] in Serum or Plasma"),
    ("1751-7", "Albumin [Mass/volume] in Serum or Plasma"),
)

_DUODECIM_NO_TRIAL = (
    "Magnesium is sometimes used for twitching itself, but Duodecim EBM Guidelines notes there is no research "
    "evidence of its effect; benign eyelid myokymia usually settles on its own within days."
)


@dataclass(frozen=True)
class LowElectrolyte:
    """A low result that earns a card: the deciding result plus results shown alongside it."""

    rule: RuleInfo
    result: LabResult
    alongside: tuple[LabResult, ...] = ()


def low_electrolytes(facts: ChartFacts) -> tuple[LowElectrolyte, ...]:
    """Each low analyte once. Calcium: ionized decides when measured (true hypocalcaemia), else albumin-adjusted
    calcium (the lab's, or calculated), else total calcium; the others are shown alongside."""
    found = [
        LowElectrolyte(rule, facts.labs[analyte])
        for analyte, rule in ((Analyte.MAGNESIUM, MAGNESIUM_LOW), (Analyte.POTASSIUM, POTASSIUM_LOW),
                              (Analyte.SODIUM, SODIUM_LOW))
        if analyte in facts.labs and facts.labs[analyte].is_low
    ]
    ionized, adjusted, total = (facts.labs.get(analyte) for analyte in
                                (Analyte.CALCIUM_IONIZED, Analyte.CALCIUM_ADJUSTED, Analyte.CALCIUM_TOTAL))
    if adjusted is not None and total is not None and adjusted.effective < total.effective:
        adjusted = None  # an older adjusted value says nothing about the newer total
    deciding = ionized or adjusted or total
    if deciding is not None and deciding.is_low:
        alongside = tuple(result for result in (adjusted, total) if result is not None and result is not deciding)
        found.append(LowElectrolyte(CALCIUM_LOW, deciding, alongside))
    return tuple(found)


def panel_missing(facts: ChartFacts) -> bool:
    """No usable magnesium, potassium, sodium or calcium result within the recency window, or a result no other
    card mentions that could not be used (unreadable unit, preliminary critical value): never silently dropped."""
    return not facts.labs or bool(unmentioned_notes(facts))


def evaluate(facts: ChartFacts) -> list[CardDraft]:
    if panel_missing(facts):
        return [_panel_card(facts)]
    return [_BUILDERS[low.rule](facts, low) for low in low_electrolytes(facts)]


# --- shared pieces ---------------------------------------------------------------------------------------------

_ALSO_LOW_NAMES = {Analyte.POTASSIUM: "potassium", Analyte.CALCIUM_IONIZED: "calcium",
                   Analyte.CALCIUM_ADJUSTED: "calcium", Analyte.CALCIUM_TOTAL: "calcium"}
_CARD_ANALYTES = {MAGNESIUM_LOW: {Analyte.MAGNESIUM}, POTASSIUM_LOW: {Analyte.POTASSIUM},
                  SODIUM_LOW: {Analyte.SODIUM},
                  CALCIUM_LOW: {Analyte.CALCIUM_TOTAL, Analyte.CALCIUM_ADJUSTED, Analyte.CALCIUM_IONIZED}}


def _notes(facts: ChartFacts, low: LowElectrolyte) -> list[str]:
    """Results of this card's analyte that were not used (unreadable unit, newer preliminary critical value)."""
    return [note.sentence() for note in facts.lab_notes if note.analyte in _CARD_ANALYTES[low.rule]]


def unmentioned_notes(facts: ChartFacts) -> tuple[LabNote, ...]:
    """Notes no low-electrolyte card will show: the panel card must show them instead."""
    shown = {analyte for low in low_electrolytes(facts) for analyte in _CARD_ANALYTES[low.rule]}
    return tuple(note for note in facts.lab_notes if note.analyte not in shown)

_SUMMARY_VALUE_LIMIT = 16


def _summary(name: str, low: LowElectrolyte, action: str) -> str:
    """The value as reported when that is short (e.g. "1.1 mg/dL"), else in mmol/L, so a verbose unit text from a
    lab can never push the summary past its limit."""
    result = low.result
    shown = result.original if len(result.original) <= _SUMMARY_VALUE_LIMIT else \
        f"{format_number(result.value)} {CANONICAL_UNIT}"
    return f"{name} {shown} ({result.severity}) with facial twitching: {action}"


def _basis(facts: ChartFacts, low: LowElectrolyte, *extra: BasisRow) -> list[BasisRow]:
    rows = [low.result.basis_row(), *(r.basis_row() for r in low.alongside), *extra]
    return rows + facts.twitching_rows()


def _magnesium_first(facts: ChartFacts, name: str) -> tuple[list[BasisRow], list[str]]:
    """Low magnesium keeps potassium and calcium low: show it and say so (or ask for it when unmeasured)."""
    magnesium = facts.labs.get(Analyte.MAGNESIUM)
    if magnesium is None:
        return [], [f"Magnesium has not been measured recently: check it, because low magnesium makes low {name} "
                    "hard to correct."]
    if magnesium.is_low:
        return [magnesium.basis_row()], [f"Magnesium is also low: correct magnesium first (or together), otherwise "
                                         f"{name} will not stay corrected."]
    return [], []


def _severe_warning(result: LabResult, treatment: str) -> list[str]:
    if result.severity is not Severity.SEVERE:
        return []
    return [f"Severe: arrange same-day assessment; {treatment}. Oral supplements and diet are not enough."]


def _child_dosing(facts: ChartFacts) -> list[str]:
    """Supplement proposals carry no dose; for a child say where the dose comes from."""
    if not facts.demographics.is_child:
        return []
    return [f"The patient is {facts.demographics.age_years} years old: the proposal carries no dose, and children's "
            "doses go by weight - take the dose from a paediatric formulary."]


def _supplement(facts: ChartFacts, low: LowElectrolyte, *, key: str, rxnorm: str, display: str,
                text: str) -> Suggestion:
    return Suggestion(
        key=key,
        label=f"Propose {text.lower()} (if diet is not enough)",
        resources=(medication_proposal(facts.patient_id, rxnorm=rxnorm, display=display, text=text,
                                       reasons=[low.result.reference]),),
    )


# --- magnesium --------------------------------------------------------------------------------------------------

def _magnesium_card(facts: ChartFacts, low: LowElectrolyte) -> CardDraft:
    kidney = facts.kidney
    advice = _severe_warning(low.result, "replacement is usually intravenous, with monitoring")
    advice += [
        "Look for the cause: poor intake, alcohol, diarrhoea, diuretics or proton-pump inhibitors.",
        "Diet: magnesium-rich foods such as pumpkin and sunflower seeds, nuts (almonds, cashews), whole grains, "
        "beans and lentils, and green leafy vegetables.",
    ]
    suggestions: list[Suggestion] = []
    if kidney.severe:
        advice.append("Kidney function is severely reduced: magnesium leaves the body only through the kidneys, so "
                      "no supplement is proposed here. Replace only with specialist advice and close monitoring.")
    elif low.result.severity is not Severity.SEVERE:
        advice.append("If diet is not enough, an oral magnesium supplement; recheck magnesium after a few weeks.")
        if kidney.ckd:
            advice.append("Kidney function is reduced: start low and recheck magnesium, because it is cleared only "
                          "by the kidneys.")
        suggestions.append(_supplement(facts, low, key="magnesium-supplement", rxnorm="6574", display="magnesium",
                                       text="Oral magnesium supplement"))
        advice += _child_dosing(facts)
    others = [low.result for low in low_electrolytes(facts) if low.rule in (POTASSIUM_LOW, CALCIUM_LOW)]
    if others:
        names = " and ".join(_ALSO_LOW_NAMES[result.analyte] for result in others)
        advice.append(f"{names.capitalize()} {'are' if len(others) > 1 else 'is'} also low: correct magnesium "
                      f"first, otherwise {'they' if len(others) > 1 else 'it'} will not stay corrected.")
    advice += _notes(facts, low)
    return draft_card(
        MAGNESIUM_LOW,
        summary=_summary("Low magnesium", low, "replace and find the cause"),
        indicator=SEVERITY_INDICATORS[low.result.severity or Severity.MILD],
        basis=_basis(facts, low, *(r.basis_row() for r in others), *kidney.evidence),
        advice=advice,
        evidence="Severity bands: symptoms usually appear below 1.2 mg/dL (0.5 mmol/L); below 1.0 mg/dL is a "
                 "laboratory critical value (StatPearls). Magnesium salts are excreted only by the kidneys (product "
                 "labels: caution in renal impairment). " + _DUODECIM_NO_TRIAL,
        source=citations.STATPEARLS_HYPOMAGNESEMIA,
        further_reading=(citations.DUODECIM_MYOKYMIA,),
        suggestions=suggestions,
        handout_topic=HANDOUT,
    )


# --- potassium --------------------------------------------------------------------------------------------------

def _potassium_card(facts: ChartFacts, low: LowElectrolyte) -> CardDraft:
    kidney = facts.kidney
    sparing = facts.medications_in(Concept.POTASSIUM_SPARING_DIURETIC)
    magnesium_rows, magnesium_advice = _magnesium_first(facts, "potassium")
    advice = _severe_warning(low.result, "check an ECG; intravenous potassium only with cardiac monitoring")
    advice += [
        "Look for the cause: diuretics (loop or thiazide), vomiting or diarrhoea, low magnesium.",
        "Diet: potassium-rich foods such as potatoes, avocado, bananas, beans and lentils, tomatoes and dried fruit.",
        *magnesium_advice,
        *_notes(facts, low),
    ]
    unsafe = []
    if kidney.ckd:
        unsafe.append("chronic kidney disease")
    if sparing:
        unsafe.append("a potassium-sparing diuretic (" + ", ".join(escape_markdown(m.label) for m in sparing) + ")")
    suggestions: list[Suggestion] = []
    if unsafe:
        advice.append("No potassium supplement is proposed because of " + " and ".join(unsafe) + ": "
                      + ("these raise" if len(unsafe) > 1 else "this raises") + " the risk of dangerously high "
                      "potassium. Replace only with close monitoring of potassium.")
    elif low.result.severity is not Severity.SEVERE:
        advice.append("If diet is not enough, oral potassium chloride; recheck potassium within days.")
        suggestions.append(_supplement(facts, low, key="potassium-supplement", rxnorm="8591",
                                       display="potassium chloride", text="Oral potassium chloride"))
        advice += _child_dosing(facts)
    return draft_card(
        POTASSIUM_LOW,
        summary=_summary("Low potassium", low, "replace and find the cause"),
        indicator=SEVERITY_INDICATORS[low.result.severity or Severity.MILD],
        basis=_basis(facts, low, *magnesium_rows, *kidney.evidence, *(m.basis_row() for m in sparing)),
        advice=advice,
        evidence="Severity bands mild 3.0-3.4, moderate 2.5-2.9, severe below 2.5 mmol/L (StatPearls). Potassium "
                 "chloride labels: contraindicated in hyperkalaemia; kidney disease, acidosis, adrenal insufficiency "
                 "and potassium-sparing diuretics raise the risk of hyperkalaemia. No trial evidence links potassium "
                 "to relief of facial twitching itself.",
        source=citations.STATPEARLS_HYPOKALEMIA,
        suggestions=suggestions,
        handout_topic=HANDOUT,
    )


# --- sodium -----------------------------------------------------------------------------------------------------

def _sodium_card(facts: ChartFacts, low: LowElectrolyte) -> CardDraft:
    limits = facts.thresholds
    careful, maximum = (f"{limits[limit]:g}" for limit in (Limit.SODIUM_CORRECTION_HIGH_RISK_MAX,
                                                            Limit.SODIUM_CORRECTION_MAX))
    high_risk_below = limits[Limit.SODIUM_HIGH_RISK_BELOW]
    risks = []
    if low.result.value < high_risk_below:
        risks.append(f"sodium below {high_risk_below:g} mmol/L")
    potassium = facts.labs.get(Analyte.POTASSIUM)
    if potassium is not None and potassium.is_low:
        risks.append("low potassium")
    advice = []
    if low.result.severity is Severity.SEVERE:
        advice.append("Profound hyponatraemia: assess urgently for confusion, vomiting, drowsiness or seizures; "
                      "severe symptoms need emergency treatment in hospital.")
    advice += [
        "Find the cause before treating: fluid status, medicines (especially thiazide diuretics), SIADH, and "
        "intake or losses (vomiting, diarrhoea, heavy sweating, very low food intake).",
        "Extra dietary salt helps only when low intake or salt losses explain the result; it does not treat SIADH or "
        "diuretic-related hyponatraemia, so do not advise salting food without a cause that fits.",
        f"When correcting, raise sodium by no more than {careful}-{maximum} mmol/L in "
        f"any 24 hours, and by less than {careful} mmol/L in high-risk patients (sodium below {high_risk_below:g}, "
        "alcohol use disorder, low potassium, liver disease, malnutrition): faster correction can cause osmotic demyelination.",
    ]
    advice += _notes(facts, low)
    if risks:
        advice.append(f"This patient is high-risk ({', '.join(risks)}): keep correction under {careful} mmol/L "
                      "in 24 hours.")
    return draft_card(
        SODIUM_LOW,
        summary=_summary("Low sodium", low, "find the cause; correct slowly"),
        indicator=SEVERITY_INDICATORS[low.result.severity or Severity.MILD],
        basis=_basis(facts, low, *([potassium.basis_row()] if potassium and potassium.is_low else [])),
        advice=advice,
        evidence="Classification mild 130-134, moderate 125-129, profound below 125 mmol/L (European guideline). "
                 "Osmotic demyelination has occurred even at 10 mmol/L per 24 h or less; high-risk patients should "
                 "stay below 8 (Kidney360 2021). No trial evidence links salt intake to relief of facial twitching.",
        source=citations.HYPONATRAEMIA_GUIDELINE,
        further_reading=(citations.KIDNEY360_ODS, citations.STATPEARLS_HYPONATREMIA),
        handout_topic=HANDOUT,
    )


# --- calcium ----------------------------------------------------------------------------------------------------

_CALCIUM_NAMES = {Analyte.CALCIUM_IONIZED: "Low ionized calcium", Analyte.CALCIUM_ADJUSTED: "Low adjusted calcium",
                  Analyte.CALCIUM_TOTAL: "Low calcium"}


def _calcium_basis_sentences(facts: ChartFacts, result: LabResult) -> list[str]:
    """What the grade rests on: ionized, the lab's adjusted value, a calculated one (with its formula), or the
    total alone (with why the albumin on the chart could not adjust it)."""
    if result.analyte is Analyte.CALCIUM_IONIZED:
        return ["Ionized calcium is low, which confirms true hypocalcaemia."]
    if result.analyte is Analyte.CALCIUM_ADJUSTED and result.derivation:
        return [f"Graded on albumin-adjusted calcium, calculated {escape_markdown(result.derivation)}: "
                f"{calcium_adjustment.formula(facts.thresholds)}. This is an estimate, unreliable in critical illness, acid-base "
                "disturbance, kidney failure and paraproteinaemia: measure ionized calcium to confirm."]
    if result.analyte is Analyte.CALCIUM_ADJUSTED:
        return ["Graded on the laboratory's albumin-adjusted calcium; ionized calcium confirms true hypocalcaemia."]
    return [facts.calcium_adjustment_problem or "Check albumin-adjusted or ionized calcium: low albumin lowers "
            "total calcium without true hypocalcaemia."]


def _calcium_card(facts: ChartFacts, low: LowElectrolyte) -> CardDraft:
    magnesium_rows, magnesium_advice = _magnesium_first(facts, "calcium")
    ionized = low.result.analyte is Analyte.CALCIUM_IONIZED
    calculated = bool(low.result.derivation)
    advice = _severe_warning(low.result, "intravenous calcium with cardiac monitoring is the treatment")
    advice += [
        "Any tetany, laryngospasm, seizure or QT prolongation makes this an emergency whatever the number.",
        *_calcium_basis_sentences(facts, low.result),
        "Examine for Chvostek sign (a facial twitch when the facial nerve is tapped in front of the ear) and "
        "Trousseau sign: facial twitching can itself be a sign of low calcium.",
        "Look for the cause: vitamin D deficiency, low magnesium, low parathyroid hormone (e.g. after neck "
        "surgery), kidney disease; measure phosphate, PTH, vitamin D and magnesium.",
        *magnesium_advice,
        *_notes(facts, low),
        "Diet: calcium-rich foods such as milk, yoghurt and cheese, calcium-fortified plant drinks, tinned fish "
        "eaten with the bones, and green leafy vegetables.",
    ]
    suggestions: list[Suggestion] = []
    if low.result.severity is not Severity.SEVERE:
        advice.append("If diet is not enough, oral calcium (e.g. calcium carbonate), often with vitamin D when "
                      "it is low; recheck calcium.")
        suggestions.append(_supplement(facts, low, key="calcium-supplement", rxnorm="1897",
                                       display="calcium carbonate", text="Oral calcium carbonate"))
        advice += _child_dosing(facts)
    albumin = [facts.albumin.basis_row()] if facts.albumin and not ionized else []
    return draft_card(
        CALCIUM_LOW,
        summary=_summary(_CALCIUM_NAMES[low.result.analyte], low, "check Chvostek sign, albumin and magnesium"),
        indicator=SEVERITY_INDICATORS[low.result.severity or Severity.MILD],
        basis=_basis(facts, low, *albumin, *magnesium_rows),
        advice=advice,
        evidence="True hypocalcaemia: ionized calcium below 1.15 mmol/L (CMDT). Severe: adjusted calcium below "
                 "1.9 mmol/L (7.6 mg/dL) or any symptoms - emergency treatment with intravenous calcium (Society "
                 "for Endocrinology 2016); ionized below 0.9 mmol/L is graded severe here as its ionized equivalent "
                 "(no guideline grades ionized calcium). Low magnesium "
                 "makes low calcium refractory.",
        source=citations.SFE_HYPOCALCAEMIA,
        further_reading=(citations.PAYNE_1973_ADJUSTED_CALCIUM,) if calculated else (),
        suggestions=suggestions,
        handout_topic=HANDOUT,
    )


# --- nothing measured -------------------------------------------------------------------------------------------

def _panel_card(facts: ChartFacts) -> CardDraft:
    since = facts.today - timedelta(days=facts.lab_recency_days)
    tests = tuple(
        service_proposal(facts.patient_id, text=display, loinc=(code, display),
                         reasons=[f.reference for f in facts.twitching])
        for code, display in PANEL_TESTS
    )
    notes = unmentioned_notes(facts)
    if facts.labs:
        summary = "Facial twitching: a recent electrolyte result could not be used; review it (details)"
        basis = [*(result.basis_row() for result in facts.labs.values()), *facts.twitching_rows()]
    else:
        summary = "Facial twitching and no recent electrolytes: consider magnesium, potassium, sodium and calcium"
        basis = [BasisRow("Magnesium, potassium, sodium, calcium", "no usable result", "",
                          f"none since {since.isoformat()} ({facts.lab_recency_days} days)", "Observation search"),
                 *facts.twitching_rows()]
    return draft_card(
        PANEL_MISSING,
        summary=summary,
        indicator="info",
        basis=basis,
        advice=[
            *(note.sentence() for note in notes),
            "Low magnesium, potassium, sodium or calcium can cause muscle twitching and are easy to correct.",
            "Test when twitching persists, spreads beyond one eyelid, or comes with cramps, tingling or weakness; "
            "add albumin to interpret total calcium.",
            "Brief eyelid twitching in one muscle that settles within days needs no tests.",
        ],
        evidence="Duodecim EBM Guidelines: no investigations are needed for benign myokymia of one muscle that does "
                 "not spread; electrolyte causes of twitching are treatable when present. Test codes from the HL7 "
                 "PDDI LOINC value sets.",
        source=citations.DUODECIM_MYOKYMIA,
        further_reading=(citations.PDDI_MAGNESIUM_LOINC,),
        suggestions=[Suggestion(key="electrolyte-panel", label="Order magnesium, potassium, sodium, calcium and "
                                "albumin", resources=tests, is_recommended=True)],
        handout_topic=HANDOUT,
    )


_BUILDERS: dict[RuleInfo, Callable[[ChartFacts, LowElectrolyte], CardDraft]] = {
    MAGNESIUM_LOW: _magnesium_card,
    POTASSIUM_LOW: _potassium_card,
    SODIUM_LOW: _sodium_card,
    CALCIUM_LOW: _calcium_card,
}

