"""The knowledge object (cards/knowledge.py), pinned so that mutation testing (README, Mutation testing) notices any
change to its version, its content hash, what a site file leaves of the shipped knowledge, or the override reasons
its cards offer.

Every test here builds its `Knowledge` itself: mutmut credits the work done while a shared fixture is built only to
the first test that built it (README, "A tooling limit").

The expected values are written here, not read back from `cards`:

- the content hash of the small tree below, SHA-256 over "path NUL bytes NUL" for each knowledge file in path order,
  first 12 hex digits, computed outside Python with
  `printf 'handouts/c.html\\0<h1>C</h1><p>c</p>\\0knowledge/wording/b.yaml\\0k: v\\n\\0rules.py\\0X = 1\\n\\0valuesets/v.json\\0{}\\0'
  | sha256sum`: 96d3502c9ea9;
- the override reasons of `cards/knowledge/override-reasons.yaml` as reviewed: already-addressed (30 days),
  patient-declined (90), not-relevant (180), disagree (0);
- a magnesium of 1.1 mg/dL is moderate with the shipped bands (severe below 1.2 only at a site that says so).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import card_for, lab, patient_view, twitching
from cards.handout_library import load_handouts
from cards.knowledge import Knowledge, content_hash
from cards.knowledge_files import load_override_reasons, load_thresholds, load_wording
from cards.site import Mode, SiteKnowledge

REASONS = [("already-addressed", "Already addressed", 30), ("patient-declined", "Patient declined", 90),
           ("not-relevant", "Not relevant for this patient", 180), ("disagree", "Disagree with recommendation", 0)]
MAGNESIUM_1_1 = lab("19123-9", 1.1, "mg/dL")


def _knowledge(terminology, content: str | None = None) -> Knowledge:
    parts = (terminology, load_handouts(), load_thresholds(), load_wording(), load_override_reasons())
    return Knowledge(*parts) if content is None else Knowledge(*parts, content)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(text.encode())
    return root


def test_the_content_hash_is_sha256_over_each_knowledge_file_path_and_bytes(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "rules.py": "X = 1\n", "knowledge/wording/b.yaml": "k: v\n", "valuesets/v.json": "{}",
        "handouts/c.html": "<h1>C</h1><p>c</p>",
        # not knowledge: other files, value sets below the value-set folder, compiled Python
        "notes.txt": "notes", "valuesets/old/w.json": "{}", "__pycache__/rules.cpython-311.pyc": "compiled",
    })
    assert content_hash(root) == "96d3502c9ea9"


def test_the_content_hash_of_one_handout(tmp_path: Path) -> None:
    # printf 'handouts/c.html\0<h1>C</h1><p>c</p>\0' | sha256sum
    assert content_hash(_tree(tmp_path, {"handouts/c.html": "<h1>C</h1><p>c</p>"})) == "8ac06fc22e44"


def test_the_version_is_the_release_alone_without_a_content_hash(terminology) -> None:
    knowledge = _knowledge(terminology)
    assert knowledge.release == knowledge.version == "2026.11.0"
    assert knowledge.content_hash == ""
    assert _knowledge(terminology, "").version == "2026.11.0"


def test_the_version_carries_the_content_hash_and_a_site_digest(terminology, tmp_path: Path) -> None:
    knowledge = _knowledge(terminology, "3f2a9c1e07b4")
    assert knowledge.content_hash == "3f2a9c1e07b4"
    assert knowledge.version == "2026.11.0+3f2a9c1e07b4"
    site = tmp_path / "site.yaml"
    site.write_text("rules:\n  stress.relaxation: {mode: silent}\n")
    tuned = knowledge.load_site(site)
    assert tuned.content_hash == "3f2a9c1e07b4"
    assert tuned.version.startswith("2026.11.0+3f2a9c1e07b4.site-") and tuned.version != knowledge.version


def test_a_second_site_file_starts_again_from_the_shipped_figures_sentences_and_handouts(
        terminology, tmp_path: Path) -> None:
    knowledge = _knowledge(terminology, "3f2a9c1e07b4")
    shipped = card_for(patient_view(knowledge, twitching(), MAGNESIUM_1_1), "electrolyte.magnesium.low")
    assert shipped.indicator == "warning"
    assert shipped.summary == "Low magnesium 1.1 mg/dL (moderate) with facial twitching: replace and find the cause"
    site = tmp_path / "site.yaml"
    site.write_text("thresholds:\n  magnesium.severe-below: 1.2\n  magnesium.moderate-below: 1.5\n"
                    "wording:\n  shared.electrolytes:\n    summary: \"{name} {value}, {severity}: {action}\"\n")
    tuned = knowledge.load_site(site)
    severe = card_for(patient_view(tuned, twitching(), MAGNESIUM_1_1), "electrolyte.magnesium.low")
    assert severe.indicator == "critical"
    assert severe.summary == "Low magnesium 1.1 mg/dL, severe: replace and find the cause"

    again = tuned.load_site(None)
    restored = card_for(patient_view(again, twitching(), MAGNESIUM_1_1), "electrolyte.magnesium.low")
    assert (restored.indicator, restored.summary) == (shipped.indicator, shipped.summary)
    assert again.version == "2026.11.0+3f2a9c1e07b4"
    for later in (tuned, again, knowledge.with_site(SiteKnowledge())):
        assert later.handout("electrolytes").title == "Salts and minerals in your blood (electrolytes)"
        assert "stress" in later.handout_topics()


def test_every_card_offers_the_reviewed_override_reasons(terminology, tmp_path: Path) -> None:
    knowledge = _knowledge(terminology)
    evaluation = patient_view(knowledge, twitching(), MAGNESIUM_1_1)
    assert evaluation.cards
    for card in evaluation.cards:
        assert [(r.code, r.display, r.snooze_days) for r in card.override_reasons] == REASONS, card.rule_id
    site = tmp_path / "site.yaml"
    site.write_text("rules:\n  electrolyte.magnesium.low: {mode: silent}\n")
    quiet = patient_view(knowledge.load_site(site), twitching(), MAGNESIUM_1_1)
    assert quiet.silent and quiet.silent[0].rule_id == "electrolyte.magnesium.low"
    assert knowledge.load_site(site).site.mode("electrolyte.magnesium.low") is Mode.SILENT
    assert [(r.code, r.display, r.snooze_days) for r in quiet.silent[0].override_reasons] == REASONS


@pytest.mark.parametrize("coding", [("http://loinc.org", "19123-9"), ("http://loinc.org", "2601-3")])
def test_the_observation_codes_include_both_magnesium_loinc_codes(terminology, coding) -> None:
    codings = _knowledge(terminology).observation_codings()
    assert coding in codings
