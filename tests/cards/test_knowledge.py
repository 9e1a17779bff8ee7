"""The public surface the protocol layer uses: loading once, prefetch codes, silence, evaluation cost."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from builders import TODAY, chart, icd, lab, medication, patient, patient_view, twitching
from cards import Evaluation, Knowledge, load_knowledge
from cards.fhir_reading import ResourceReader
from cards.knowledge import KNOWLEDGE_DIR, KNOWLEDGE_VERSION, content_hash
from cards.terminology import ICD10CM, LOINC, SNOMED


def test_knowledge_is_loaded_once_and_versioned() -> None:
    assert load_knowledge() is load_knowledge()
    assert isinstance(load_knowledge(), Knowledge)
    knowledge = load_knowledge()
    assert knowledge.release == KNOWLEDGE_VERSION == "2026.11.0"
    assert re.fullmatch(r"[0-9a-f]{12}", knowledge.content_hash)
    assert knowledge.version == f"2026.11.0+{knowledge.content_hash}"


def test_the_content_hash_changes_with_any_knowledge_file_and_only_then(tmp_path: Path) -> None:
    copy = tmp_path / "cards"
    shutil.copytree(KNOWLEDGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert content_hash(copy) == content_hash()
    (copy / "__pycache__").mkdir(exist_ok=True)
    (copy / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    (copy / "notes.txt").write_text("not knowledge")
    assert content_hash(copy) == content_hash()
    for changed in ("thresholds.py", "valuesets/lab-magnesium.json", "handouts/stress.html"):
        edited = tmp_path / changed.replace("/", "-")
        shutil.copytree(copy, edited)
        (edited / changed).write_bytes((edited / changed).read_bytes() + b" ")
        assert content_hash(edited) != content_hash(), changed


def test_observation_codings_cover_every_code_the_rules_read(knowledge) -> None:
    codings = knowledge.observation_codings()
    assert len(codings) == len(set(codings))
    expected = {(LOINC, c) for c in ("19123-9", "2601-3", "22760-3", "2823-3", "75940-7", "2951-2", "2947-0",
                                     "77139-4", "17861-6", "2000-8", "29265-6", "17864-0", "1995-0", "1994-3",
                                     "1751-7", "98979-8", "62238-1", "82810-3", "2106-3", "2118-8")}
    expected |= {(SNOMED, "13753008"), (SNOMED, "32402008"), (SNOMED, "1070000"), (ICD10CM, "G51.4")}
    assert expected <= set(codings)
    assert all(system in (LOINC, SNOMED, ICD10CM) for system, _ in codings)


def test_patients_without_twitching_get_no_cards_at_all(knowledge) -> None:
    evaluation = patient_view(knowledge, icd("G40.909"), icd("T56.0X1A"), lab("2823-3", 2.2, "mmol/L"),
                              medication("Valproic acid 250 MG"))
    assert isinstance(evaluation, Evaluation)
    assert evaluation.cards == [] and not evaluation.skipped_resources


def test_rules_use_the_today_passed_in_not_the_clock(knowledge) -> None:
    resources = (twitching(onset="2026-09-15"), lab("2823-3", 3.9, "mmol/L"))
    first = [c.rule_id for c in patient_view(knowledge, *resources, today=TODAY).cards]
    later = [c.rule_id for c in patient_view(knowledge, *resources, today=TODAY.replace(month=12)).cards]
    assert first == [] and later == ["refractory.botulinum-toxin"]


def test_lab_recency_window_is_a_parameter(knowledge) -> None:
    data = chart(twitching(), lab("2823-3", 3.1, "mmol/L", when="2026-07-01"), patient_resource=patient())
    assert [c.rule_id for c in knowledge.evaluate_patient_view(data, today=TODAY).cards] == [
        "electrolyte.panel.missing"]
    assert [c.rule_id for c in knowledge.evaluate_patient_view(data, today=TODAY, lab_recency_days=180).cards] == [
        "electrolyte.potassium.low"]


def test_rules_name_every_rule_with_a_title(knowledge) -> None:
    rules = knowledge.rules()
    assert all(rule.rule_id and rule.title for rule in rules)
    assert {"electrolyte.magnesium.low", "order.botulinum.nmj-disorder", "redflag.urgent-review"} <= {
        rule.rule_id for rule in rules}


def test_a_large_chart_validates_only_what_the_rules_read(knowledge, monkeypatch: pytest.MonkeyPatch) -> None:
    validated: Counter = Counter()
    original = ResourceReader.read

    def counting(self, model, raw):
        validated[model.get_resource_type()] += 1
        return original(self, model, raw)

    monkeypatch.setattr(ResourceReader, "read", counting)
    resources = [twitching(), icd("G40.909"), medication("Lamotrigine 25 MG")]
    resources += [lab("2823-3", 4.0, "mmol/L", when=f"2026-{month:02d}-{day:02d}")
                  for month in range(1, 12) for day in range(1, 29)]
    resources += [lab("718-7", 13.5, "g/dL") for _ in range(600)]
    resources += [icd("I10") for _ in range(300)]
    resources += [medication("Atorvastatin 20 MG") for _ in range(290)]
    assert len(resources) > 1_500
    evaluation = knowledge.evaluate_patient_view(chart(*resources, patient_resource=patient()), today=TODAY)
    assert [c.rule_id for c in evaluation.cards] == ["epilepsy.treatment.review"]
    assert sum(validated.values()) <= 8, validated
