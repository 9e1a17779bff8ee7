"""Closing the loop between the cards we show and what clinicians do with them.

Per hook call: look up the patient's live snoozes (in memory, from the store when the cache cannot answer; see
`store.suppression_cache`), hold back snoozed cards, and hand what was issued and held back to the background
recorder (never waited for). Per feedback call: store every item durably
before answering. Critical cards are never silently dropped: a snoozed rule whose card is now critical, or more
severe than the card that was dismissed, is shown anyway, with a line saying it was dismissed before and why it
is back.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from cards import CardDraft, OverrideReason

from .models import Card, FeedbackRequest
from .private_files import private_file
from .settings import Settings, UnsafeConfiguration
from .store import (
    FeedbackRecord,
    FeedbackResult,
    IssuedCard,
    IssuedCardRecorder,
    Store,
    SuppressedCard,
    Suppression,
    SuppressionPolicy,
    keyed_hash,
)
from .store.suppression_cache import SuppressionCache, live

SECRET_FILE_NAME = "id-hash.secret"


class MissingIdSecret(RuntimeError):
    """Several instances sharing a database must share the id-hash secret, so it cannot be made up locally."""


def id_hash_secret(settings: Settings) -> bytes:
    """The key for hashing patient and user ids: configured, or (single instance) kept in a file beside the data."""
    if settings.id_hash_secret is not None:
        return settings.id_hash_secret.get_secret_value().encode()
    if settings.database_url:
        raise MissingIdSecret(
            "FTCDS_ID_HASH_SECRET must be set when FTCDS_DATABASE_URL is: every instance sharing the database "
            "must hash patient ids with the same key"
        )
    path: Path = settings.data_dir / SECRET_FILE_NAME
    if not path.exists():
        private_file(path)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip().encode()


def override_problems(settings: Settings, reasons: Iterable[OverrideReason]) -> list[str]:
    """A snooze window set for a reason the cards never offer is a typo that would silently do nothing."""
    known = {reason.code for reason in reasons}
    return [f"FTCDS_SUPPRESS_OVERRIDE_DAYS: {code!r} is not an override reason the cards offer (known: "
            f"{', '.join(sorted(known))})" for code in sorted(set(settings.suppress_override_days) - known)]


def suppression_policy(settings: Settings, reasons: Iterable[OverrideReason]) -> SuppressionPolicy:
    """Each reason's window from the knowledge, replaced where the settings name it; refused for unknown codes."""
    reasons = tuple(reasons)
    if problems := override_problems(settings, reasons):
        raise UnsafeConfiguration("; ".join(problems))
    windows = {reason.code: settings.suppress_override_days.get(reason.code, reason.snooze_days) for reason in reasons}
    return SuppressionPolicy(
        accepted=timedelta(days=settings.suppress_accepted_days),
        override_reasons={code: timedelta(days=days) for code, days in windows.items()},
        dismissed=(
            None if settings.suppress_dismissed_hours is None else timedelta(hours=settings.suppress_dismissed_hours)
        ),
    )


@dataclass
class Screened:
    """Drafts after suppression: what to show, and the rules held back."""

    shown: list[CardDraft]
    held_back: list[str]


def _resurfaced(draft: CardDraft, snooze: Suppression) -> CardDraft:
    note = (
        f"\n\n_Shown again although it was dismissed for this patient until {snooze.until:%Y-%m-%d} "
        f"(reason: {snooze.reason}): it is critical, or more severe than when it was dismissed._"
    )
    return replace(draft, detail=draft.detail + note)


_SEVERITY = {"info": 0, "warning": 1, "critical": 2}


def screen(drafts: Sequence[CardDraft], snoozes: dict[str, Suppression]) -> Screened:
    """Hold back snoozed rules, except that a critical card, or one more severe than the one dismissed, is shown
    again (with a note): a dismissal answered the situation the clinician saw, not a worse one."""
    screened = Screened(shown=[], held_back=[])
    for draft in drafts:
        snooze = snoozes.get(draft.rule_id)
        if snooze is None:
            screened.shown.append(draft)
        elif draft.indicator == "critical" or _SEVERITY[draft.indicator] > _SEVERITY[snooze.indicator]:
            screened.shown.append(_resurfaced(draft, snooze))
        else:
            screened.held_back.append(draft.rule_id)
    return screened


@dataclass(frozen=True)
class Tenant:
    """Whose ids these are: patient and user ids are unique only within one EHR (its JWT issuer) and FHIR server,
    so every key the store sees is scoped to both, and one EHR's feedback can never quiet another EHR's cards."""

    issuer: str | None  # the verified token's `iss`; None with authentication off
    fhir_server: str | None  # the request's `fhirServer`, without a trailing slash; None when not sent

    def scoped(self, identifier: str) -> str:
        return json.dumps([self.issuer, self.fhir_server, identifier])


