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
from ..model import CardDraft, Indicator, Suggestion
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
_SHARED = "shared.electrolytes"


def _summary(facts: ChartFacts, low: LowElectrolyte, name: str) -> str:
    """The value as reported when that is short (e.g. "1.1 mg/dL"), else in mmol/L, so a verbose unit text from a
    lab can never push the summary past its limit."""
    result = low.result
    shown = result.original if len(result.original) <= _SUMMARY_VALUE_LIMIT else \
        f"{format_number(result.value)} {CANONICAL_UNIT}"
    say = facts.wording.rule(low.rule.rule_id)
    return facts.wording.rule(_SHARED)("summary", name=name, value=shown, severity=str(result.severity),
                                        action=say("action"))


def _basis(facts: ChartFacts, low: LowElectrolyte, *extra: BasisRow) -> list[BasisRow]:
    rows = [low.result.basis_row(), *(r.basis_row() for r in low.alongside), *extra]
    return rows + facts.twitching_rows()


def _magnesium_first(facts: ChartFacts, name: str) -> tuple[list[BasisRow], list[str]]:
    """Low magnesium keeps potassium and calcium low: show it and say so (or ask for it when unmeasured)."""
    magnesium = facts.labs.get(Analyte.MAGNESIUM)
    shared = facts.wording.rule(_SHARED)
    if magnesium is None:
        return [], [shared("magnesium-unmeasured", name=name)]
    if magnesium.is_low:
        return [magnesium.basis_row()], [shared("magnesium-also-low", name=name)]
    return [], []


def _severe_warning(facts: ChartFacts, low: LowElectrolyte) -> list[str]:
    if low.result.severity is not Severity.SEVERE:
        return []
    treatment = facts.wording.rule(low.rule.rule_id)("severe-treatment")
    return [facts.wording.rule(_SHARED)("severe", treatment=treatment)]


def _child_dosing(facts: ChartFacts) -> list[str]:
    """Supplement proposals carry no dose; for a child say where the dose comes from."""
    if not facts.demographics.is_child:
        return []
    return [facts.wording.rule(_SHARED)("child-dosing", age=str(facts.demographics.age_years))]


def _supplement(facts: ChartFacts, low: LowElectrolyte, *, key: str, rxnorm: str, display: str) -> Suggestion:
    text = facts.wording.rule(low.rule.rule_id)("supplement")
    return Suggestion(
        key=key,
        label=facts.wording.rule(_SHARED)("supplement-label", supplement=text.lower()),
        resources=(medication_proposal(facts.patient_id, rxnorm=rxnorm, display=display, text=text,
                                       reasons=[low.result.reference]),),
    )


def _indicator(low: LowElectrolyte) -> Indicator:
    return SEVERITY_INDICATORS[low.result.severity or Severity.MILD]


# --- magnesium --------------------------------------------------------------------------------------------------

def _magnesium_card(facts: ChartFacts, low: LowElectrolyte) -> CardDraft:
    say = facts.wording.rule(MAGNESIUM_LOW.rule_id)
    kidney = facts.kidney
    advice = [*_severe_warning(facts, low), say("advice.cause"), say("advice.diet")]
    suggestions: list[Suggestion] = []
    if kidney.severe:
        advice.append(say("advice.severe-kidney"))
    elif low.result.severity is not Severity.SEVERE:
        advice.append(say("advice.supplement"))
        if kidney.ckd:
            advice.append(say("advice.kidney"))
        suggestions.append(_supplement(facts, low, key="magnesium-supplement", rxnorm="6574", display="magnesium"))
        advice += _child_dosing(facts)
    others = [low.result for low in low_electrolytes(facts) if low.rule in (POTASSIUM_LOW, CALCIUM_LOW)]
    if others:
        names = " and ".join(_ALSO_LOW_NAMES[result.analyte] for result in others).capitalize()
        advice.append(say("advice.correct-first-several" if len(others) > 1 else "advice.correct-first-one",
                          names=names))
    advice += _notes(facts, low)
    return draft_card(
        MAGNESIUM_LOW,
        summary=_summary(facts, low, say("name")),
        indicator=_indicator(low),
        basis=_basis(facts, low, *(r.basis_row() for r in others), *kidney.evidence),
        advice=advice,
        evidence=say("evidence"),
        source=citations.STATPEARLS_HYPOMAGNESEMIA,
        further_reading=(citations.DUODECIM_MYOKYMIA,),
        suggestions=suggestions,
        handout_topic=HANDOUT,
    )


