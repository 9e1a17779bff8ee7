"""Chart text is data: escape it before it enters a card's Markdown.

Displays, `text`, units and names come from the EHR and may hold HTML or Markdown (some EHR front ends, the CDS
Hooks sandbox among them, render raw HTML inside card details). Every character that could open markup is written
so that it renders as itself: HTML's `&`, `<`, `>` as entities, Markdown's punctuation with a backslash, and line
breaks as spaces (a newline could start a heading, a list or a table row).
"""

from __future__ import annotations

import re

_HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# CommonMark lets any ASCII punctuation be backslash-escaped; these can open markup inline (emphasis, code, links,
# images, tables, strikethrough, headings); `(`, `.`, `-` and `+` cannot once `[` is escaped and no line starts here.
_MARKDOWN_PUNCTUATION = "\\`*_[]|~#!"
_ESCAPES = {**{char: f"\\{char}" for char in _MARKDOWN_PUNCTUATION}, **_HTML_ENTITIES}
# Found in C, replaced in Python only where they occur: every card row passes through here, and a loop over each
# character cost four times as much.
_SPECIAL = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def escape_markdown(text: str) -> str:
    """`text` rendered literally inside Markdown (inline context: a table cell, a bullet, a sentence)."""
    return _SPECIAL.sub(lambda found: _ESCAPES[found.group()], _LINE_BREAKS.sub(" ", text))
