"""The portal's booking rules — booking window, booking and cancellation deadlines, the balance rule — as pure
functions of the policy data and an instant (their worked examples: docs/architecture.md).

Nothing here reads the database or the system clock: the caller passes the activity, the day's calendar facts
and ``now`` (aware). All dates are Europe/Paris local dates; "until 23:59" means allowed during that whole
minute, i.e. while local time is before the next midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from ... import text
from ...clock import PARIS
from ...models import DeadlineKind, DeadlineRule, OpeningKind
from ...text import clock_time, format_eur, long_date


class Verdict(StrEnum):
    OK = "ok"
    PAST = "past"
    CLOSED = "closed"
    NOT_OPEN = "not_open"
    TOO_FAR = "too_far"
    DEADLINE_PASSED = "deadline_passed"
    ALREADY_BOOKED = "already_booked"
    NOT_BOOKED = "not_booked"


@dataclass(frozen=True)
class RuleCheck:
    verdict: Verdict
    reason: str = ""
    limit: datetime | None = None
    """For a deadline: the first instant at which the action is no longer allowed (aware, UTC)."""

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK


OK = RuleCheck(Verdict.OK)


@dataclass(frozen=True)
class DayFacts:
    """What the calendar says about one date for one activity."""

    day: date
    runs: bool
    """An open activity day exists for this date."""
    closed_reason: str | None = None
    """Why the activity does not run that day (public holiday, school holidays, closed by the structure…)."""
    opening_date: date | None = None
    """For period-based activities: the period's booking opening date."""


def deadline_day(rule: DeadlineRule, day: date, public_holidays: frozenset[date] | set[date]) -> date:
    """The last local date on which the action is allowed (until ``rule.at``)."""
    if rule.kind is DeadlineKind.LAST_WEEKDAY:
        if rule.weekday is None:
            raise ValueError("a LAST_WEEKDAY rule needs a weekday")
        d = day - timedelta(days=1)
        while d.weekday() != rule.weekday:
            d -= timedelta(days=1)
        return d
    n = rule.days or 0
    skipped = rule.skipped_weekdays
    if len(skipped) >= 7:
        raise ValueError("a deadline cannot skip every weekday")
    d = day
    counted = 0
    while counted < n:
        d -= timedelta(days=1)
        if d.weekday() in skipped or (rule.skip_public_holidays and d in public_holidays):
            continue
        counted += 1
    return d


def deadline_limit(rule: DeadlineRule, day: date, public_holidays: frozenset[date] | set[date]) -> datetime:
    """First instant (UTC) at which the action is refused: the end of the minute ``rule.at`` on the deadline day."""
    last = deadline_day(rule, day, public_holidays)
    wall = datetime.combine(last, rule.at, tzinfo=PARIS)
    return wall.astimezone(UTC) + timedelta(minutes=1)


def _deadline_check(
    rule: DeadlineRule, day: date, now: datetime, holidays: frozenset[date] | set[date], what: str
) -> RuleCheck:
    limit = deadline_limit(rule, day, holidays)
    if now < limit:
        return RuleCheck(Verdict.OK, limit=limit)
    last = deadline_day(rule, day, holidays)
    return RuleCheck(
        Verdict.DEADLINE_PASSED,
        f"Délai dépassé : {what} possible jusqu'au {long_date(last)} à {clock_time(rule.at)}",
        limit,
    )


