"""Value sets: the FHIR `ValueSet` files in `cards/valuesets/`, validated at start-up and compiled to fast lookups.

A knowledge owner reviews the JSON files; the rules only ever ask "which of our value sets does this coding (or this
medication text) belong to?". Supported compose features, and nothing else (anything else fails loading loudly):
explicit `concept` lists, `is-a` filters on the hierarchical, prefix-structured systems ICD-10-CM and ATC (so an
ICD-10-CM family such as G35 matches G35, G35.A and G35.B0), `include.valueSet` by canonical URL, and a text-term
extension for medication names. Value sets with `status: draft` hold candidates under review and never fire.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
from fhir.resources.R4B.valueset import ValueSet

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"

SYSTEM_NAMES: Mapping[str, str] = {
    SNOMED: "SNOMED CT",
    ICD10CM: "ICD-10-CM",
    LOINC: "LOINC",
    RXNORM: "RxNorm",
    ATC: "ATC",
}
PREFIX_SYSTEMS = frozenset({ICD10CM, ATC})
CANONICAL_BASE = "http://facial-twitch-cds.example.org/fhir/ValueSet/"
TEXT_TERM_EXTENSION = "http://facial-twitch-cds.example.org/fhir/StructureDefinition/text-term"
# A phrase read as one unit that names no value set (unless some set lists it as a term): "esomeprazole magnesium"
# is a proton-pump inhibitor, not a magnesium supplement.
TEXT_TERM_EXCLUDED_EXTENSION = "http://facial-twitch-cds.example.org/fhir/StructureDefinition/text-term-excluded"
_TEXT_EXTENSIONS = frozenset({TEXT_TERM_EXTENSION, TEXT_TERM_EXCLUDED_EXTENSION})
VALUESET_DIR = Path(__file__).parent / "valuesets"


class Concept(StrEnum):
    """Every value set the rules use, by its `ValueSet.id` (the file name)."""

    FACIAL_TWITCHING = "facial-twitching"
    FACIAL_MYOKYMIA = "twitching-facial-myokymia"
    HEMIFACIAL_SPASM = "twitching-hemifacial-spasm"
    BLEPHAROSPASM = "twitching-blepharospasm"
    FACIAL_SPASM = "twitching-facial-spasm"
    TIC = "twitching-tic"
    EYELID_TWITCHING = "twitching-eyelid"
    EPILEPSY = "epilepsy"
    SEIZURE_UNSPECIFIED = "seizure-unspecified"
    MULTIPLE_SCLEROSIS = "multiple-sclerosis"
    POISONING = "poisoning"
    PSYCHOLOGICAL_STRESS = "psychological-stress"
    PREGNANCY = "pregnancy"
    CKD = "chronic-kidney-disease"
    CKD_SEVERE = "chronic-kidney-disease-severe"
    FACIAL_WEAKNESS = "facial-weakness"
    TETANY = "tetany"
    NMJ_DISORDER = "neuromuscular-junction-disorder"
    LAB_MAGNESIUM = "lab-magnesium"
    LAB_POTASSIUM = "lab-potassium"
    LAB_SODIUM = "lab-sodium"
    LAB_CALCIUM_TOTAL = "lab-calcium-total"
    LAB_CALCIUM_ADJUSTED = "lab-calcium-adjusted"
    LAB_CALCIUM_IONIZED = "lab-calcium-ionized"
    LAB_ALBUMIN = "lab-albumin"
    LAB_EGFR = "lab-egfr"
    PREGNANCY_TEST = "pregnancy-test"
    ANSWER_POSITIVE = "answer-positive"
    ANSWER_NEGATIVE = "answer-negative"
    ANTIEPILEPTIC_UNDERDOSING = "underdosing-antiepileptic"
    VALPROATE = "medication-valproate"
    LAMOTRIGINE = "medication-lamotrigine"
    ANTICONVULSANT = "medication-anticonvulsant"
    POTASSIUM_SUPPLEMENT = "medication-potassium-supplement"
    MAGNESIUM_SUPPLEMENT = "medication-magnesium"
    POTASSIUM_SPARING_DIURETIC = "medication-potassium-sparing-diuretic"
    BOTULINUM_TOXIN = "medication-botulinum-toxin"




_NOTHING: frozenset[Concept] = frozenset()
# The memo is bounded in bytes, not just entries: at most this many (system, code) pairs, each at most this long, so
# hostile charts with huge codes cannot pin memory in a long-running service (about 10 MB at worst).
_MEMO_LIMIT = 20_000
_MEMO_MAX_KEY_CHARS = 256


class ValueSetError(ValueError):
    """A value set file is invalid or uses a compose feature this engine does not implement."""


def normalise_code(system: str, code: str) -> str:
    """ICD-10-CM arrives with or without the dot (G35.A / G35A) and in either case; ATC in either case."""
    code = code.strip()
    if system == ICD10CM:
        return code.replace(".", "").upper()
    if system == ATC:
        return code.upper()
    return code


@dataclass(frozen=True)
class _Compiled:
    """One value set's own content (before `include.valueSet` is resolved)."""

    concept: Concept
    url: str
    codes: frozenset[tuple[str, str]]  # (system, normalised code)
    prefixes: frozenset[tuple[str, str]]  # (system, normalised prefix)
    terms: frozenset[str]
    excluded_terms: frozenset[str]
    includes: tuple[str, ...]  # canonical URLs
    listed: tuple[tuple[str, str], ...]  # (system, code as written) of explicit concepts, in file order
    displays: Mapping[tuple[str, str], str]  # (system, normalised code) -> display


