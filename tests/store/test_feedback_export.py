"""`facial-twitch-cds feedback export`: the comments on one rule for a period, for reviewers, audited, never logged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cds_hooks.store import Store
from store_builders import T0, days, issued_card, overridden

ROOT = Path(__file__).resolve().parents[2]


def _export(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("FTCDS_")}, "FTCDS_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "cds_hooks", "feedback", "export", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_export_gives_one_rules_comments_in_the_period_and_audits_without_them(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{(tmp_path / 'facial-twitch-cds.sqlite3').resolve()}")
    store.upgrade()
    store.record_issued([issued_card("mg-1"), issued_card("mg-2"),
                         issued_card("k-1", rule_id="electrolyte.potassium.low")])
    store.save_feedback("patient-view", [
        overridden("mg-1", "not-relevant", at=T0, comment="patient says it is only when tired"),
        overridden("mg-2", "disagree", at=T0 + days(40), comment="outside the period"),
        overridden("k-1", "not-relevant", at=T0, comment="another rule"),
    ])
    store.close()
    day = T0.date().isoformat()
    result = _export(tmp_path, "--rule", "electrolyte.magnesium.low", "--start", day, "--end", day)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["card"], r["reason"], r["comment"]) for r in rows] == [
        ("mg-1", "not-relevant", "patient says it is only when tired")]
    [audit] = [json.loads(line) for line in result.stderr.splitlines() if '"feedback export"' in line]
    assert audit["rule"] == "electrolyte.magnesium.low" and audit["comments"] == 1 and audit["user"]
    assert "tired" not in result.stderr


def test_an_unknown_rule_is_refused(tmp_path: Path) -> None:
    result = _export(tmp_path, "--rule", "no.such.rule", "--start", "2026-11-01", "--end", "2026-11-30")
    assert result.returncode == 2 and "no rule 'no.such.rule'" in result.stderr and not result.stdout
