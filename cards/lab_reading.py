"""The lab part of the chart: every analyte's latest usable result, albumin-adjusted calcium, albumin, and the
results a card must mention.

One call from the chart reader, so the lab rules (versions, instants, units, ranges) live together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .calcium_adjustment import adjust_for_albumin
from .facts import LabNote, LabResult, Measurement
from .fhir_reading import ResourceReader
from .labs import latest_measurement, read_lab
from .terminology import Concept
from .thresholds import Age, Analyte, Thresholds

LAB_CONCEPTS: Mapping[Analyte, Concept] = {
    Analyte.MAGNESIUM: Concept.LAB_MAGNESIUM,
    Analyte.POTASSIUM: Concept.LAB_POTASSIUM,
    Analyte.SODIUM: Concept.LAB_SODIUM,
    Analyte.CALCIUM_TOTAL: Concept.LAB_CALCIUM_TOTAL,
    Analyte.CALCIUM_ADJUSTED: Concept.LAB_CALCIUM_ADJUSTED,
    Analyte.CALCIUM_IONIZED: Concept.LAB_CALCIUM_IONIZED,
}


@dataclass(frozen=True)
class LabFacts:
    labs: Mapping[Analyte, LabResult]
    albumin: Measurement | None
    notes: tuple[LabNote, ...]
    calcium_adjustment_problem: str = ""


def read_labs(buckets: Mapping[Concept, Sequence[Mapping[str, Any]]], reader: ResourceReader, *, since: date,
              today: date, age: Age | None, thresholds: Thresholds) -> LabFacts:
    labs: dict[Analyte, LabResult] = {}
    notes: list[LabNote] = []
    for analyte, concept in LAB_CONCEPTS.items():
        reading = read_lab(thresholds.analytes[analyte], buckets.get(concept, ()), reader, since=since, today=today,
                           age=age)
        if reading.result is not None:
            labs[analyte] = reading.result
        notes.extend(reading.notes)
    albumin = latest_measurement(buckets.get(Concept.LAB_ALBUMIN, ()), reader, since=since, name="Albumin",
                                 today=today)
    problem = ""
    total, reported = labs.get(Analyte.CALCIUM_TOTAL), labs.get(Analyte.CALCIUM_ADJUSTED)
    if total is not None and (reported is None or reported.effective < total.effective):
        adjustment = adjust_for_albumin(total, albumin, thresholds)
        problem = adjustment.problem
        if adjustment.result is not None:
            labs[Analyte.CALCIUM_ADJUSTED] = adjustment.result
    return LabFacts(labs, albumin, tuple(notes), problem)
