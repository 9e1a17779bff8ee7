"""Loading patient handouts (cards/handout_library.py), pinned so that mutation testing (README, Mutation testing)
notices any change to what a loaded handout holds or to the message a knowledge owner reads when one is refused.

Each handout is written here into a temporary directory, so the expected topic, title and body are the ones the
test wrote, not the shipped files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cards.handout_library import Handout, HandoutError, load_handouts


def _write(directory: Path, name: str, text: str) -> Path:
    (directory / name).write_text(text, encoding="utf-8")
    return directory


def test_a_handout_is_its_file_name_title_and_body(tmp_path: Path) -> None:
    _write(tmp_path, "cramps.html", "  <H1> Muscle cramps </H1>\n\n<h2>What helps</h2>\n<p>Stretch gently.</p>\n\n")
    _write(tmp_path, "sleep.html", "<h1>Sleep</h1><p>Keep regular hours.</p>")
    _write(tmp_path, "notes.txt", "<h1>Not a handout</h1><p>ignored</p>")
    assert load_handouts(tmp_path) == {
        "cramps": Handout(topic="cramps", title="Muscle cramps",
                          body_html="<h2>What helps</h2>\n<p>Stretch gently.</p>"),
        "sleep": Handout(topic="sleep", title="Sleep", body_html="<p>Keep regular hours.</p>"),
    }


@pytest.mark.parametrize(("text", "message"), [
    ("<p>No title</p>", "broken.html: must start with <h1>Title</h1>"),
    ("<h1>T</h1><p>x</p><img src='a.png'>", "broken.html: no scripts, images, styles or external URLs in handouts"),
    ("<h1>T</h1><p>See http://example.org</p>",
     "broken.html: no scripts, images, styles or external URLs in handouts"),
    ("<h1>T</h1>  \n", "broken.html: empty body"),
])
def test_a_refused_handout_is_named_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    _write(tmp_path, "broken.html", text)
    with pytest.raises(HandoutError) as refused:
        load_handouts(tmp_path)
    assert str(refused.value) == message


def test_handouts_are_read_as_utf8_whatever_the_locale(tmp_path: Path) -> None:
    """A server started with the C locale (Python's locale coercion off) must still read a handout's accents and
    dashes: the file is read as UTF-8, not in the locale's encoding (ASCII there). The C-locale reading runs in a
    child process, which inherits MUTANT_UNDER_TEST, so it meets the same mutant."""
    _write(tmp_path, "cafe.html", "<h1>Caf\u00e9 and tea \u2013 caffeine</h1><p>Less than 400\u00a0mg a day.</p>")
    here = load_handouts(tmp_path)["cafe"]  # in this process too, so mutmut counts the test as reaching the loader
    assert (here.title, here.body_html) == ("Caf\u00e9 and tea \u2013 caffeine", "<p>Less than 400\u00a0mg a day.</p>")
    script = ("import sys; from pathlib import Path; from cards.handout_library import load_handouts; "
              "h = load_handouts(Path(sys.argv[1]))['cafe']; print(ascii((h.title, h.body_html)))")
    environment = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0",
                   "PYTHONPATH": os.pathsep.join(sys.path)}
    ran = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                         env=environment, cwd=os.getcwd(), check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == r"('Caf\xe9 and tea \u2013 caffeine', '<p>Less than 400\xa0mg a day.</p>')"