def _compile(resource: ValueSet, concept: Concept) -> _Compiled:
    if resource.compose is None or resource.compose.exclude:
        raise ValueSetError(f"{concept}: needs compose.include and no compose.exclude")
    codes: set[tuple[str, str]] = set()
    prefixes: set[tuple[str, str]] = set()
    listed: list[tuple[str, str]] = []
    displays: dict[tuple[str, str], str] = {}
    includes: list[str] = []
    for include in resource.compose.include:
        includes.extend(include.valueSet or ())
        if include.system is None:
            if include.concept or include.filter:
                raise ValueSetError(f"{concept}: concepts or filters without a system")
            continue
        for item in include.concept or ():
            key = (include.system, normalise_code(include.system, item.code))
            codes.add(key)
            listed.append((include.system, item.code))
            if item.display:
                displays[key] = item.display
        for rule in include.filter or ():
            if rule.op != "is-a" or rule.property != "concept" or include.system not in PREFIX_SYSTEMS:
                raise ValueSetError(f"{concept}: only 'concept is-a' filters on ICD-10-CM or ATC are supported")
            prefixes.add((include.system, normalise_code(include.system, rule.value)))
        if include.filter and len(include.filter) > 1:
            raise ValueSetError(f"{concept}: filters in one include are ANDed; put each family in its own include")
    if any(ext.url not in _TEXT_EXTENSIONS or not ext.valueString for ext in resource.extension or ()):
        raise ValueSetError(f"{concept}: unknown or empty extension")
    terms = {ext.valueString.lower() for ext in resource.extension or () if ext.url == TEXT_TERM_EXTENSION}
    excluded = {ext.valueString.lower() for ext in resource.extension or () if ext.url == TEXT_TERM_EXCLUDED_EXTENSION}
    return _Compiled(
        concept=concept,
        url=str(resource.url),
        codes=frozenset(codes),
        prefixes=frozenset(prefixes),
        terms=frozenset(terms),
        excluded_terms=frozenset(excluded),
        includes=tuple(str(url) for url in includes),
        listed=tuple(listed),
        displays=displays,
    )


def _read_valueset(path: Path) -> ValueSet:
    try:
        return ValueSet.model_validate(orjson.loads(path.read_bytes()))
    except (orjson.JSONDecodeError, ValueError) as error:
        raise ValueSetError(f"{path.name}: not a valid FHIR R4B ValueSet: {error}") from error


