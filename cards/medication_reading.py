"""Which medicine a MedicationRequest, MedicationStatement or draft order names, in every shape FHIR R4 allows.

`medication[x]` is either a CodeableConcept or a Reference to a Medication (US Core: clients SHALL support both).
The Medication may be contained in the resource (`#id`), sent beside it (a Bundle entry, e.g. from
`_include=MedicationRequest:medication`, addressed as `Medication/id`, an absolute URL or the entry's `fullUrl`), or
only on the FHIR server (then the protocol layer fetches it: `references_to_fetch`). A Medication names its product
in `code` and, for compounds, in each `ingredient.itemCodeableConcept`; the Reference's own `display` is one more
name. Everything is read from raw JSON: a check needs the names and codes, nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement

from .facts import CodedFact
from .fhir_reading import ResourceReader, as_date, reference
from .model import FhirJson
from .terminology import Concept, Terminology, is_mapping

_MEDICATION_PATH = re.compile(r"(?:^|/)(Medication/[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


@dataclass(frozen=True)
class NamedMedication:
    """The names and codes a resource gives its medicine, and where they came from."""

    concepts: tuple[Mapping[str, Any], ...]  # raw CodeableConcepts: medicationCodeableConcept, or Medication codes
    names: tuple[str, ...]  # free-text names outside those concepts (the Reference's display)
    product: str | None  # "Medication/123" or "contained Medication #m1" when named through a reference
    unresolved: str | None  # the reference we could not follow, as written

    def match(self, terminology: Terminology) -> frozenset[Concept]:
        """The medication value sets it belongs to, by code, by coding display and by text."""
        found: frozenset[Concept] = frozenset()
        for concept in self.concepts:
            found = found | terminology.match_concept(concept, with_text=True)
        for name in self.names:
            found = found | terminology.match_text(name)
        return found

    @property
    def label(self) -> str:
        """The prescriber's wording: the concept's text, else the first coding display, else the reference's."""
        for concept in self.concepts:
            text = concept.get("text")
            if isinstance(text, str) and text.strip():
                return text.strip()
        for concept in self.concepts:
            codings = concept.get("coding")
            for coding in codings if isinstance(codings, list) else ():
                if is_mapping(coding) and isinstance(coding.get("display"), str) and coding["display"].strip():
                    return str(coding["display"]).strip()
        return next((name for name in self.names if name.strip()), "medication not named")


def product_path(reference: str) -> str | None:
    """`Medication/id` for a relative or absolute reference to a Medication (a version suffix is ignored)."""
    match = _MEDICATION_PATH.search(reference)
    return match.group(1) if match else None


def index_products(entries: Iterable[Any]) -> dict[str, FhirJson]:
    """Medication resources among Bundle entries, addressable by `Medication/id` and by the entry's `fullUrl`."""
    products: dict[str, FhirJson] = {}
    for entry in entries:
        resource = entry.get("resource") if is_mapping(entry) else None
        if not is_mapping(resource) or resource.get("resourceType") != "Medication":
            continue
        if isinstance(resource.get("id"), str):
            products[f"Medication/{resource['id']}"] = resource
        if isinstance(entry.get("fullUrl"), str):
            products[entry["fullUrl"]] = resource
    return products


def _contained(holder: Mapping[str, Any], local_id: str) -> Mapping[str, Any] | None:
    contained = holder.get("contained")
    for resource in contained if isinstance(contained, list) else ():
        if is_mapping(resource) and resource.get("resourceType") == "Medication" and resource.get("id") == local_id:
            return resource
    return None


