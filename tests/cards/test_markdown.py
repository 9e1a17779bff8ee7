"""Chart text entering a card's Markdown renders as itself: each special character, line breaks, and any text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cards.markdown import escape_markdown

# Written out, not derived from the module: HTML's three as entities, CommonMark's inline openers backslashed.
EXPECTED = {
    "&": "&amp;", "<": "&lt;", ">": "&gt;",
    "\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]", "|": "\\|", "~": "\\~", "#": "\\#",
    "!": "\\!",
}


@pytest.mark.parametrize(("char", "escaped"), EXPECTED.items())
def test_each_markup_character_is_written_so_that_it_renders_as_itself(char: str, escaped: str) -> None:
    assert escape_markdown(f"a{char}b") == f"a{escaped}b"


def test_ordinary_text_and_harmless_punctuation_pass_unchanged() -> None:
    text = "Magnesium (serum) 0.55 mmol/L - low, 2026-11-30; Dr. O'Neil + \"quoted\" é €"
    assert escape_markdown(text) == text


@pytest.mark.parametrize("breaks", ["\n", "\r\n", "\r", "\u2028", "\u2029", "\n\n\r\n"])
def test_a_run_of_line_breaks_becomes_one_space(breaks: str) -> None:
    assert escape_markdown(f"# head{breaks}| cell") == "\\# head \\| cell"


def test_a_hostile_display_cannot_open_html_or_a_link() -> None:
    assert escape_markdown('<img src=x onerror="alert(1)">[click](javascript:x)') == (
        '&lt;img src=x onerror="alert(1)"&gt;\\[click\\](javascript:x)'
    )


_UNESCAPE = re.compile(r"&amp;|&lt;|&gt;|\\(.)")


def _unescaped(markdown: str) -> str:
    return _UNESCAPE.sub(lambda m: m.group(1) or {"&amp;": "&", "&lt;": "<", "&gt;": ">"}[m.group(0)], markdown)


@given(st.text())
def test_any_text_comes_back_from_its_escaped_form_with_no_bare_markup_left(text: str) -> None:
    escaped = escape_markdown(text)
    assert _unescaped(escaped) == re.sub(r"[\r\n\u2028\u2029]+", " ", text)
    assert not re.search(r"[<>\r\n\u2028\u2029]", escaped)
    bare = _UNESCAPE.sub("", escaped)  # what is left once every entity and backslash pair is taken out
    assert not set(bare) & set(EXPECTED)
