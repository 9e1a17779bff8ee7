"""Card wording as data: each rule's sentences are templates with named slots, reviewed and tuned without Python.

The shipped sentences live in `cards/knowledge/wording/*.yaml` (one file per pathway), as `rule id -> key ->
text`. A slot is written `{name}` and filled by the rule with text it has already made safe (chart text escaped);
`{{` and `}}` are literal braces. A site may replace a sentence (site file, `wording:`) only with one that keeps
exactly the same slots, so no fact the rule supplies is lost and none is invented. No sentence may carry raw HTML
or a Markdown image (EHRs differ in what they render; an image would load from elsewhere).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

SUMMARY_KEY = "summary"
# A summary must stay under 140 characters once filled: its own text (slots removed) is kept to this many.
SUMMARY_TEXT_LIMIT = 110
_UNSAFE = re.compile(r"[<>]|!\[")
_SLOT = re.compile(r"[a-z][a-z0-9_]*")


class WordingError(ValueError):
    """A sentence cannot be used: `where: problem`."""


@dataclass(frozen=True)
class Template:
    text: str
    slots: frozenset[str]

    @classmethod
    def parse(cls, text: object, rule_id: str, key: str) -> Template:
        """`text` checked as the sentence `key` of `rule_id` (a key `summary` or `summary.<variant>` is a summary)."""
        where = f"{rule_id}.{key}"
        if not isinstance(text, str) or not text.strip():
            raise WordingError(f"{where}: must be non-empty text")
        if _UNSAFE.search(text):
            raise WordingError(f"{where}: no raw HTML (< or >) or Markdown images in card wording")
        try:
            parts = list(string.Formatter().parse(text))
        except ValueError as error:
            raise WordingError(f"{where}: unbalanced braces ({error}); write literal braces as {{{{ and }}}}") from None
        slots = set()
        for _, name, spec, conversion in parts:
            if name is None:
                continue
            if not _SLOT.fullmatch(name) or spec or conversion:
                raise WordingError(f"{where}: {{{name}}} is not a slot: write slots as {{lower_case_name}}, and "
                                   "literal braces as {{ and }}")
            slots.add(name)
        literal = sum(len(prefix) for prefix, *_ in parts)
        if key.split(".", 1)[0] == SUMMARY_KEY and literal > SUMMARY_TEXT_LIMIT:
            raise WordingError(f"{where}: a summary's text is at most {SUMMARY_TEXT_LIMIT} characters besides its "
                               f"slots (this one has {literal}); the card summary must stay under 140")
        return cls(text, frozenset(slots))

    def fill(self, slots: Mapping[str, str]) -> str:
        if set(slots) != self.slots:
            raise KeyError(f"template slots {sorted(self.slots)} filled with {sorted(slots)}")
        return self.text.format_map(slots)


@dataclass(frozen=True)
class RuleWording:
    """One rule's sentences: `say("summary", value="1.1 mg/dL")`."""

    templates: Mapping[str, Template]

    @classmethod
    def parse(cls, rule_id: str, sentences: Mapping[str, object]) -> RuleWording:
        return cls(MappingProxyType({key: Template.parse(text, rule_id, key)
                                              for key, text in sentences.items()}))

    def __call__(self, key: str, **slots: str) -> str:
        return self.templates[key].fill(slots)


@dataclass(frozen=True)
class Wording:
    """Every rule's sentences; `shipped` keeps the knowledge's own text so a catalogue shows what a site changed."""

    rules: Mapping[str, RuleWording]
    shipped: Mapping[str, RuleWording]

    @classmethod
    def of(cls, rules: Mapping[str, RuleWording]) -> Wording:
        frozen = MappingProxyType(dict(rules))
        return cls(frozen, frozen)

    def rule(self, rule_id: str) -> RuleWording:
        return self.rules[rule_id]

    def with_overrides(self, overrides: Mapping[tuple[str, str], object]) -> Wording:
        """These sentences with a site's replacements, each for a known sentence and with the same slots."""
        changed: dict[str, dict[str, Template]] = {}
        for (rule_id, key), text in overrides.items():
            where = f"wording.{rule_id}.{key}"
            if rule_id not in self.shipped:
                raise WordingError(f"wording.{rule_id}: no such rule with wording (see `facial-twitch-cds rules`)")
            original = self.shipped[rule_id].templates.get(key)
            if original is None:
                known = ", ".join(sorted(self.shipped[rule_id].templates))
                raise WordingError(f"{where}: no such sentence (this rule has: {known})")
            template = Template.parse(text, f"wording.{rule_id}", key)
            if template.slots != original.slots:
                missing, extra = sorted(original.slots - template.slots), sorted(template.slots - original.slots)
                problem = "; ".join(part for part in (
                    f"keep the slot(s) {', '.join('{' + s + '}' for s in missing)}" if missing else "",
                    f"unknown slot(s) {', '.join('{' + s + '}' for s in extra)}" if extra else "") if part)
                raise WordingError(f"{where}: {problem}")
            changed.setdefault(rule_id, dict(self.shipped[rule_id].templates))[key] = template
        rules = dict(self.shipped)
        for rule_id, templates in changed.items():
            rules[rule_id] = RuleWording(MappingProxyType(templates))
        return Wording(MappingProxyType(rules), self.shipped)
