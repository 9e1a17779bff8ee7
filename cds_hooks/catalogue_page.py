"""The rule catalogue as one server-rendered page: no scripts, no external assets, every text escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from cards.catalogue import RuleEntry, SentenceEntry, ThresholdEntry

from .dashboard import STYLE


def _figure(figure: ThresholdEntry) -> str:
    site = f" (site; shipped {figure.shipped:g})" if figure.value != figure.shipped else ""
    return (f"<li><code>{escape(figure.id)}</code> = {figure.value:g} {escape(figure.unit)}{site}; may be set "
            f"{figure.bounds[0]:g}-{figure.bounds[1]:g}. {escape(figure.source)}</li>")


def _sentence(sentence: SentenceEntry) -> str:
    site = " <strong>(site)</strong>" if sentence.site_changed else ""
    return f"<li><code>{escape(sentence.key)}</code>{site}: {escape(sentence.text)}</li>"


def render_catalogue(entries: Sequence[RuleEntry], knowledge_version: str,
                     shared: Mapping[str, Sequence[SentenceEntry]]) -> str:
    rows = []
    for entry in entries:
        reads = "".join(
            f"<li><code>{escape(vs.id)}</code>: "
            + (escape("; ".join(f"{c.system} {c.code} {c.display}".strip() for c in vs.codes))
               or "code families and text terms (see the value set file)")
            + "</li>"
            for vs in entry.value_sets
        )
        mode = escape(entry.mode) + ("" if entry.may_silence else " (cannot be silenced)")
        scenarios = escape(", ".join(entry.scenarios)) or "-"
        figures = "".join(_figure(figure) for figure in entry.thresholds) or "<li>none</li>"
        sentences = "".join(_sentence(sentence) for sentence in entry.sentences)
        reasons = escape(", ".join(f"{r.display} ({r.snooze_days} d)" for r in entry.override_reasons))
        rows.append(
            f'<tr id="{escape(entry.rule_id)}"><td><code>{escape(entry.rule_id)}</code><br>{escape(entry.title)}</td>'
            f"<td>{escape(entry.hook)}</td><td>{mode}</td><td>{escape(entry.trigger)}<ul>{reads}</ul>"
            f"<p>Indicator: {escape(entry.indicator)}.</p><p>Thresholds:</p><ul>{figures}</ul>"
            f"<details><summary>Wording ({len(entry.sentences)} sentences)</summary><ul>{sentences}</ul></details>"
            f"<p>Override reasons (snooze): {reasons}.</p></td>"
            f"<td>{scenarios}</td></tr>"
        )
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>facial-twitch-cds: rule catalogue</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<h1>Rule catalogue</h1>",
        f"<p>Knowledge {escape(knowledge_version)}. Generated from the rules that run, their reviewed descriptions, "
        'the loaded value sets, thresholds and wording, and the site file. <a href="dashboard">Card analytics</a>.</p>',
        "<table><thead><tr><th>Rule</th><th>Hook</th><th>Mode</th><th>Fires on, reads, thresholds, wording</th>"
        "<th>Golden scenarios</th></tr></thead><tbody>",
        *rows,
        "</tbody></table>",
        "<h2>Sentences several rules use</h2>",
        *(f"<h3><code>{escape(group)}</code></h3><ul>{''.join(_sentence(s) for s in sentences)}</ul>"
          for group, sentences in shared.items()),
        "</main>",
        "</body>",
        "</html>",
    ])
