"""The analytics dashboard as one self-contained HTML page, charts drawn server-side as inline SVG.

No scripts, no libraries, no external assets: the page works offline, under a strict Content-Security-Policy, and
in any browser. Tooltips are SVG `<title>` elements. Only rule ids and titles, service ids, knowledge versions,
dates and counts appear here: never a patient, a clinician or a clinician's comment. Every piece of text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from html import escape

from .models import Hook
from .store import Analytics, Counts

SERIES: tuple[tuple[str, str], ...] = (
    ("issued", "Issued"),
    ("accepted", "Accepted"),
    ("overridden", "Overridden"),
    ("suppressed", "Suppressed"),
    ("silent", "Silent (would have fired)"),
)
JUDGED: tuple[tuple[str, str], ...] = SERIES[:3]
"""The series a knowledge version can be judged by: suppressions and silent cards carry no version."""
CHART_WIDTH = 760
LABEL_WIDTH = 250
LABEL_CHARS = 36
HEADING_CHARS = 110  # a rule's line across a whole chart

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
main { max-width: 960px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
form { display: flex; gap: .75rem; flex-wrap: wrap; align-items: end; margin: 1rem 0; }
label { display: flex; flex-direction: column; font-size: .85rem; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: .9rem; }
th { font-size: .8rem; }
.table-scroll { overflow-x: auto; margin-top: .75rem; }
th, td { border: 1px solid #ddd; padding: .3rem .5rem; text-align: right; }
th.name, td.name { text-align: left; font-family: ui-monospace, monospace; overflow-wrap: anywhere;
  min-width: 9rem; }
td.reasons { text-align: left; font-size: .85rem; white-space: nowrap; }
.totals { display: flex; gap: 1.5rem; flex-wrap: wrap; padding: 0; list-style: none; }
.totals strong { display: block; font-size: 1.4rem; }
.legend { display: flex; gap: 1rem; padding: 0; list-style: none; }
.legend span { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; }
svg { background: #fff; border: 1px solid #ddd; max-width: 100%; height: auto; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
svg .axis { stroke: #bbb; } svg .grid { stroke: #eee; }
svg .line { fill: none; stroke-width: 2; }
.s-issued { fill: #4e79a7; stroke: #4e79a7; background: #4e79a7; }
.s-accepted { fill: #59a14f; stroke: #59a14f; background: #59a14f; }
.s-overridden { fill: #e15759; stroke: #e15759; background: #e15759; }
.s-suppressed { fill: #9c9c9c; stroke: #9c9c9c; background: #9c9c9c; }
.s-silent { fill: #b07aa1; stroke: #b07aa1; background: #b07aa1; }
svg .line.s-issued, svg .line.s-accepted, svg .line.s-overridden, svg .line.s-suppressed, svg .line.s-silent {
  fill: none; }
"""


def render_dashboard(analytics: Analytics, titles: Mapping[str, str] | None = None) -> str:
    """The page; `titles` names rules by their human title beside the id."""
    scope = f"service {escape(analytics.service_id)}" if analytics.service_id else "all services"
    period = f"{analytics.start.isoformat()} to {analytics.end.isoformat()}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<title>facial-twitch-cds: card analytics</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            "<main>",
            "<h1>Card analytics</h1>",
            '<p><a href="rules">Rule catalogue</a>: what each rule fires on, reads and is set to.</p>',
            f"<p>{period} (UTC), {scope}.</p>",
            _range_form(analytics),
            _totals(analytics.total),
            _legend(),
            "<h2>Per rule</h2>",
            _rule_bars(analytics.by_rule),
            "<h2>Per day</h2>",
            _daily_lines(analytics.by_day),
            "<h2>Rules</h2>",
            _table(("Rule",), {(_titled(rule, titles),): counts for rule, counts in analytics.by_rule.items()}),
            "<h2>Acceptance by knowledge version</h2>",
            "<p>Accepted out of answered (accepted or overridden) cards of each rule, per release of the content "
            "the card was issued under.</p>",
            _version_bars(analytics.by_rule_and_version, titles),
            _table(
                ("Rule", "Knowledge version"),
                {
                    (_titled(rule, titles), version): counts
                    for rule, versions in analytics.by_rule_and_version.items()
                    for version, counts in versions.items()
                },
                JUDGED,
            ),
            "<h2>Services</h2>",
            _table(("Service",), {(service,): counts for service, counts in analytics.by_service.items()}),
            "</main>",
            "</body>",
            "</html>",
        ]
    )


