"""The three CDS services declared as data: hook, wording, and the prefetch each one needs.

Prefetch templates ask only for what the rules use: the Observation search is filtered by the exact codes the
knowledge layer reads (never a type-level fetch of every Observation). Each key states what it feeds and whether
the service can still answer without it (`required`): a missing required key means 412, a missing optional key
means the rules run without it and the logs say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from cards import Knowledge

from .models import Hook, ServiceDefinition


class ChartPart(StrEnum):
    """Which part of the chart a prefetch key fills."""

    patient = "patient"
    observations = "observations"
    conditions = "conditions"
    medications = "medications"
    medication_statements = "medication_statements"


@dataclass(frozen=True)
class PrefetchKey:
    name: str
    template: str
    part: ChartPart
    required: bool


@dataclass(frozen=True)
class CdsService:
    id: str
    hook: Hook
    title: str
    description: str
    usage_requirements: str
    prefetch: tuple[PrefetchKey, ...]
    knowledge: Mapping[str, str]  # release and content hash of the knowledge it runs

    def definition(self) -> ServiceDefinition:
        return ServiceDefinition(
            hook=self.hook,
            title=self.title,
            description=self.description,
            id=self.id,
            prefetch={key.name: key.template for key in self.prefetch},
            usageRequirements=self.usage_requirements,
            extension={KNOWLEDGE_EXTENSION: dict(self.knowledge)},
        )


OBSERVATION_PAGE_SIZE = 200
# Discovery extension (CDS Hooks 2.0 `extension`): which knowledge release and content each service runs.
KNOWLEDGE_EXTENSION = "facial-twitch-cds-knowledge"

_USAGE = (
    "Grant read access to Patient, Observation, Condition, MedicationRequest, MedicationStatement and Medication "
    "for the patient in context (SMART scopes patient/Patient.read patient/Observation.read patient/Condition.read "
    "patient/MedicationRequest.read patient/MedicationStatement.read patient/Medication.read). MedicationStatement "
    "(home medications) is optional: without it only prescriptions are read. Medications named by reference are "
    "read from the prefetch (_include) or fetched. Cards appear only for patients with documented facial twitching."
)


def _code_filter(codings: Iterable[tuple[str, str]]) -> str:
    return ",".join(f"{system}|{code}" for system, code in codings)


def chart_prefetch(knowledge: Knowledge) -> tuple[PrefetchKey, ...]:
    """The patient's chart, narrowed to what the rules read; shared by every service."""
    observation_search = (
        "Observation?patient={{context.patientId}}"
        f"&code={_code_filter(knowledge.observation_codings())}"
        f"&_sort=-date&_count={OBSERVATION_PAGE_SIZE}"
    )
    return (
        PrefetchKey("patient", "Patient/{{context.patientId}}", ChartPart.patient, required=False),
        PrefetchKey("observations", observation_search, ChartPart.observations, required=True),
        PrefetchKey("conditions", "Condition?patient={{context.patientId}}", ChartPart.conditions, required=True),
        PrefetchKey(
            "medications",
            "MedicationRequest?patient={{context.patientId}}&status=active&_include=MedicationRequest:medication",
            ChartPart.medications,
            required=True,
        ),
        PrefetchKey(
            "medicationStatements",
            "MedicationStatement?patient={{context.patientId}}&status=active,intended"
            "&_include=MedicationStatement:medication",
            ChartPart.medication_statements,
            required=False,
        ),
    )


def build_services(knowledge: Knowledge) -> dict[str, CdsService]:
    """Every service this deployment offers, by id (ids equal the hook names)."""
    prefetch = chart_prefetch(knowledge)
    version = {"release": knowledge.release, "contentHash": knowledge.content_hash, "version": knowledge.version}
    services = (
        CdsService(
            id=Hook.PATIENT_VIEW.value,
            hook=Hook.PATIENT_VIEW,
            title="Facial twitching: causes and treatment",
            description=(
                "For patients with documented facial twitching (myokymia, facial or hemifacial spasm, "
                "blepharospasm, tics): checks electrolytes (magnesium, potassium, sodium, calcium), stress, "
                "epilepsy, multiple sclerosis, poisoning and red flags, and suggests the next step with its evidence."
            ),
            usage_requirements=_USAGE,
            prefetch=prefetch,
            knowledge=version,
        ),
        CdsService(
            id=Hook.ORDER_SELECT.value,
            hook=Hook.ORDER_SELECT,
            title="Facial twitching: order safety while selecting",
            description=(
                "Checks the selected medication orders of a patient with facial twitching for hazards: potassium "
                "or magnesium with kidney disease or high potassium, valproate and pregnancy, lamotrigine with "
                "valproate, botulinum toxin with a neuromuscular junction disorder."
            ),
            usage_requirements=_USAGE,
            prefetch=prefetch,
            knowledge=version,
        ),
        CdsService(
            id=Hook.ORDER_SIGN.value,
            hook=Hook.ORDER_SIGN,
            title="Facial twitching: order safety before signing",
            description=(
                "The order-select checks again on every order about to be signed, for a patient with facial twitching."
            ),
            usage_requirements=_USAGE,
            prefetch=prefetch,
            knowledge=version,
        ),
    )
    return {service.id: service for service in services}
