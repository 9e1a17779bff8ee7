"""Which results are current: a corrected, amended or withdrawn result replaces the one it re-issues.

Three legal FHIR R4 shapes are recognised (R4 has no normative rule for which one a server uses):
- the same resource id sent again with a newer `meta.lastUpdated` (else a higher numeric `meta.versionId`), as a
  server that versions in place returns it from `_history` or a merged feed;
- a different resource sharing a business `identifier` (system and value), e.g. a lab's accession + test number;
- an `amended` or `corrected` result naming the result it replaces in `derivedFrom` (Reference(Observation)).
The newest version wins, whatever its status: an `entered-in-error` re-issue therefore withdraws the original.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from .instants import parse_instant

CORRECTING_STATUSES = frozenset({"amended", "corrected"})
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _version_rank(raw: Mapping[str, Any]) -> tuple[datetime, int, int, datetime]:
    """Later is greater: last update, version number, a correcting status, then the release time."""
    meta = raw.get("meta") if isinstance(raw.get("meta"), Mapping) else {}
    version = str(meta.get("versionId", ""))
    return (
        parse_instant(meta.get("lastUpdated")) or _EARLIEST,
        int(version) if version.isascii() and version.isdigit() else -1,
        1 if raw.get("status") in CORRECTING_STATUSES else 0,
        parse_instant(raw.get("issued")) or _EARLIEST,
    )


def _identities(raw: Mapping[str, Any]) -> list[str]:
    keys = [f"id|{raw['id']}"] if isinstance(raw.get("id"), str) else []
    identifiers = raw.get("identifier")
    for identifier in identifiers if isinstance(identifiers, list) else ():
        if isinstance(identifier, Mapping) and identifier.get("value"):
            keys.append(f"identifier|{identifier.get('system', '')}|{identifier['value']}")
    return keys


def _replaced_ids(raws: Iterable[Mapping[str, Any]]) -> set[str]:
    """Ids named in the `derivedFrom` of correcting results."""
    replaced: set[str] = set()
    for raw in raws:
        if raw.get("status") not in CORRECTING_STATUSES or not isinstance(raw.get("derivedFrom"), list):
            continue
        for item in raw["derivedFrom"]:
            target = item.get("reference") if isinstance(item, Mapping) else None
            if isinstance(target, str) and target.startswith("Observation/"):
                replaced.add(target.removeprefix("Observation/"))
    return replaced


def current_versions(raws: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The raw results no later version replaces (order kept). A result whose `status` or `id` is not a string is
    not valid FHIR and is left out here, before any set lookup could trip over it.

    A result's version rank (two instant parses) is computed only when another result shares one of its
    identities: in a real chart almost every result stands alone, and ranking them all was most of this step."""
    listed = [raw for raw in raws if isinstance(raw.get("status"), str) and isinstance(raw.get("id"), str | None)]
    identities = [_identities(raw) for raw in listed]
    ranks: dict[int, tuple[datetime, int, int, datetime]] = {}

    def ranked(position: int) -> tuple[tuple[datetime, int, int, datetime], int]:
        if position not in ranks:
            ranks[position] = _version_rank(listed[position])
        return ranks[position], position

    holder: dict[str, int] = {}
    for position, keys in enumerate(identities):
        for key in keys:
            if key not in holder or ranked(position) > ranked(holder[key]):
                holder[key] = position
    replaced = _replaced_ids(listed)
    return [
        raw for position, (raw, keys) in enumerate(zip(listed, identities, strict=True))
        if all(holder[key] == position for key in keys)
        and raw.get("id") not in replaced
    ]
