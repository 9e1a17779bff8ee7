"""Suppression screening and the id-hash secret: the pure parts of closing the loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from cards import load_knowledge
from cards.model import CardDraft, Citation
from cds_hooks.feedback_loop import MissingIdSecret, id_hash_secret, screen, suppression_policy
from cds_hooks.settings import Settings, UnsafeConfiguration
from cds_hooks.store import Suppression, SuppressionPolicy

UNTIL = datetime(2026, 12, 25, tzinfo=UTC)


def draft(rule_id: str, indicator: str) -> CardDraft:
    return CardDraft(rule_id, "title", "summary", indicator, "detail", Citation("s", "https://example.org"))  # type: ignore[arg-type]


def snooze(rule_id: str, indicator: str) -> Suppression:
    return Suppression(rule_id=rule_id, until=UNTIL, reason="already-addressed", indicator=indicator)  # type: ignore[arg-type]


def test_unsnoozed_cards_pass_untouched() -> None:
    cards = [draft("a", "info"), draft("b", "warning")]
    screened = screen(cards, {})
    assert screened.shown == cards and screened.held_back == []


def test_snoozed_card_of_the_same_severity_is_held_back() -> None:
    screened = screen([draft("a", "warning"), draft("b", "info")], {"a": snooze("a", "warning")})
    assert [d.rule_id for d in screened.shown] == ["b"]
    assert screened.held_back == ["a"]


@pytest.mark.parametrize(("now", "then"), [("critical", "critical"), ("critical", "info"), ("warning", "info")])
def test_critical_or_worsened_card_is_shown_again_with_a_note(now: str, then: str) -> None:
    screened = screen([draft("a", now)], {"a": snooze("a", then)})
    [shown] = screened.shown
    assert screened.held_back == []
    assert "Shown again although it was dismissed" in shown.detail
    assert "2026-12-25" in shown.detail


def test_milder_card_than_the_one_dismissed_stays_held_back() -> None:
    assert screen([draft("a", "info")], {"a": snooze("a", "warning")}).held_back == ["a"]


def test_configured_secret_is_used_as_given(tmp_path: Path) -> None:
    settings = Settings(id_hash_secret="s3cret", data_dir=tmp_path)
    assert id_hash_secret(settings) == b"s3cret"
    assert list(tmp_path.iterdir()) == []


def test_single_instance_keeps_a_generated_secret_in_a_private_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = id_hash_secret(settings)
    assert len(first) == 64
    assert id_hash_secret(settings) == first, "the same secret across restarts, or suppression would reset"
    [secret_file] = (tmp_path / "data").iterdir()
    assert secret_file.stat().st_mode & 0o077 == 0


def test_shared_database_without_a_configured_secret_refuses_to_start(tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql+psycopg://db/cds", data_dir=tmp_path)
    with pytest.raises(MissingIdSecret, match="FTCDS_ID_HASH_SECRET"):
        id_hash_secret(settings)


REASONS = load_knowledge().override_reasons


def test_suppression_windows_come_from_settings() -> None:
    policy = suppression_policy(Settings(suppress_accepted_days=7, suppress_override_days={"patient-declined": 3}),
                                REASONS)
    start = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    assert policy.until("accepted", None, start) == start + timedelta(days=7)
    assert policy.until("overridden", "patient-declined", start) == start + timedelta(days=3)
    assert policy.until("overridden", "already-addressed", start) == start + timedelta(days=30)  # knowledge default
    assert policy.until("overridden", "disagree", start) is None
    assert policy.until("overridden", None, start) == datetime(2026, 11, 26, tzinfo=UTC)  # default: rest of the day


def test_a_window_for_a_reason_the_cards_never_offer_stops_the_start() -> None:
    settings = Settings(suppress_override_days={"patient-declind": 3})
    with pytest.raises(UnsafeConfiguration, match="FTCDS_SUPPRESS_OVERRIDE_DAYS: 'patient-declind' is not an override "
                                                  "reason the cards offer"):
        suppression_policy(settings, REASONS)


def test_dismissal_window_in_hours_comes_from_settings() -> None:
    start = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    assert suppression_policy(Settings(suppress_dismissed_hours=4), REASONS).until("overridden", None, start) == (
        start + timedelta(hours=4))
    assert suppression_policy(Settings(suppress_dismissed_hours=0), REASONS).until("overridden", None, start) is None


@pytest.mark.parametrize("hours", [-1, 721])
def test_dismissal_hours_out_of_range_are_refused(hours: int) -> None:
    with pytest.raises(ValidationError, match="suppress_dismissed_hours"):
        Settings(suppress_dismissed_hours=hours)


def test_dismissal_hours_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTCDS_SUPPRESS_DISMISSED_HOURS", "8")
    assert Settings().suppress_dismissed_hours == 8


@pytest.mark.parametrize(
    ("start", "until"),
    [
        (datetime(2026, 11, 25, 9, 30, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC)),
        (datetime(2026, 11, 25, 0, 0, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC)),  # the whole day
        (datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC)),
        (datetime(2026, 12, 31, 12, 0, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        # 20:00 in New York on the 25th is 01:00 UTC on the 26th: the UTC day decides
        (datetime(2026, 11, 25, 20, 0, tzinfo=timezone(timedelta(hours=-5))), datetime(2026, 11, 27, tzinfo=UTC)),
    ],
)
def test_a_plain_dismissal_snoozes_until_the_next_utc_midnight(start: datetime, until: datetime) -> None:
    assert SuppressionPolicy().until("overridden", None, start) == until
    assert SuppressionPolicy.reason("overridden", None) == "dismissed"


@pytest.mark.parametrize(("now", "then"), [("critical", "critical"), ("critical", "warning"), ("warning", "info")])
def test_a_dismissal_never_hides_a_critical_or_worse_card(now: str, then: str) -> None:
    dismissed = Suppression(rule_id="a", until=UNTIL, reason="dismissed", indicator=then)  # type: ignore[arg-type]
    [shown] = screen([draft("a", now)], {"a": dismissed}).shown
    assert "(reason: dismissed)" in shown.detail