def _titled(rule_id: str, titles: Mapping[str, str] | None) -> str:
    title = (titles or {}).get(rule_id)
    return f"{title} ({rule_id})" if title else rule_id


def _range_form(analytics: Analytics) -> str:
    choices = [("", "all services"), *((hook.value, hook.value) for hook in Hook)]
    options = "".join(
        f'<option value="{escape(value)}"{" selected" if (analytics.service_id or "") == value else ""}>'
        f"{escape(label)}</option>"
        for value, label in choices
    )
    return (
        '<form method="get">'
        f'<label>From <input type="date" name="start" value="{analytics.start.isoformat()}"></label>'
        f'<label>To <input type="date" name="end" value="{analytics.end.isoformat()}"></label>'
        f'<label>Service <select name="service">{options}</select></label>'
        "<button>Show</button></form>"
    )


def _totals(total: Counts) -> str:
    items = [(label, str(_value(total, key))) for key, label in SERIES]
    items.append(("Acceptance rate", _rate(total)))
    cells = "".join(f"<li><strong>{escape(value)}</strong>{escape(label)}</li>" for label, value in items)
    return f'<ul class="totals">{cells}</ul>'


def _legend() -> str:
    entries = "".join(f'<li><span class="s-{key}"></span>{escape(label)}</li>' for key, label in SERIES)
    return f'<ul class="legend" aria-label="Legend">{entries}</ul>'


def _table(
    names: Sequence[str], rows: Mapping[tuple[str, ...], Counts], series: Sequence[tuple[str, str]] = SERIES
) -> str:
    """One row per key: its name cells (`names` heads them), then `series`, override reasons, feedback naming an
    unknown suggestion and the acceptance rate."""
    head = "".join(f'<th class="name">{escape(name)}</th>' for name in names) + "".join(
        f"<th>{escape(h)}</th>"
        for h in (*(label for _, label in series), "Override reasons", "Unknown suggestion", "Acceptance rate")
    )
    body = "".join(_table_row(key, counts, series) for key, counts in rows.items())
    if not body:
        body = f'<tr><td colspan="{len(names) + len(series) + 3}">No cards in this range.</td></tr>'
    return f'<div class="table-scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _table_row(key: tuple[str, ...], counts: Counts, series: Sequence[tuple[str, str]]) -> str:
    cells = [
        *(f'<td class="name">{escape(name)}</td>' for name in key),
        *(f"<td>{_value(counts, k)}</td>" for k, _ in series),
        f'<td class="reasons">{_reasons(counts)}</td>',
        f"<td>{counts.unknown_suggestion}</td>",
        f"<td>{escape(_rate(counts))}</td>",
    ]
    return f"<tr>{''.join(cells)}</tr>"