# --- potassium --------------------------------------------------------------------------------------------------

def _potassium_card(facts: ChartFacts, low: LowElectrolyte) -> CardDraft:
    say = facts.wording.rule(POTASSIUM_LOW.rule_id)
    kidney = facts.kidney
    sparing = facts.medications_in(Concept.POTASSIUM_SPARING_DIURETIC)
    magnesium_rows, magnesium_advice = _magnesium_first(facts, "potassium")
    advice = [*_severe_warning(facts, low), say("advice.cause"), say("advice.diet"), *magnesium_advice,
              *_notes(facts, low)]
    unsafe = []
    if kidney.ckd:
        unsafe.append(say("unsafe.kidney"))
    if sparing:
        unsafe.append(say("unsafe.sparing", medicines=", ".join(escape_markdown(m.label) for m in sparing)))
    suggestions: list[Suggestion] = []
    if unsafe:
        advice.append(say("advice.no-supplement-several" if len(unsafe) > 1 else "advice.no-supplement-one",
                          reasons=" and ".join(unsafe)))
    elif low.result.severity is not Severity.SEVERE:
        advice.append(say("advice.supplement"))
        suggestions.append(_supplement(facts, low, key="potassium-supplement", rxnorm="8591",
                                       display="potassium chloride"))
        advice += _child_dosing(facts)
    return draft_card(
        POTASSIUM_LOW,
        summary=_summary(facts, low, say("name")),
        indicator=_indicator(low),
        basis=_basis(facts, low, *magnesium_rows, *kidney.evidence, *(m.basis_row() for m in sparing)),
        advice=advice,
        evidence=say("evidence"),
        source=citations.STATPEARLS_HYPOKALEMIA,
        suggestions=suggestions,
        handout_topic=HANDOUT,
    )


# --- sodium -----------------------------------------------------------------------------------------------------

def _sodium_card(facts: ChartFacts, low: LowElectrolyte) -> CardDraft:
    say = facts.wording.rule(SODIUM_LOW.rule_id)
    limits = facts.thresholds
    careful, maximum, high_risk_below = (
        format_number(limits[limit]) for limit in (Limit.SODIUM_CORRECTION_HIGH_RISK_MAX, Limit.SODIUM_CORRECTION_MAX,
                                                   Limit.SODIUM_HIGH_RISK_BELOW))
    risks = []
    if low.result.value < limits[Limit.SODIUM_HIGH_RISK_BELOW]:
        risks.append(say("risk.below", sodium=high_risk_below))
    potassium = facts.labs.get(Analyte.POTASSIUM)
    if potassium is not None and potassium.is_low:
        risks.append(say("risk.potassium"))
    advice = [say("advice.profound")] if low.result.severity is Severity.SEVERE else []
    advice += [say("advice.cause"), say("advice.salt"),
               say("advice.correction-limits", careful=careful, maximum=maximum, high_risk_below=high_risk_below)]
    advice += _notes(facts, low)
    if risks:
        advice.append(say("advice.high-risk", risks=", ".join(risks), careful=careful))
    return draft_card(
        SODIUM_LOW,
        summary=_summary(facts, low, say("name")),
        indicator=_indicator(low),
        basis=_basis(facts, low, *([potassium.basis_row()] if potassium and potassium.is_low else [])),
        advice=advice,
        evidence=say("evidence"),
        source=citations.HYPONATRAEMIA_GUIDELINE,
        further_reading=(citations.KIDNEY360_ODS, citations.STATPEARLS_HYPONATREMIA),
        handout_topic=HANDOUT,
    )


# --- calcium ----------------------------------------------------------------------------------------------------

_CALCIUM_NAMES = {Analyte.CALCIUM_IONIZED: "name.ionized", Analyte.CALCIUM_ADJUSTED: "name.adjusted",
                  Analyte.CALCIUM_TOTAL: "name.total"}


