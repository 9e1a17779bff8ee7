"""`MemoryReplayGuard`: each (issuer, jti) is claimed once while live, then forgotten, safely across threads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from cds_hooks.replay import MemoryReplayGuard, ReplayGuard

ISSUER = "https://ehr.example.org"
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def in_seconds(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def test_a_jti_is_claimed_the_first_time_only() -> None:
    guard: ReplayGuard = MemoryReplayGuard(FakeClock())
    assert guard.claim_jti(ISSUER, "jti-1", in_seconds(300)) is True
    assert guard.claim_jti(ISSUER, "jti-1", in_seconds(300)) is False


def test_the_same_jti_from_another_issuer_is_another_claim() -> None:
    guard = MemoryReplayGuard(FakeClock())
    assert guard.claim_jti(ISSUER, "jti-1", in_seconds(300))
    assert guard.claim_jti("https://other-ehr.example.org", "jti-1", in_seconds(300))


def test_a_claim_is_held_until_it_ends_and_then_forgotten() -> None:
    clock = FakeClock()
    guard = MemoryReplayGuard(clock)
    guard.claim_jti(ISSUER, "jti-1", in_seconds(300))
    clock.advance(299)
    assert guard.claim_jti(ISSUER, "jti-1", in_seconds(600)) is False
    clock.advance(1)
    assert guard.claim_jti(ISSUER, "jti-1", in_seconds(600)) is True


def test_a_claim_that_has_already_ended_is_not_remembered() -> None:
    guard = MemoryReplayGuard(FakeClock())
    assert guard.claim_jti(ISSUER, "jti-1", in_seconds(-1)) is True
    assert len(guard) == 0


def test_memory_holds_only_the_claims_still_live() -> None:
    clock = FakeClock()
    guard = MemoryReplayGuard(clock)
    for number in range(1_000):
        guard.claim_jti(ISSUER, f"short-{number}", in_seconds(60))
    guard.claim_jti(ISSUER, "long", in_seconds(3600))
    assert len(guard) == 1_001
    clock.advance(60)
    guard.claim_jti(ISSUER, "new", in_seconds(3600))
    assert len(guard) == 2


def test_racing_threads_let_exactly_one_claim_win() -> None:
    guard = MemoryReplayGuard()
    contenders = 16
    start = threading.Barrier(contenders)
    outcomes: list[bool] = []

    def claim() -> None:
        start.wait()
        outcomes.append(guard.claim_jti(ISSUER, "contested", datetime.now(UTC) + timedelta(minutes=5)))

    threads = [threading.Thread(target=claim) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False] * (contenders - 1) + [True]
