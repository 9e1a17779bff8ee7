"""The three CDS services, declared in `cards/knowledge/services.yaml`: hook, wording, and the prefetch they need.

Prefetch templates ask only for what the rules use: the Observation search is filtered by the exact codes the
knowledge layer reads (never a type-level fetch of every Observation). Each key states what it feeds and its
failure mode: `fail` (required: a missing key means 412) or `omit` (the rules run without it and the logs say so).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cards import Knowledge
from cards.knowledge_files import KNOWLEDGE_FILES, read_file

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


# Discovery extension (CDS Hooks 2.0 `extension`): which knowledge release and content each service runs.
KNOWLEDGE_EXTENSION = "facial-twitch-cds-knowledge"
SERVICES_FILE = KNOWLEDGE_FILES / "services.yaml"
_OBSERVATION_CODES = "${observation_codes}"


class FailureMode(StrEnum):
    """What a prefetch key the EHR did not fill, and the service could not fetch, does to the call."""

    fail = "fail"  # 412: the rules would be unsafe without it
    omit = "omit"  # the rules run without it, and the logs say so


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _PrefetchEntry(_Strict):
    template: str = Field(pattern=r"^[A-Z][A-Za-z]+[/?]")
    part: ChartPart
    failure_mode: FailureMode


class _ServiceEntry(_Strict):
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)


class _ServicesFile(_Strict):
    usage_requirements: str = Field(min_length=1)
    prefetch: dict[str, _PrefetchEntry] = Field(min_length=1)
    services: dict[Hook, _ServiceEntry]

    @model_validator(mode="after")
    def _complete(self) -> _ServicesFile:
        if missing := [hook.value for hook in Hook if hook not in self.services]:
            raise ValueError(f"services: missing {', '.join(missing)}")
        if missing := [part.value for part in ChartPart if part not in {e.part for e in self.prefetch.values()}]:
            raise ValueError(f"prefetch: no key fills {', '.join(missing)}")
        return self


@cache
def _declared(path: Path = SERVICES_FILE) -> _ServicesFile:
    return read_file(path, _ServicesFile)


def _code_filter(codings: Iterable[tuple[str, str]]) -> str:
    return ",".join(f"{system}|{code}" for system, code in codings)


def chart_prefetch(knowledge: Knowledge, path: Path = SERVICES_FILE) -> tuple[PrefetchKey, ...]:
    """The patient's chart, narrowed to what the rules read; shared by every service."""
    codes = _code_filter(knowledge.observation_codings())
    return tuple(
        PrefetchKey(name, entry.template.replace(_OBSERVATION_CODES, codes), entry.part,
                    required=entry.failure_mode is FailureMode.fail)
        for name, entry in _declared(path).prefetch.items()
    )


def build_services(knowledge: Knowledge, path: Path = SERVICES_FILE) -> dict[str, CdsService]:
    """Every service this deployment offers, by id (ids equal the hook names)."""
    declared = _declared(path)
    prefetch = chart_prefetch(knowledge, path)
    version = {"release": knowledge.release, "contentHash": knowledge.content_hash, "version": knowledge.version}
    return {
        hook.value: CdsService(id=hook.value, hook=hook, title=entry.title, description=entry.description,
                               usage_requirements=declared.usage_requirements, prefetch=prefetch, knowledge=version)
        for hook, entry in declared.services.items()
    }
