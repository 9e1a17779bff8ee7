"""Red flags: twitching with facial weakness, a new seizure, tetany, or severely low calcium or magnesium needs
same-day review. One card lists every flag found. Differential and provisional diagnoses count here (missing a red
flag is the worse error), and the card says which are not confirmed."""

from __future__ import annotations

from datetime import timedelta

from .. import citations
from ..drafting import RuleInfo, draft_card
from ..facts import BasisRow, ChartFacts, unconfirmed_notes
from ..model import CardDraft, Citation, Suggestion
from ..suggestions import service_proposal
from ..terminology import Concept
from ..thresholds import Analyte, Limit, Severity
from . import electrolytes

URGENT_REVIEW = RuleInfo("redflag.urgent-review", "Red flags with facial twitching", may_silence=False)
RULES = (URGENT_REVIEW,)

_CALCIUM_MAGNESIUM = frozenset({Analyte.MAGNESIUM, Analyte.CALCIUM_TOTAL, Analyte.CALCIUM_ADJUSTED,
                                Analyte.CALCIUM_IONIZED})


def evaluate(facts: ChartFacts) -> list[CardDraft]:
    say = facts.wording.rule(URGENT_REVIEW.rule_id)
    flags: list[str] = []
    advice: list[str] = []
    basis: list[BasisRow] = []
    sources: list[Citation] = [citations.DUODECIM_MYOKYMIA]
    references: list[str] = []

    weakness = facts.conditions_in(Concept.FACIAL_WEAKNESS, including_differential=True)
    if weakness:
        flags.append(say("flag.weakness"))
        advice.append(say("advice.weakness"))
    recent = facts.today - timedelta(days=facts.thresholds.whole(Limit.RECENT_ONSET_DAYS))
    seizures = facts.conditions_in(Concept.SEIZURE_UNSPECIFIED, including_differential=True) + tuple(
        c for c in facts.conditions_in(Concept.EPILEPSY, including_differential=True)
        if c.documented_since and c.documented_since >= recent)
    if seizures:
        flags.append(say("flag.seizure"))
        advice.append(say("advice.seizure"))
        sources.append(citations.NICE_NG217_EPILEPSY)
    tetany = facts.conditions_in(Concept.TETANY, including_differential=True)
    severe_labs = [low.result for low in electrolytes.low_electrolytes(facts)
                   if low.result.analyte in _CALCIUM_MAGNESIUM and low.result.severity is Severity.SEVERE]
    if tetany:
        flags.append(say("flag.tetany"))
    if severe_labs:
        minerals = sorted({"magnesium" if lab.analyte is Analyte.MAGNESIUM else "calcium" for lab in severe_labs})
        flags.append(say("flag.severe-labs", minerals=" and ".join(minerals)))
    if tetany or severe_labs:
        advice.append(say("advice.tetany"))
        sources.append(citations.SFE_HYPOCALCAEMIA)
    if not flags:
        return []

    for fact in (*weakness, *seizures, *tetany):
        basis.append(fact.basis_row())
        references.append(fact.reference)
    for lab in severe_labs:
        basis.append(lab.basis_row())
        references.append(lab.reference)
    review = service_proposal(facts.patient_id, text=say("referral"), reasons=references, priority="urgent")
    return [
        draft_card(
            URGENT_REVIEW,
            summary=say("summary", flags=", ".join(flags)),
            indicator="critical",
            basis=[*basis, *facts.twitching_rows()],
            basis_notes=unconfirmed_notes((*weakness, *seizures, *tetany)),
            advice=advice,
            evidence=say("evidence"),
            source=sources[0],
            further_reading=sources[1:],
            suggestions=[Suggestion(key="urgent-neurology-review", label=say("suggestion"), resources=(review,),
                                    is_recommended=True)],
            handout_topic="eyelid-twitching",
        )
    ]