def _calcium_basis_sentences(facts: ChartFacts, result: LabResult) -> list[str]:
    """What the grade rests on: ionized, the lab's adjusted value, a calculated one (with its formula), or the
    total alone (with why the albumin on the chart could not adjust it)."""
    say = facts.wording.rule(CALCIUM_LOW.rule_id)
    if result.analyte is Analyte.CALCIUM_IONIZED:
        return [say("basis.ionized")]
    if result.analyte is Analyte.CALCIUM_ADJUSTED and result.derivation:
        return [say("basis.calculated", derivation=escape_markdown(result.derivation),
                    formula=calcium_adjustment.formula(facts.thresholds))]
    if result.analyte is Analyte.CALCIUM_ADJUSTED:
        return [say("basis.reported")]
    return [facts.calcium_adjustment_problem or say("basis.total")]


def _calcium_card(facts: ChartFacts, low: LowElectrolyte) -> CardDraft:
    say = facts.wording.rule(CALCIUM_LOW.rule_id)
    magnesium_rows, magnesium_advice = _magnesium_first(facts, "calcium")
    ionized = low.result.analyte is Analyte.CALCIUM_IONIZED
    calculated = bool(low.result.derivation)
    advice = [*_severe_warning(facts, low), say("advice.emergency"), *_calcium_basis_sentences(facts, low.result),
              say("advice.chvostek"), say("advice.cause"), *magnesium_advice, *_notes(facts, low),
              say("advice.diet")]
    suggestions: list[Suggestion] = []
    if low.result.severity is not Severity.SEVERE:
        advice.append(say("advice.supplement"))
        suggestions.append(_supplement(facts, low, key="calcium-supplement", rxnorm="1897",
                                       display="calcium carbonate"))
        advice += _child_dosing(facts)
    albumin = [facts.albumin.basis_row()] if facts.albumin and not ionized else []
    return draft_card(
        CALCIUM_LOW,
        summary=_summary(facts, low, say(_CALCIUM_NAMES[low.result.analyte])),
        indicator=_indicator(low),
        basis=_basis(facts, low, *albumin, *magnesium_rows),
        advice=advice,
        evidence=say("evidence"),
        source=citations.SFE_HYPOCALCAEMIA,
        further_reading=(citations.PAYNE_1973_ADJUSTED_CALCIUM,) if calculated else (),
        suggestions=suggestions,
        handout_topic=HANDOUT,
    )


# --- nothing measured -------------------------------------------------------------------------------------------

def _panel_card(facts: ChartFacts) -> CardDraft:
    say = facts.wording.rule(PANEL_MISSING.rule_id)
    since = facts.today - timedelta(days=facts.lab_recency_days)
    tests = tuple(
        service_proposal(facts.patient_id, text=display, loinc=(code, display),
                         reasons=[f.reference for f in facts.twitching])
        for code, display in PANEL_TESTS
    )
    notes = unmentioned_notes(facts)
    if facts.labs:
        summary = say("summary.unusable")
        basis = [*(result.basis_row() for result in facts.labs.values()), *facts.twitching_rows()]
    else:
        summary = say("summary.none")
        basis = [BasisRow(say("basis.item"), say("basis.value"), "",
                          say("basis.when", since=since.isoformat(), days=str(facts.lab_recency_days)),
                          "Observation search"),
                 *facts.twitching_rows()]
    return draft_card(
        PANEL_MISSING,
        summary=summary,
        indicator="info",
        basis=basis,
        advice=[*(note.sentence() for note in notes), say("advice.treatable"), say("advice.when-to-test"),
                say("advice.no-tests")],
        evidence=say("evidence"),
        source=citations.DUODECIM_MYOKYMIA,
        further_reading=(citations.PDDI_MAGNESIUM_LOINC,),
        suggestions=[Suggestion(key="electrolyte-panel", label=say("suggestion"), resources=tests,
                                is_recommended=True)],
        handout_topic=HANDOUT,
    )


_BUILDERS: dict[RuleInfo, Callable[[ChartFacts, LowElectrolyte], CardDraft]] = {
    MAGNESIUM_LOW: _magnesium_card,
    POTASSIUM_LOW: _potassium_card,
    SODIUM_LOW: _sodium_card,
    CALCIUM_LOW: _calcium_card,
}