class NoFeedback:
    """The loop for a run without a store (`facial-twitch-cds evaluate`): nothing is suppressed or recorded."""

    def key(self, identifier: str, tenant: Tenant) -> str:
        return ""

    async def screen(self, patient_key: str, drafts: Sequence[CardDraft]) -> Screened:
        return Screened(shown=list(drafts), held_back=[])

    def remember(self, **_: Any) -> None:
        return None


class FeedbackLoop:
    def __init__(
        self,
        store: Store,
        recorder: IssuedCardRecorder,
        secret: bytes,
        knowledge_version: str,
        suppressions: SuppressionCache | None = None,
    ) -> None:
        """Snooze look-ups and records use the store's clock, the one "now" of the feedback loop. With
        `suppressions`, snoozes are read from that cache and the store is asked only when it cannot answer."""
        self.store = store
        self.recorder = recorder
        self.suppressions = suppressions
        self._secret = secret
        self._knowledge_version = knowledge_version

    def key(self, identifier: str, tenant: Tenant) -> str:
        """The keyed hash that stands for a patient or user id of `tenant` in the store and in logs."""
        return keyed_hash(self._secret, tenant.scoped(identifier))

    def issuer_key(self, issuer: str | None) -> str:
        """The keyed hash recorded with each card, so only its issuer can give feedback on it."""
        return keyed_hash(self._secret, json.dumps(["issuer", issuer]))

    async def screen(self, patient_key: str, drafts: Sequence[CardDraft]) -> Screened:
        if not drafts:
            return Screened(shown=[], held_back=[])
        now = self.store.now()
        cache = self.suppressions
        snoozes = cache.lookup(patient_key, now) if cache is not None else None
        if snoozes is None:
            generation = cache.generation if cache is not None else 0
            rows = await run_in_threadpool(self.store.suppressions_after, patient_key, now)
            if cache is not None:
                cache.remember(patient_key, now, rows, generation)
            snoozes = live(rows, now)
        return screen(drafts, snoozes)

    def remember(
        self,
        *,
        service_id: str,
        hook_instance: str,
        patient_key: str,
        user_key: str,
        issuer: str | None,
        cards: Sequence[tuple[CardDraft, Card]],
        held_back: Sequence[str],
        silent: Sequence[str] = (),
    ) -> None:
        """Queue what was issued and held back for the background writer; returns at once."""
        now = self.store.now()
        issued = [
            IssuedCard(
                uuid=card.uuid,
                hook_instance=hook_instance,
                service_id=service_id,
                rule_id=draft.rule_id,
                knowledge_version=self._knowledge_version,
                indicator=draft.indicator,
                suggestion_uuids=tuple(s.uuid for s in card.suggestions or () if s.uuid),
                # rendered in the draft's order: the stable key of each, for acceptance per suggestion
                suggestion_keys=tuple(s.key for s in draft.suggestions),
                issued_at=now,
                issuer_key=self.issuer_key(issuer),
                patient_key=patient_key,
                user_key=user_key,
            )
            for draft, card in cards
        ]
        suppressed = [SuppressedCard(rule, service_id, patient_key, now) for rule in held_back]
        suppressed += [SuppressedCard(rule, service_id, patient_key, now, silent=True) for rule in silent]
        self.recorder.submit(issued=issued, suppressed=suppressed)

    async def save_feedback(self, service_id: str, request: FeedbackRequest,
                            issuer: str | None) -> list[FeedbackResult]:
        """Store every item durably (committed before this returns); duplicates are stored once. Feedback on a card
        issued to another issuer is answered `unknown-card` and snoozes nothing."""
        records = [
            FeedbackRecord(
                card_uuid=item.card,
                outcome=item.outcome,
                accepted_suggestions=tuple(s.id for s in item.acceptedSuggestions or ()),
                override_code=item.overrideReason.reason.code if item.overrideReason and item.overrideReason.reason else None,
                override_system=(
                    item.overrideReason.reason.system if item.overrideReason and item.overrideReason.reason else None
                ),
                override_comment=item.overrideReason.userComment if item.overrideReason else None,
                outcome_timestamp=item.outcomeTimestamp,
            )
            for item in request.feedback
        ]
        return await run_in_threadpool(self._save, service_id, records, self.issuer_key(issuer))

    def _save(self, service_id: str, records: list[FeedbackRecord], issuer_key: str) -> list[FeedbackResult]:
        # Cards are recorded in the background; write those still queued so this feedback finds its card.
        self.recorder.flush()
        results = self.store.save_feedback(service_id, records, issuer_key)
        if self.suppressions is not None and any(result.status == "stored" for result in results):
            self.suppressions.forget()  # this process's next call sees the snooze without waiting for a notification
        return results

    def close(self) -> None:
        """Flush queued records (normal shutdown loses nothing) and release the database."""
        self.recorder.close()
        if self.suppressions is not None:
            self.suppressions.close()
        self.store.close()
