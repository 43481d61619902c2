"""The rules as pure functions, with no database: the booking rules' worked examples (docs/architecture.md) (zone C, 2026–2027), the DST
change, and the balance rule of §2.3 including a basket of cancellations from an account in debit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import holidays
import pytest

from app.clock import paris
from app.models import OpeningKind
from app.services.booking.calendar import package_holiday_days
from app.services.booking.kinds import ALAE_DEADLINE, ALSH_BOOKING, ALSH_CANCEL
from app.services.booking.rules import (
    DayFacts,
    Verdict,
    check_balance,
    check_booking,
    check_cancellation,
    check_leave_waitlist,
)

FERIES = holidays.France(years=[2026, 2027], language="fr")
SCHOOL_C = package_holiday_days("C")  # the package's days, read in UTF-8 whatever the locale (issue 33)
NOEL_OPENING = date(2026, 11, 14)  # 5 weeks before Saturday 19 December
NOEL = (date(2026, 12, 19), date(2027, 1, 3))


def alae_facts(d: date) -> DayFacts:
    """An ALAE Wednesday runs outside zone C's school holidays and the public holidays."""
    if d in FERIES:
        return DayFacts(d, False, f"jour férié ({FERIES[d]})")
    if d in SCHOOL_C:
        return DayFacts(d, False, "vacances scolaires")
    return DayFacts(d, d.weekday() == 2)


def alsh_facts(d: date) -> DayFacts:
    """The Christmas period's weekdays, except public holidays, opening on 14 November."""
    if d in FERIES:
        return DayFacts(d, False, f"jour férié ({FERIES[d]})")
    runs = NOEL[0] <= d <= NOEL[1] and d.weekday() < 5
    return DayFacts(d, runs, None if runs else "pas d'accueil ce jour-là", NOEL_OPENING if runs else None)


def book(kind: str, d: date, now: datetime):
    if kind == "ALAE":
        return check_booking(
            opening_kind=OpeningKind.ROLLING,
            horizon_days=90,
            booking_deadline=ALAE_DEADLINE,
            facts=alae_facts(d),
            now=now,
            public_holidays=frozenset(FERIES),
        )
    return check_booking(
        opening_kind=OpeningKind.PERIOD,
        horizon_days=None,
        booking_deadline=ALSH_BOOKING,
        facts=alsh_facts(d),
        now=now,
        public_holidays=frozenset(FERIES),
    )


TEN = time(10, 0)
EXAMPLES = [
    (1, "ALAE", date(2026, 12, 9), paris(date(2026, 12, 6), time(23, 59)), Verdict.OK),
    (2, "ALAE", date(2026, 12, 9), paris(date(2026, 12, 7), time(0, 0)), Verdict.DEADLINE_PASSED),
    (3, "ALAE", date(2026, 11, 11), paris(date(2026, 11, 1), TEN), Verdict.CLOSED),
    (4, "ALAE", date(2026, 12, 23), paris(date(2026, 11, 26), TEN), Verdict.CLOSED),
    (5, "ALAE", date(2027, 2, 24), paris(date(2026, 11, 26), TEN), Verdict.OK),
    (6, "ALAE", date(2027, 3, 3), paris(date(2026, 11, 26), TEN), Verdict.TOO_FAR),
    (7, "ALAE", date(2027, 3, 31), datetime(2027, 3, 28, 21, 59, tzinfo=UTC), Verdict.OK),
    (7, "ALAE", date(2027, 3, 31), datetime(2027, 3, 28, 22, 0, tzinfo=UTC), Verdict.DEADLINE_PASSED),
    (8, "ALSH", date(2026, 12, 21), paris(date(2026, 11, 13), time(23, 59)), Verdict.NOT_OPEN),
    (8, "ALSH", date(2026, 12, 21), paris(date(2026, 11, 14), time(0, 0)), Verdict.OK),
    (9, "ALSH", date(2026, 12, 21), paris(date(2026, 12, 17), time(23, 59)), Verdict.OK),
    (9, "ALSH", date(2026, 12, 21), paris(date(2026, 12, 18), time(9, 0)), Verdict.DEADLINE_PASSED),
    (10, "ALSH", date(2026, 12, 23), paris(date(2026, 12, 21), time(23, 59)), Verdict.OK),
    (10, "ALSH", date(2026, 12, 23), paris(date(2026, 12, 22), time(8, 0)), Verdict.DEADLINE_PASSED),
    (11, "ALSH", date(2026, 12, 22), paris(date(2026, 12, 20), time(23, 59)), Verdict.OK),
    (13, "ALSH", date(2026, 12, 25), paris(date(2026, 11, 26), TEN), Verdict.CLOSED),
    (13, "ALSH", date(2027, 1, 1), paris(date(2026, 11, 26), TEN), Verdict.CLOSED),
]