def _product_concepts(medication: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    concepts = [medication.get("code")]
    ingredients = medication.get("ingredient")
    for ingredient in ingredients if isinstance(ingredients, list) else ():
        if is_mapping(ingredient):
            concepts.append(ingredient.get("itemCodeableConcept"))
    return tuple(concept for concept in concepts if is_mapping(concept))


def _find(holder: Mapping[str, Any], reference: str,
          products: Mapping[str, FhirJson]) -> tuple[Mapping[str, Any] | None, str]:
    if reference.startswith("#"):
        return _contained(holder, reference[1:]), f"contained Medication {reference}"
    path = product_path(reference)
    found = products.get(reference) or (products.get(path) if path else None)
    return found, path or reference


def name_medication(holder: Mapping[str, Any], products: Mapping[str, FhirJson]) -> NamedMedication:
    """What `holder` (a MedicationRequest, MedicationStatement or DSTU2 MedicationOrder) is a prescription of."""
    concept = holder.get("medicationCodeableConcept")
    if is_mapping(concept):
        return NamedMedication((concept,), (), None, None)
    link = holder.get("medicationReference")
    if not is_mapping(link):
        return NamedMedication((), (), None, None)
    display = link.get("display")
    names = (display,) if isinstance(display, str) else ()
    reference = link.get("reference")
    if not isinstance(reference, str) or not reference:
        return NamedMedication((), names, None, None)
    medication, product = _find(holder, reference, products)
    if medication is None:
        return NamedMedication((), names, product, reference)
    return NamedMedication(_product_concepts(medication), names, product, None)


def references_to_fetch(holders: Iterable[Any], products: Mapping[str, FhirJson]) -> tuple[str, ...]:
    """`Medication/id` of every referenced Medication that is neither contained nor already at hand."""
    wanted: dict[str, None] = {}
    for holder in holders:
        if not is_mapping(holder):
            continue
        named = name_medication(holder, products)
        if named.unresolved and not named.unresolved.startswith("#"):
            path = product_path(named.unresolved)
            if path:
                wanted.setdefault(path, None)
    return tuple(wanted)


# What counts as "taking it now": an active prescription, or a statement that it is (or is about to be) taken.
CURRENT_STATUSES: Mapping[str, frozenset[str]] = {
    "MedicationRequest": frozenset({"active"}),
    "MedicationStatement": frozenset({"active", "intended"}),
}
_MODELS: Mapping[str, type[MedicationRequest] | type[MedicationStatement]] = {
    "MedicationRequest": MedicationRequest,
    "MedicationStatement": MedicationStatement,
}


def is_an_instruction_to_give(holder: Mapping[str, Any]) -> bool:
    """False for `doNotPerform: true`: an order *not* to give a drug is no exposure and no hazard."""
    return holder.get("doNotPerform") is not True


def _recorded(resource: MedicationRequest | MedicationStatement) -> Any:
    if isinstance(resource, MedicationRequest):
        return resource.authoredOn
    period = resource.effectivePeriod
    return resource.dateAsserted or resource.effectiveDateTime or (period.start if period else None)


def read_current_medications(holders: Iterable[Any], products: Mapping[str, FhirJson], terminology: Terminology,
                             reader: ResourceReader) -> list[CodedFact]:
    """The patient's current medicines that fall in a value set: prescriptions and home-medication statements
    alike, however they name the drug. Only matched resources are validated."""
    facts: list[CodedFact] = []
    for raw in holders:
        if not is_mapping(raw):
            continue
        kind, status = raw.get("resourceType"), raw.get("status")
        if not (isinstance(kind, str) and isinstance(status, str)):
            continue  # hostile shapes (a status that is an object) are not a current medication
        if status not in CURRENT_STATUSES.get(kind, ()) or not is_an_instruction_to_give(raw):
            continue
        named = name_medication(raw, products)
        concepts = named.match(terminology)
        if not concepts:
            continue
        resource = reader.read(_MODELS[kind], raw)
        if resource is None:
            continue
        facts.append(CodedFact(
            reference=reference(kind, resource.id),
            concepts=concepts,
            label=named.label,
            codes=tuple((c["system"], c["code"]) for concept in named.concepts for c in concept.get("coding") or ()
                        if is_mapping(c) and isinstance(c.get("system"), str) and isinstance(c.get("code"), str)),
            recorded=as_date(_recorded(resource)),
            status=resource.status if kind == "MedicationRequest" else f"{resource.status} (medication statement)",
        ))
    return facts
