"""The rule catalogue as one server-rendered page: no scripts, no external assets, every text escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from cards.catalogue import RuleEntry

from .dashboard import STYLE


def render_catalogue(entries: Sequence[RuleEntry], knowledge_version: str) -> str:
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
        rows.append(
            f'<tr id="{escape(entry.rule_id)}"><td><code>{escape(entry.rule_id)}</code><br>{escape(entry.title)}</td>'
            f"<td>{escape(entry.hook)}</td><td>{mode}</td><td>{escape(entry.trigger)}<ul>{reads}</ul></td>"
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
        'the loaded value sets and the site file. <a href="dashboard">Card analytics</a>.</p>',
        "<table><thead><tr><th>Rule</th><th>Hook</th><th>Mode</th><th>Fires on, and reads</th>"
        "<th>Golden scenarios</th></tr></thead><tbody>",
        *rows,
        "</tbody></table>",
        "</main>",
        "</body>",
        "</html>",
    ])