def _version_bars(by_rule_and_version: Mapping[str, Mapping[str, Counts]], titles: Mapping[str, str] | None) -> str:
    """Acceptance rate as bars on a 0–100% axis: a heading line per rule, then one bar per knowledge version, so a
    committee sees at a glance whether a content change moved acceptance."""
    row, top = 16, 28
    lines = sum(1 + len(versions) for versions in by_rule_and_version.values())
    height = top + max(lines, 1) * row + 8
    plot = CHART_WIDTH - LABEL_WIDTH - 120
    parts = [_svg_open("version-chart", "Acceptance rate per rule and knowledge version", height)]
    for percent in range(0, 101, 25):
        x = LABEL_WIDTH + plot * percent / 100
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 8}"/>')
        parts.append(f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle">{percent}%</text>')
    if not by_rule_and_version:
        parts.append(
            f'<text x="{CHART_WIDTH / 2:.0f}" y="{top + 18}" text-anchor="middle">No cards in this range.</text>'
        )
    y = top
    for rule_id, versions in by_rule_and_version.items():
        rule = _titled(rule_id, titles)
        parts.append(f'<text x="8" y="{y + row - 4}"><title>{escape(rule)}</title>'
                     f"{escape(_shorten(rule, HEADING_CHARS))}</text>")
        y += row
        for version, counts in versions.items():
            parts.append(
                f'<text x="{LABEL_WIDTH - 8}" y="{y + row - 4}" text-anchor="end">'
                f"<title>{escape(version)}</title>{escape(_shorten(version))}</text>"
            )
            answered = counts.accepted + counts.overridden
            width = plot * (counts.acceptance_rate or 0)
            if answered:
                parts.append(
                    f'<rect class="s-accepted" x="{LABEL_WIDTH}" y="{y + 2}" width="{width:.1f}" height="{row - 4}">'
                    f"<title>{escape(rule_id)} {escape(version)}: accepted {counts.accepted} of {answered}</title>"
                    "</rect>"
                )
            summary = f"{_rate(counts)} of {answered} answered" if answered else "no feedback"
            parts.append(f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + row - 4}">{escape(summary)}</text>')
            y += row
    parts.append("</svg>")
    return "".join(parts)


def _rule_bars(by_rule: Mapping[str, Counts]) -> str:
    """Horizontal grouped bars: one group per rule, one bar per series."""
    bar, gap, top = 10, 14, 28
    group = bar * len(SERIES) + gap
    height = top + max(len(by_rule), 1) * group + 8
    plot = CHART_WIDTH - LABEL_WIDTH - 50
    axis_max, step = _scale(max((_value(c, k) for c in by_rule.values() for k, _ in SERIES), default=0))
    parts = [_svg_open("rule-chart", "Issued, accepted, overridden and suppressed cards per rule", height)]
    for tick in range(0, axis_max + 1, step):
        x = LABEL_WIDTH + plot * tick / axis_max
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 8}"/>')
        parts.append(f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle">{tick}</text>')
    if not by_rule:
        parts.append(
            f'<text x="{CHART_WIDTH / 2:.0f}" y="{top + 18}" text-anchor="middle">No cards in this range.</text>'
        )
    for index, (rule_id, counts) in enumerate(by_rule.items()):
        y0 = top + index * group
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y0 + bar * len(SERIES) / 2 + 4:.1f}" text-anchor="end">'
            f"<title>{escape(rule_id)}</title>{escape(_shorten(rule_id))}</text>"
        )
        for offset, (key, label) in enumerate(SERIES):
            value = _value(counts, key)
            width = plot * value / axis_max
            y = y0 + offset * bar
            parts.append(
                f'<rect class="s-{key}" x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{bar - 1}">'
                f"<title>{escape(rule_id)}: {escape(label)} {value}</title></rect>"
            )
            parts.append(f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + bar - 2}">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _daily_lines(by_day: Mapping[date, Counts]) -> str:
    """One line per series over the days of the range."""
    height, left, right, top, bottom = 260, 44, 16, 16, 36
    plot_w, plot_h = CHART_WIDTH - left - right, height - top - bottom
    days: Sequence[date] = list(by_day)
    axis_max, step = _scale(max((_value(c, k) for c in by_day.values() for k, _ in SERIES), default=0))

    def x_of(index: int) -> float:
        return left + (plot_w * index / (len(days) - 1) if len(days) > 1 else plot_w / 2)

    def y_of(value: int) -> float:
        return top + plot_h * (1 - value / axis_max)

    parts = [_svg_open("daily-chart", "Issued, accepted, overridden and suppressed cards per day", height)]
    for tick in range(0, axis_max + 1, step):
        y = y_of(tick)
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{CHART_WIDTH - right}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    label_every = max(1, math.ceil(len(days) / 8))
    for index, day in enumerate(days):
        if index % label_every == 0:
            parts.append(
                f'<text x="{x_of(index):.1f}" y="{height - bottom + 18}" text-anchor="middle">{day.isoformat()}</text>'
            )
    parts.append(
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{CHART_WIDTH - right}" y2="{top + plot_h}"/>'
    )
    for key, label in SERIES:
        values = [_value(by_day[day], key) for day in days]
        points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline class="line s-{key}" points="{points}"/>')
        parts.extend(
            f'<circle class="s-{key}" cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="2.5">'
            f"<title>{day.isoformat()}: {escape(label)} {v}</title></circle>"
            for i, (day, v) in enumerate(zip(days, values, strict=True))
        )
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(chart_id: str, title: str, height: int) -> str:
    return (
        f'<svg id="{chart_id}" role="img" aria-labelledby="{chart_id}-title" '
        f'width="{CHART_WIDTH}" height="{height}" viewBox="0 0 {CHART_WIDTH} {height}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
    )


def _scale(largest: int) -> tuple[int, int]:
    """An axis maximum and a tick step (1, 2 or 5 × 10ⁿ) giving about five ticks that cover `largest`."""
    raw = max(largest, 1) / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return step * max(1, math.ceil(largest / step)), step


def _value(counts: Counts, key: str) -> int:
    return int(getattr(counts, key))


def _rate(counts: Counts) -> str:
    rate = counts.acceptance_rate
    return "–" if rate is None else f"{rate:.0%}"


def _reasons(counts: Counts) -> str:
    """Override counts by reason, one per line (escaped HTML)."""
    return "<br>".join(f"{escape(reason)}&nbsp;{n}" for reason, n in sorted(counts.overridden_by_reason.items()))


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
