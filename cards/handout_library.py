"""Plain-language patient handouts: reviewed HTML fragments in `cards/handouts/<topic>.html`.

Each file starts with `<h1>Title</h1>`; the rest is the body. They are printed in closed clinical networks, so
loading rejects anything that would reach outside the page (scripts, images, stylesheets, external URLs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HANDOUT_DIR = Path(__file__).parent / "handouts"

_TITLE = re.compile(r"\A\s*<h1>([^<]+)</h1>\s*", re.IGNORECASE)
_FORBIDDEN = re.compile(r"<\s*(script|img|link|iframe|object|embed|style)\b|\bsrc\s*=|url\(|https?://", re.IGNORECASE)


@dataclass(frozen=True)
class Handout:
    topic: str
    title: str
    body_html: str


class HandoutError(ValueError):
    """A handout file is malformed or reaches outside the page."""


def load_handouts(directory: Path = HANDOUT_DIR) -> dict[str, Handout]:
    handouts: dict[str, Handout] = {}
    for path in sorted(directory.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        title = _TITLE.match(text)
        if title is None:
            raise HandoutError(f"{path.name}: must start with <h1>Title</h1>")
        if _FORBIDDEN.search(text):
            raise HandoutError(f"{path.name}: no scripts, images, styles or external URLs in handouts")
        body = text[title.end():].strip()
        if not body:
            raise HandoutError(f"{path.name}: empty body")
        handouts[path.stem] = Handout(topic=path.stem, title=title.group(1).strip(), body_html=body)
    return handouts
