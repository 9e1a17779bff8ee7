"""How every card is put together: the basis first, then the advice, then honest evidence and citations.

One place decides the layout and enforces the CDS Hooks limits (summary under 140 characters), so no pathway can
emit a card a clinician cannot trust at a glance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .facts import BasisRow
from .markdown import escape_markdown
from .model import CardDraft, Citation, Indicator, SelectionBehavior, Suggestion
from .thresholds import Severity

SUMMARY_LIMIT = 140

SEVERITY_INDICATORS: dict[Severity, Indicator] = {
    Severity.MILD: "info",
    Severity.MODERATE: "warning",
    Severity.SEVERE: "critical",
}


def fit_summary(summary: str) -> str:
    """The summary under the CDS Hooks limit. The shipped wording always fits (the golden scenarios check it); a
    site's rewording or a long name from the chart may not, and is cut at a word with an ellipsis rather than
    failing the whole response."""
    if len(summary) < SUMMARY_LIMIT:
        return summary
    cut = summary[:SUMMARY_LIMIT - 2]
    return (cut.rsplit(" ", 1)[0] if " " in cut[SUMMARY_LIMIT // 2:] else cut).rstrip(" ,;:-") + "\u2026"


@dataclass(frozen=True)
class RuleInfo:
    """A rule's stable id (suppression and analytics key on it), its human title, and whether a site may silence
    or switch it off (not when its card can be the only warning of an emergency)."""

    rule_id: str
    title: str
    may_silence: bool = True


def _cell(text: str) -> str:
    """Every cell holds chart text (values, units, displays, references): escaped, so it renders as text, stays on
    one line and cannot break the table."""
    return escape_markdown(text).strip() or "-"


def basis_table(rows: Iterable[BasisRow]) -> str:
    lines = ["| Basis | Value | Reference range | Date | Source |", "|---|---|---|---|---|"]
    lines += [
        "| " + " | ".join(_cell(part) for part in (r.item, r.value, r.reference_range, r.when, r.source)) + " |"
        for r in rows
    ]
    return "\n".join(lines)


def render_detail(
    basis: Sequence[BasisRow],
    advice: Sequence[str],
    evidence: str,
    citations: Sequence[Citation],
    basis_notes: Sequence[str] = (),
) -> str:
    """GitHub-flavoured Markdown: **Basis** (table + notes), **Advice** (bullets), **Evidence:** and sources."""
    parts = ["**Basis**", "", basis_table(basis)]
    if basis_notes:
        parts += ["", *(f"- {note}" for note in basis_notes)]
    parts += ["", "**Advice**", "", *(f"- {line}" for line in advice)]
    parts += ["", f"**Evidence:** {evidence}", "", *(f"- [{c.label}]({c.url})" for c in citations)]
    return "\n".join(parts)


def draft_card(
    rule: RuleInfo,
    *,
    summary: str,
    indicator: Indicator,
    basis: Sequence[BasisRow],
    advice: Sequence[str],
    evidence: str,
    source: Citation,
    guideline: Citation | None = None,
    further_reading: Sequence[Citation] = (),
    basis_notes: Sequence[str] = (),
    suggestions: Sequence[Suggestion] = (),
    selection_behavior: SelectionBehavior = "at-most-one",
    handout_topic: str | None = None,
) -> CardDraft:
    """A card in the house layout. `guideline` (the primary cited source, offered as a link) defaults to `source`;
    both are listed in the detail with any further reading."""
    listed = [source, *([guideline] if guideline else []), *further_reading]
    citations = tuple(dict.fromkeys(listed))  # each source once, in order
    return CardDraft(
        rule_id=rule.rule_id,
        title=rule.title,
        summary=fit_summary(summary),
        indicator=indicator,
        detail=render_detail(basis, advice, evidence, citations, basis_notes),
        source=source,
        guideline=guideline or source,
        suggestions=tuple(suggestions),
        selection_behavior=selection_behavior,
        handout_topic=handout_topic,
    )