class Terminology:
    """All value sets compiled into lookups: one dict probe per coding, plus one per prefix length for ICD/ATC."""

    def __init__(self, compiled: Sequence[_Compiled], version: str) -> None:
        self.version = version
        by_url = {item.url: item for item in compiled}
        self._listed: dict[Concept, tuple[tuple[str, str], ...]] = {}
        self._displays = {key: text for item in compiled for key, text in item.displays.items()}
        exact: dict[tuple[str, str], set[Concept]] = {}
        prefix: dict[tuple[str, str], set[Concept]] = {}
        term_concepts: dict[str, set[Concept]] = {}
        for item in compiled:
            members = _closure(item, by_url)
            self._listed[item.concept] = tuple(pair for member in members for pair in member.listed)
            for member in members:
                for key in member.codes:
                    exact.setdefault(key, set()).add(item.concept)
                for key in member.prefixes:
                    prefix.setdefault(key, set()).add(item.concept)
                for term in member.terms:
                    term_concepts.setdefault(term, set()).add(item.concept)
                for term in member.excluded_terms:
                    term_concepts.setdefault(term, set())
        self._exact = {key: frozenset(value) for key, value in exact.items()}
        self._prefix = {key: frozenset(value) for key, value in prefix.items()}
        self._prefix_lengths = {
            system: tuple(sorted({len(code) for (s, code) in prefix if s == system})) for system in PREFIX_SYSTEMS
        }
        self._terms = {term: frozenset(value) for term, value in term_concepts.items()}
        self._memo: dict[tuple[Any, Any], frozenset[Concept]] = {}
        alternatives = "|".join(re.escape(term) for term in sorted(self._terms, key=len, reverse=True))
        self._term_pattern = re.compile(rf"\b(?:{alternatives})\b") if alternatives else None

    def match_coding(self, system: str, code: str) -> frozenset[Concept]:
        """The value sets a coding belongs to (empty if none)."""
        normalised = normalise_code(system, code)
        found = self._exact.get((system, normalised), frozenset())
        for length in self._prefix_lengths.get(system, ()):
            if length > len(normalised):
                break
            hit = self._prefix.get((system, normalised[:length]))
            if hit:
                found = found | hit
        return found

    def match_text(self, text: str) -> frozenset[Concept]:
        """Value sets whose text terms occur in `text` as whole words, case-insensitively (medication names).
        Longer phrases win where they overlap, so an excluded phrase hides the terms inside it."""
        if self._term_pattern is None:
            return frozenset()
        found: frozenset[Concept] = frozenset()
        for term in self._term_pattern.findall(text.lower()):
            found = found | self._terms[term]
        return found

    def match_concept(self, codeable: Any, *, with_text: bool = False) -> frozenset[Concept]:
        """Value sets matched by a raw CodeableConcept dict (codings; with `with_text`, also its text/displays).

        Runs for every coded resource in a chart, so codings are memoised: a chart repeats the same few codes."""
        if not is_mapping(codeable):
            return _NOTHING
        found = _NOTHING
        raw_codings = codeable.get("coding")
        codings = raw_codings if isinstance(raw_codings, list) else []
        for coding in codings:
            if is_mapping(coding):
                key = (coding.get("system"), coding.get("code"))
                if not (isinstance(key[0], str) and isinstance(key[1], str)):
                    continue  # nothing else can match a value set, and a list or object cannot key the memo
                hit = self._memo.get(key)
                if hit is None:
                    hit = self._remember(key)
                if hit:
                    found = found | hit
        if with_text:
            for text in (codeable.get("text"), *(c.get("display") for c in codings if is_mapping(c))):
                if isinstance(text, str):
                    found = found | self.match_text(text)
        return found

    def _remember(self, key: tuple[str, str]) -> frozenset[Concept]:
        hit = self.match_coding(*key)
        if len(self._memo) < _MEMO_LIMIT and len(key[0]) + len(key[1]) <= _MEMO_MAX_KEY_CHARS:
            self._memo[key] = hit
        return hit

    def display(self, system: str, code: str) -> str | None:
        """The reviewed display of an explicitly listed code (codes matched only by a family filter have none)."""
        return self._displays.get((system, normalise_code(system, code)))

    def listed_codings(self, concepts: Iterable[Concept]) -> tuple[tuple[str, str], ...]:
        """(system, code) of the explicit concepts of these value sets (incl. included sets), without duplicates."""
        seen: dict[tuple[str, str], None] = {}
        for concept in concepts:
            for pair in self._listed[concept]:
                seen.setdefault(pair, None)
        return tuple(seen)


def is_mapping(value: Any) -> bool:
    """`isinstance(value, Mapping)`, with the plain-dict case (all parsed JSON) answered without the ABC check."""
    return isinstance(value, dict) or isinstance(value, Mapping)


def _closure(item: _Compiled, by_url: Mapping[str, _Compiled]) -> list[_Compiled]:
    """The value set plus every value set it includes, transitively (cycles and unknown URLs are errors)."""
    members: list[_Compiled] = []
    pending = [(item, (item.url,))]
    while pending:
        current, path = pending.pop(0)
        members.append(current)
        for url in current.includes:
            if url in path:
                raise ValueSetError(f"{item.concept}: include cycle through {url}")
            if url not in by_url:
                raise ValueSetError(f"{item.concept}: includes unknown or draft value set {url}")
            pending.append((by_url[url], (*path, url)))
    return members


def load_terminology(directory: Path = VALUESET_DIR, *, version: str) -> Terminology:
    """Read, validate and compile every value set; every `Concept` must exist, be active and carry `version`.

    Draft value sets (candidate codes still under review) are validated as FHIR and then left out of matching.
    """
    compiled: list[_Compiled] = []
    for path in sorted(directory.glob("*.json")):
        resource = _read_valueset(path)
        if path.stem != resource.id or resource.url != CANONICAL_BASE + resource.id:
            raise ValueSetError(f"{path.name}: file name, id and url must agree")
        if resource.version != version:
            raise ValueSetError(f"{path.name}: version {resource.version!r} is not knowledge version {version!r}")
        if resource.status == "draft":
            continue
        if resource.status != "active":
            raise ValueSetError(f"{path.name}: status must be active (fires) or draft (under review)")
        try:
            concept = Concept(resource.id)
        except ValueError:
            raise ValueSetError(f"{path.name}: id {resource.id!r} is not a value set the rules know") from None
        compiled.append(_compile(resource, concept))
    missing = sorted(set(Concept) - {item.concept for item in compiled})
    if missing:
        raise ValueSetError(f"value sets missing or not active: {', '.join(missing)}")
    return Terminology(compiled, version)