@pytest.mark.parametrize(("n", "kind", "day", "at", "verdict"), EXAMPLES)
def test_design_examples_without_a_database(n, kind, day, at, verdict):
    assert book(kind, day, at).verdict is verdict, f"example {n}"


def test_example_12_cancellation_until_fifteen_days_before():
    day = date(2026, 12, 28)
    ok = check_cancellation(
        cancel_deadline=ALSH_CANCEL,
        day=day,
        now=paris(date(2026, 12, 13), time(23, 59)),
        public_holidays=frozenset(FERIES),
    )
    late = check_cancellation(
        cancel_deadline=ALSH_CANCEL,
        day=day,
        now=paris(date(2026, 12, 14), time(0, 0)),
        public_holidays=frozenset(FERIES),
    )
    assert ok.ok and late.verdict is Verdict.DEADLINE_PASSED and "dimanche 13 décembre 2026" in late.reason


def test_the_sunday_deadline_is_dst_safe_both_ways():
    """ALAE: until Sunday 23:59 local, whether that Sunday is 23 or 25 hours long."""
    for wednesday in (date(2027, 3, 31), date(2026, 10, 28)):  # DST starts 28/03/2027, ends 25/10/2026
        sunday = wednesday - timedelta(days=3)
        last = paris(sunday, time(23, 59))
        assert book("ALAE", wednesday, last).ok if alae_facts(wednesday).runs else True
        limit = check_booking(
            opening_kind=OpeningKind.ROLLING,
            horizon_days=400,
            booking_deadline=ALAE_DEADLINE,
            facts=DayFacts(wednesday, True),
            now=last,
            public_holidays=frozenset(),
        ).limit
        assert limit is not None and limit == paris(sunday + timedelta(days=1), time(0, 0)).astimezone(UTC)


def test_leaving_a_waitlist_is_allowed_until_the_day():
    day = date(2026, 12, 21)
    assert check_leave_waitlist(day=day, now=paris(day, time(8, 0))).ok
    assert (
        check_leave_waitlist(day=day, now=paris(day + timedelta(days=1), time(8, 0))).verdict is Verdict.PAST
    )


@pytest.mark.parametrize(
    ("balance", "additions", "refunds", "has_additions", "missing"),
    [
        (6500, 5 * 1300, 0, True, 0),  # five ALSH days, exactly covered
        (6499, 5 * 1300, 0, True, 1),  # "il manque 0,01 €"
        (-1, 0, 1300, False, 0),  # cancellations only, in debit: allowed, balance becomes 12,99 €
        (-1, 1300, 1300, True, 1),  # an addition from an account in debit: the debit first
        (0, 2600, 1300, True, 1300),  # refunds of in-time cancellations count against the costs
        (5000, 0, 0, False, 0),
    ],
)
def test_the_balance_rule(balance, additions, refunds, has_additions, missing):
    verdict = check_balance(
        balance_cents=balance, additions_cents=additions, refunds_cents=refunds, has_additions=has_additions
    )
    assert verdict.missing_cents == missing and verdict.ok == (missing == 0)
    assert verdict.in_debit == (balance < 0)
