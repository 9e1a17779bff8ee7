"""Refractory twitching: botulinum toxin when twitching has lasted 90 days or more and neither an electrolyte problem
(nor a missing panel) nor poisoning offers a treatable cause first. Evidence is stated per indication."""

from __future__ import annotations

from datetime import timedelta

from .. import citations
from ..drafting import RuleInfo, draft_card
from ..facts import ChartFacts
from ..markdown import escape_markdown
from ..model import CardDraft, Suggestion
from ..suggestions import service_proposal
from ..terminology import Concept
from ..thresholds import Limit
from . import electrolytes

BOTULINUM_TOXIN = RuleInfo("refractory.botulinum-toxin", "Persistent facial twitching: consider botulinum toxin")
RULES = (BOTULINUM_TOXIN,)

EVIDENCE_BY_KIND = (
    (Concept.BLEPHAROSPASM, "Blepharospasm: onabotulinumtoxinA and incobotulinumtoxinA Level B (probably "
                            "effective), abobotulinumtoxinA Level C (possibly effective) - AAN 2016."),
    (Concept.HEMIFACIAL_SPASM, "Hemifacial spasm: Level C (possibly effective) - AAN 2008."),
    (Concept.FACIAL_MYOKYMIA, "Facial or eyelid myokymia: no trial evidence; Duodecim suggests toxin only when "
                              "symptoms persist for months and trouble the patient."),
    (Concept.EYELID_TWITCHING, "Eyelid twitching: no trial evidence; Duodecim suggests toxin only when symptoms "
                               "persist for months and trouble the patient."),
    (Concept.FACIAL_SPASM, "Facial spasm not otherwise specified: no specific trial evidence."),
    (Concept.TIC, "Tics: not rated in the sources used here."),
)


def botulinum_age_limits(facts: ChartFacts) -> str:
    """The licensed ages, stated on every botulinum-toxin card."""
    return (f"Age limits: onabotulinumtoxinA (BOTOX) is licensed for blepharospasm from "
            f"{facts.thresholds.whole(Limit.BOTULINUM_MIN_AGE_YEARS)} years and incobotulinumtoxinA (Xeomin) for "
            "adults (product labels); for tics, the AAN 2019 guideline offers onabotulinumtoxinA to adolescents and "
            "adults only.")


def below_botulinum_age(facts: ChartFacts) -> str:
    """A caution when the recorded age is below every licensed age; "" otherwise (an unknown age is stated in
    the age limits every card carries)."""
    age, youngest = facts.demographics.age_years, facts.thresholds.whole(Limit.BOTULINUM_MIN_AGE_YEARS)
    if age is None or age >= youngest:
        return ""
    return (f"The patient is {age} years old, below the youngest licensed age ({youngest} years): "
            "botulinum toxin only on a paediatric neurologist's or ophthalmologist's decision.")


def evaluate(facts: ChartFacts) -> list[CardDraft]:
    after_days = facts.thresholds.whole(Limit.REFRACTORY_AFTER_DAYS)
    cutoff = facts.today - timedelta(days=after_days)
    persisting = [f for f in facts.twitching
                  if f.reference.startswith("Condition/") and f.documented_since and f.documented_since <= cutoff]
    if (not persisting or electrolytes.low_electrolytes(facts) or electrolytes.panel_missing(facts)
            or facts.conditions_in(Concept.POISONING)):
        return []
    kinds = {concept for fact in persisting for concept in fact.concepts}
    evidence = " ".join(text for kind, text in EVIDENCE_BY_KIND if kind in kinds)
    nmj = facts.conditions_in(Concept.NMJ_DISORDER)
    cautions = []
    if nmj:
        cautions.append("A neuromuscular junction disorder is recorded - " + "; ".join(escape_markdown(c.label) for c in nmj) + ": "
                        "much higher risk of serious weakness, swallowing and breathing problems - only with the "
                        "neurologist's agreement.")
    if facts.is_pregnant:
        cautions.append("Pregnancy is recorded: botulinum toxin is not advised in pregnancy without specialist "
                        "advice; defer where possible.")
    if child := below_botulinum_age(facts):
        cautions.append(child)
    hemifacial = Concept.HEMIFACIAL_SPASM in kinds
    advice = [*cautions]
    if hemifacial:
        advice.append("Hemifacial spasm: MRI first to exclude a secondary cause (e.g. a vessel or mass at the facial "
                      "nerve); microvascular decompression is an option if toxin fails.")
    advice += [
        f"Twitching has been documented for {after_days} days or more: if first-line measures (sleep, "
        "stress, caffeine and alcohol) have not helped, consider botulinum toxin injections through neurology or "
        "ophthalmology.",
        "Do not inject with hypersensitivity to the product or infection at the injection site; myasthenia gravis, "
        "Lambert-Eaton syndrome and ALS carry a higher risk.",
        "Boxed warning: the toxin effect can spread - the patient should seek help at once for trouble "
        "swallowing, speaking or breathing.",
        botulinum_age_limits(facts),
    ]
    reasons = [f.reference for f in persisting]
    suggestions = [Suggestion(
        key="botulinum-assessment",
        label="Refer for botulinum toxin assessment",
        resources=(service_proposal(facts.patient_id, reasons=reasons,
                                    text="Referral for botulinum toxin assessment (neurology or ophthalmology)"),),
        is_recommended=not hemifacial and not child,
    )]
    if hemifacial:
        suggestions.insert(0, Suggestion(
            key="mri-brain",
            label="Request MRI brain (facial nerve)",
            resources=(service_proposal(facts.patient_id, reasons=reasons,
                                        text="MRI brain, with attention to the facial nerve root exit zone"),),
            is_recommended=True,
        ))
    earliest = min(f.documented_since for f in persisting if f.documented_since)
    return [
        draft_card(
            BOTULINUM_TOXIN,
            summary=f"Facial twitching documented since {earliest.isoformat()}: consider botulinum toxin",
            indicator="warning" if cautions else "info",
            basis=[*(f.basis_row() for f in persisting), facts.demographics.basis_row(), *(c.basis_row() for c in nmj),
                   *facts.pregnancy,
                   *(lab.basis_row() for lab in facts.labs.values())],
            basis_notes=[f"Twitching documented for at least {after_days} days (onset, else recorded "
                         "date); recent electrolytes not low; no poisoning recorded."],
            advice=advice,
            evidence=evidence,
            source=citations.AAN_2016_BOTULINUM,
            further_reading=(citations.AAN_2008_BOTULINUM, citations.AAN_2019_TICS, citations.OPENFDA_LABELS,
                             citations.DUODECIM_MYOKYMIA),
            suggestions=suggestions,
            handout_topic="botulinum-toxin",
        )
    ]
