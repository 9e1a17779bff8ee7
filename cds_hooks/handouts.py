"""Patient handouts as printable, self-contained HTML pages (EHR networks are closed: no external assets)."""

from __future__ import annotations

from html import escape

from cards import Handout

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 42rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.55; color: #1b1b1b; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #2b6cb0; padding-bottom: .3rem; }
h2 { font-size: 1.2rem; margin-top: 1.6rem; }
.note { font-size: .85rem; color: #555; border-top: 1px solid #ccc; margin-top: 2rem; padding-top: .6rem; }
@media print { body { margin: 0; max-width: none; } .noprint { display: none; } }
"""


def render_handout_page(handout: Handout, knowledge_version: str) -> str:
    """A complete HTML5 page around a handout's body (the body is trusted, reviewed knowledge content)."""
    title = escape(handout.title)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head><body>"
        f"<main><h1>{title}</h1>{handout.body_html}</main>"
        '<p class="note">This leaflet gives general information and does not replace advice from your own '
        f"clinician. Content version {escape(knowledge_version)}.</p>"
        '<p class="noprint"><button onclick="window.print()">Print this page</button></p>'
        "</body></html>"
    )
