"""What must never appear in a log: patient names, raw patient ids, access tokens and JWTs.

The names and ids are those of every synthetic patient in the repository's fixtures, so a test that replays
fixtures and scans the logs checks exactly the patients it sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).parents[2]
FIXTURE_FILES = (*(REPOSITORY / "fixtures").rglob("*.json"), *(REPOSITORY / "tests").rglob("*.json"))
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.")


def _patients(document: Any) -> Iterator[tuple[set[str], set[str]]]:
    """(names, ids) of every Patient resource and every context `patientId` in a JSON document."""
    if isinstance(document, dict):
        if document.get("resourceType") == "Patient":
            names = {
                part
                for name in document.get("name") or []
                for part in (name.get("family"), name.get("text"), *(name.get("given") or []))
                if isinstance(part, str) and part
            }
            yield names, {document["id"]} if isinstance(document.get("id"), str) else set()
        if isinstance(document.get("patientId"), str):
            yield set(), {document["patientId"]}
        for value in document.values():
            yield from _patients(value)
    elif isinstance(document, list):
        for value in document:
            yield from _patients(value)


@dataclass
class Secrets:
    """Strings that must not be logged: the fixtures' patients, and whatever tokens a test sends."""

    names: set[str] = field(default_factory=set)
    patient_ids: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)

    @classmethod
    def of_fixtures(cls, files: Iterable[Path] = FIXTURE_FILES) -> Secrets:
        secrets = cls()
        for path in files:
            for names, ids in _patients(json.loads(path.read_text())):
                secrets.names |= names
                secrets.patient_ids |= ids
        return secrets

    def with_tokens(self, *tokens: str) -> Secrets:
        """These secrets plus access tokens a test is about to send."""
        return Secrets(set(self.names), set(self.patient_ids), self.tokens | set(tokens))

    def found_in(self, text: str) -> list[str]:
        """Every secret that `text` contains (all synthetic, so a failing test may show them); empty when clean."""
        found = [f"JWT {match.group()!r}" for match in JWT.finditer(text)]
        found += [f"access token {token!r}" for token in sorted(self.tokens) if token in text]
        found += [f"patient name {name!r}" for name in sorted(self.names) if _word(name).search(text)]
        found += [f"patient id {pid!r}" for pid in sorted(self.patient_ids) if _word(pid).search(text)]
        return found

def _word(value: str) -> re.Pattern[str]:
    """`value` standing alone, not inside a longer word or id (so 'Ann' does not match 'Annual')."""
    return re.compile(rf"(?<![\w-]){re.escape(value)}(?![\w-])")
