"""How cards fare: issued, accepted, overridden (by reason) and suppressed, per rule, per service and per day.

Each event counts on its own day (UTC): a card on the day it was issued, feedback on its `outcomeTimestamp`, a
suppression on the day it held a card back. Feedback on cards we never issued is not counted (it had no effect).
Feedback naming a suggestion its card never had (answered `unknown-suggestion`) snoozed nothing either: it counts
as neither accepted nor overridden, only under `unknown_suggestion`, so an EHR that mixes up cards shows up without
inflating acceptance. Nothing here identifies a patient or a clinician: only rule ids, service ids, dates and counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import TypeVar

from sqlalchemy import ColumnElement, Connection, Date, Select, and_, func, select

from .schema import feedback, issued_cards, suppressed_events

UNSPECIFIED_REASON = "unspecified"
"""The reason bucket of overrides that came without a reason code."""

V = TypeVar("V")


@dataclass(frozen=True)
class Counts:
    issued: int = 0
    accepted: int = 0
    overridden_by_reason: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    suppressed: int = 0
    silent: int = 0  # "would have fired": cards of rules in silent mode
    unknown_suggestion: int = 0  # feedback naming a suggestion its card never had: neither accepted nor overridden

    @property
    def overridden(self) -> int:
        return sum(self.overridden_by_reason.values())

    @property
    def acceptance_rate(self) -> float | None:
        """accepted / (accepted + overridden); None when there was no feedback to judge by."""
        answered = self.accepted + self.overridden
        return self.accepted / answered if answered else None

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            issued=self.issued + other.issued,
            accepted=self.accepted + other.accepted,
            overridden_by_reason=MappingProxyType(
                dict(Counter(self.overridden_by_reason) + Counter(other.overridden_by_reason))
            ),
            suppressed=self.suppressed + other.suppressed,
            silent=self.silent + other.silent,
            unknown_suggestion=self.unknown_suggestion + other.unknown_suggestion,
        )


@dataclass(frozen=True)
class Analytics:
    """Counts over the days `start`..`end` (inclusive), optionally for one service.

    `by_rule` and `by_service` are sorted by id; `by_day` has every day of the range, in order, zeros included.
    """

    start: date
    end: date
    service_id: str | None
    total: Counts
    by_rule: Mapping[str, Counts]
    by_service: Mapping[str, Counts]
    by_day: Mapping[date, Counts]
    # issued, accepted and overridden per knowledge version of the card (suppressions count no version)
    by_knowledge_version: Mapping[str, Counts] = field(default_factory=lambda: MappingProxyType({}))
    # accepted suggestions by their stable key ("magnesium-supplement", "<rule>.remove-draft"), sorted by key
    accepted_by_suggestion: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # rule id -> knowledge version -> counts, both sorted: how one rule fared under each release of the content
    by_rule_and_version: Mapping[str, Mapping[str, Counts]] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class _Tally:
    """Counts of one rule, on one service, on one day: the unit every view is summed from."""

    rule_id: str
    service_id: str
    day: date
    counts: Counts
    knowledge_version: str | None = None


def query_analytics(connection: Connection, start: date, end: date, service_id: str | None) -> Analytics:
    if start > end:
        raise ValueError("analytics range: start is after end")
    answered, accepted_by_suggestion = _feedback(connection, start, end, service_id)
    tallies = [
        *_issued(connection, start, end, service_id),
        *answered,
        *_suppressed(connection, start, end, service_id),
    ]
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    by_day = dict.fromkeys(days, Counts())
    by_rule: dict[str, Counts] = {}
    by_service: dict[str, Counts] = {}
    by_version: dict[str, Counts] = {}
    by_rule_and_version: dict[str, dict[str, Counts]] = {}
    for tally in tallies:
        by_day[tally.day] += tally.counts
        _add(by_rule, tally.rule_id, tally.counts)
        _add(by_service, tally.service_id, tally.counts)
        if tally.knowledge_version is not None:
            _add(by_version, tally.knowledge_version, tally.counts)
            _add(by_rule_and_version.setdefault(tally.rule_id, {}), tally.knowledge_version, tally.counts)
    return Analytics(
        start=start,
        end=end,
        service_id=service_id,
        total=sum(by_day.values(), Counts()),
        by_rule=_sorted(by_rule),
        by_service=_sorted(by_service),
        by_day=MappingProxyType(by_day),
        by_knowledge_version=_sorted(by_version),
        accepted_by_suggestion=_sorted(accepted_by_suggestion),
        by_rule_and_version=_sorted({rule: _sorted(versions) for rule, versions in by_rule_and_version.items()}),
    )


def _add(totals: dict[str, Counts], key: str, counts: Counts) -> None:
    totals[key] = totals.get(key, Counts()) + counts


def _sorted(mapping: Mapping[str, V]) -> Mapping[str, V]:
    return MappingProxyType(dict(sorted(mapping.items())))


def _in_range(column: ColumnElement[datetime], start: date, end: date) -> ColumnElement[bool]:
    return and_(
        column >= datetime.combine(start, time.min, UTC),
        column < datetime.combine(end + timedelta(days=1), time.min, UTC),
    )


def _day(column: ColumnElement[datetime]) -> ColumnElement[date]:
    # Timestamps are stored as naive UTC (schema.UtcDateTime), so date() is the UTC day on both databases.
    return func.date(column, type_=Date)


def _for_service(query: Select, service_column: ColumnElement[str], service_id: str | None) -> Select:
    return query.where(service_column == service_id) if service_id is not None else query


def _issued(connection: Connection, start: date, end: date, service_id: str | None) -> list[_Tally]:
    day = _day(issued_cards.c.issued_at)
    version = issued_cards.c.knowledge_version
    query = (
        select(issued_cards.c.rule_id, issued_cards.c.service_id, day, version, func.count())
        .where(_in_range(issued_cards.c.issued_at, start, end))
        .group_by(issued_cards.c.rule_id, issued_cards.c.service_id, day, version)
    )
    rows = connection.execute(_for_service(query, issued_cards.c.service_id, service_id))
    return [_Tally(rule, service, on, Counts(issued=n), knowledge) for rule, service, on, knowledge, n in rows]


def _feedback(connection: Connection, start: date, end: date,
              service_id: str | None) -> tuple[list[_Tally], Counter[str]]:
    """Feedback on cards we issued, and how often each suggestion was accepted (by its stable key).

    Counted here rather than grouped in SQL because whether feedback names only the card's own suggestions
    compares two JSON lists, which SQLite and PostgreSQL cannot do alike. Cards issued before suggestion keys were
    recorded count their acceptances under no key.
    """
    day = _day(feedback.c.outcome_timestamp)
    query = (
        select(
            issued_cards.c.rule_id,
            issued_cards.c.service_id,
            day,
            issued_cards.c.knowledge_version,
            feedback.c.outcome,
            feedback.c.override_code,
            feedback.c.accepted_suggestions,
            issued_cards.c.suggestion_uuids,
            issued_cards.c.suggestion_keys,
        )
        .select_from(feedback.join(issued_cards, issued_cards.c.uuid == feedback.c.card_uuid))
        .where(feedback.c.card_known.is_(True), _in_range(feedback.c.outcome_timestamp, start, end))
    )
    tallies: Counter[tuple[str, str, date, str, str, str | None, bool]] = Counter()
    accepted_by_suggestion: Counter[str] = Counter()
    for rule, service, on, knowledge, outcome, code, chosen, uuids, keys in connection.execute(
        _for_service(query, issued_cards.c.service_id, service_id)
    ):
        # The same test by which `Store.save_feedback` answers `unknown-suggestion`.
        own_suggestions = set(chosen or ()) <= set(uuids or ())
        if own_suggestions and outcome == "accepted":
            key_of = dict(zip(uuids or (), keys or (), strict=False))
            accepted_by_suggestion.update(key_of[uuid] for uuid in chosen if uuid in key_of)
        tallies[rule, service, on, knowledge, outcome, code, own_suggestions] += 1
    return [
        _Tally(rule, service, on, _feedback_counts(outcome, code, own_suggestions, n), knowledge)
        for (rule, service, on, knowledge, outcome, code, own_suggestions), n in tallies.items()
    ], accepted_by_suggestion


def _feedback_counts(outcome: str, code: str | None, own_suggestions: bool, n: int) -> Counts:
    """`n` alike items of feedback; naming a suggestion its card never had, they snoozed nothing and judge nothing."""
    if not own_suggestions:
        return Counts(unknown_suggestion=n)
    if outcome == "accepted":
        return Counts(accepted=n)
    return Counts(overridden_by_reason=MappingProxyType({code or UNSPECIFIED_REASON: n}))


def _suppressed(connection: Connection, start: date, end: date, service_id: str | None) -> list[_Tally]:
    """Snoozed and silent cards, told apart by `silent`."""
    at, silent = suppressed_events.c.at, suppressed_events.c.silent
    day = _day(at)
    query = (
        select(suppressed_events.c.rule_id, suppressed_events.c.service_id, day, silent, func.count())
        .where(_in_range(at, start, end))
        .group_by(suppressed_events.c.rule_id, suppressed_events.c.service_id, day, silent)
    )
    rows = connection.execute(_for_service(query, suppressed_events.c.service_id, service_id))
    return [_Tally(rule, service, on, Counts(silent=n) if was_silent else Counts(suppressed=n))
            for rule, service, on, was_silent, n in rows]
