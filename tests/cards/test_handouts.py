"""Patient handouts: present for every topic, plain printable HTML, nothing that reaches outside the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from cards.handout_library import HANDOUT_DIR, HandoutError, load_handouts

REQUIRED = {"electrolytes", "stress", "epilepsy", "multiple-sclerosis", "poisoning", "botulinum-toxin",
            "eyelid-twitching"}


def test_required_handouts_exist_with_titles(knowledge) -> None:
    assert REQUIRED <= set(knowledge.handout_topics())
    for topic in REQUIRED:
        handout = knowledge.handout(topic)
        assert handout.topic == topic and handout.title
        assert "<h1>" not in handout.body_html and "<h2>" in handout.body_html


def test_unknown_topic_has_no_handout(knowledge) -> None:
    assert knowledge.handout("no-such-topic") is None


def test_eyelid_handout_explains_the_benign_course_and_when_to_seek_help(knowledge) -> None:
    body = knowledge.handout("eyelid-twitching").body_html
    assert "stops by itself" in body and "same day" in body


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "topic.html").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "text",
    ["<p>No title</p>",
     "<h1>T</h1><p>x</p><img src='a.png'>",
     "<h1>T</h1><script>alert(1)</script>",
     "<h1>T</h1><p>See https://example.org</p>",
     "<h1>T</h1><p style=\"background:url(x)\">x</p>",
     "<h1>T</h1>"],
)
def test_unsafe_or_malformed_handouts_fail_loading(tmp_path: Path, text: str) -> None:
    with pytest.raises(HandoutError):
        load_handouts(_write(tmp_path, text))


def test_shipped_handouts_load_from_the_package_directory() -> None:
    assert set(load_handouts(HANDOUT_DIR)) >= REQUIRED