def check_booking(
    *,
    opening_kind: OpeningKind,
    horizon_days: int | None,
    booking_deadline: DeadlineRule,
    facts: DayFacts,
    now: datetime,
    public_holidays: frozenset[date] | set[date],
    ignore_deadlines: bool = False,
) -> RuleCheck:
    """May a place be requested for ``facts.day`` at ``now``? (closing, past, opening, deadline)."""
    today = now.astimezone(PARIS).date()
    if not facts.runs:
        return RuleCheck(Verdict.CLOSED, f"Fermé : {facts.closed_reason or 'pas d’accueil ce jour-là'}")
    if facts.day < today:
        return RuleCheck(Verdict.PAST, "Journée passée")
    if ignore_deadlines:
        return OK
    if opening_kind is OpeningKind.ROLLING:
        horizon = horizon_days or 0
        if facts.day > today + timedelta(days=horizon):
            opens = facts.day - timedelta(days=horizon)
            return RuleCheck(
                Verdict.TOO_FAR,
                f"Trop tôt : réservation possible {horizon} jours à l'avance au plus (à partir du {long_date(opens)})",
            )
    else:
        if facts.opening_date is None:
            return RuleCheck(Verdict.CLOSED, "Fermé : aucune période de réservation pour ce jour")
        if now < datetime.combine(facts.opening_date, datetime.min.time(), tzinfo=PARIS):
            return RuleCheck(
                Verdict.NOT_OPEN,
                f"Pas encore ouvert : réservations à partir du {long_date(facts.opening_date)}",
            )
    return _deadline_check(booking_deadline, facts.day, now, public_holidays, "réservation")


def check_cancellation(
    *,
    cancel_deadline: DeadlineRule,
    day: date,
    now: datetime,
    public_holidays: frozenset[date] | set[date],
    ignore_deadlines: bool = False,
) -> RuleCheck:
    """May an accepted reservation of ``day`` be cancelled at ``now`` (with a refund)?"""
    if day < now.astimezone(PARIS).date():
        return RuleCheck(Verdict.PAST, "Journée passée")
    if ignore_deadlines:
        return OK
    return _deadline_check(cancel_deadline, day, now, public_holidays, "annulation")


def check_leave_waitlist(*, day: date, now: datetime) -> RuleCheck:
    """Leaving a waitlist frees no place and refunds nothing: allowed until the day itself."""
    if day < now.astimezone(PARIS).date():
        return RuleCheck(Verdict.PAST, "Journée passée")
    return OK


@dataclass(frozen=True)
class BalanceCheck:
    """The balance rule of a basket (no addition from an account in debit; the balance covers the additions'
    estimated cost minus the refunds), with what is missing to confirm it."""

    needed_cents: int
    """Estimated cost of the requested additions (waitlisted ones included) − refunds of in-time cancellations."""
    missing_cents: int
    in_debit: bool

    @property
    def ok(self) -> bool:
        return self.missing_cents == 0


def check_balance(
    *, balance_cents: int, additions_cents: int, refunds_cents: int, has_additions: bool
) -> BalanceCheck:
    """A basket with additions is allowed only if the account is not in debit and the balance covers the
    additions' estimated cost minus the refunds; a basket of in-time cancellations only is always allowed (it
    lowers the debt). Examples: 65,00 € for five 13,00 € days → allowed; 64,99 € → 0,01 € missing;
    −0,01 € and one cancellation of a 13,00 € day → allowed."""
    needed = additions_cents - refunds_cents
    if not has_additions:
        return BalanceCheck(needed, 0, balance_cents < 0)
    missing = max(0, max(0, needed) - balance_cents)
    return BalanceCheck(needed, missing, balance_cents < 0)


def balance_refusal(check: BalanceCheck, balance_cents: int) -> str:
    """The agent's message for a refused basket."""
    if check.in_debit:
        return (
            f"Compte famille débiteur ({format_eur(balance_cents)}) : aucune réservation ne peut être "
            f"validée ; il manque {format_eur(check.missing_cents)}."
        )
    return (
        f"Solde insuffisant : il manque {format_eur(check.missing_cents)} "
        f"(demandes {format_eur(max(0, check.needed_cents))}, solde {format_eur(balance_cents)})."
    )


def certificate_limit(day: date) -> datetime:
    """A medical certificate is accepted within 48 hours after the absent day (its end at midnight)."""
    end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=PARIS)
    return end_of_day.astimezone(UTC) + timedelta(hours=48)


def short_date(d: date) -> str:
    """ "lun. 21/12/2026": ``app.text.short_date(d, weekday=True)``, kept here for the screens that import it from
    this module (transition, issue 32)."""
    return text.short_date(d, weekday=True)
