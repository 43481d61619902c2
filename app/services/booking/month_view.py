"""The booking calendar of one child for one activity and one month: each day's state and places.

A constant number of queries per month (never one per day cell); the rules come from ``rules.py``.
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...clock import local_today
from ...models import LIVE_STATUSES, Activity, ActivityDay, Child, Period, Reservation, ReservationStatus
from ..bounds import Month, Year, checked
from ..errors import UnknownEntity, WrongFamily
from ..uow import Database
from . import calendar
from .rules import DayFacts, Verdict, check_booking, check_cancellation
from .waitlist import accepted_counts, waitlist_lengths


class DayState(StrEnum):
    PAST = "past"
    CLOSED = "closed"
    NOT_OPEN = "not_open"
    DEADLINE_PASSED = "deadline_passed"
    FREE = "free"
    FULL = "full"
    BOOKED = "booked"
    WAITLISTED = "waitlisted"
    REFUSED = "refused"


@dataclass(frozen=True)
class DayCell:
    day: date
    state: DayState
    reason: str = ""
    """Why the day is closed / not bookable, or why the last request was refused (for a tooltip)."""
    places_left: int | None = None
    capacity: int | None = None
    rank: int | None = None
    can_book: bool = False
    """A click marks it orange (to book)."""
    can_remove: bool = False
    """A click marks it green (to remove)."""
    waitlist_if_booked: bool = False
    reservation_id: int | None = None
    waiting: int = 0
    """Requests on the day's waitlist (all families)."""


@dataclass(frozen=True)
class MonthView:
    child_id: int
    activity_id: int
    year: int
    month: int
    cells: list[DayCell]

    def cell(self, d: date) -> DayCell | None:
        return next((c for c in self.cells if c.day == d), None)


def month_dates(year: int, month: int) -> list[date]:
    last = pycalendar.monthrange(year, month)[1]
    return [date(year, month, d) for d in range(1, last + 1)]


@checked
def month_view(
    db: Database, family_id: int, child_id: int, activity_id: int, year: Year, month: Month
) -> MonthView:
    """One child's month (see ``month_views``)."""
    return month_views(db, family_id, [child_id], activity_id, year, month)[0]


@checked
def month_views(
    db: Database, family_id: int, child_ids: list[int], activity_id: int, year: Year, month: Month
) -> list[MonthView]:
    """The month of several children of a family for one activity (siblings booked together), in the order of
    ``child_ids``: the days, places and waitlists are read once for all of them."""
    with db.reading() as uow:
        s = uow.session
        now = db.clock.now()
        today = local_today(db.clock)
        for child_id in child_ids:
            child = s.get(Child, child_id)
            if child is None:
                raise UnknownEntity(f"Enfant inconnu (n° {child_id}).")
            if child.family_id != family_id:
                raise WrongFamily(
                    f"{child.first_name} {child.last_name} n'est pas un enfant de cette famille."
                )
        activity = s.get(Activity, activity_id, options=[selectinload(Activity.structure)])
        if activity is None:
            raise UnknownEntity(f"Activité inconnue (n° {activity_id}).")
        dates = month_dates(year, month)
        facts = calendar.day_facts(s, activity, dates)
        days = {
            d.day: d
            for d in s.scalars(
                select(ActivityDay).where(
                    ActivityDay.activity_id == activity.id, ActivityDay.day.between(dates[0], dates[-1])
                )
            )
        }
        day_ids = [d.id for d in days.values()]
        taken = accepted_counts(s, day_ids)
        queued = waitlist_lengths(s, day_ids)
        mine: dict[int, dict[int, Reservation]] = {child_id: {} for child_id in child_ids}
        for res in s.scalars(
            select(Reservation)
            .where(
                Reservation.child_id.in_(child_ids or [-1]), Reservation.activity_day_id.in_(day_ids or [-1])
            )
            .order_by(Reservation.requested_at, Reservation.id)
        ):
            own = mine[res.child_id]
            current = own.get(res.activity_day_id)
            if current is None or current.status not in LIVE_STATUSES:
                own[res.activity_day_id] = res  # live wins, else the latest request
        holidays = calendar.public_holiday_set(s, dates[0] - timedelta(days=40), dates[-1])
        return [
            MonthView(child_id, activity_id, year, month,
                      [_cell(activity, facts[d], days.get(d), taken, queued, mine[child_id], now, today, holidays)
                       for d in dates])
            for child_id in child_ids
        ]  # fmt: skip


@checked
def bookable_month(db: Database, activity_id: int) -> tuple[int, int]:
    """The month the calendar opens on for an activity: the first one, from this month on, with a day that can
    be booked now (open, within its booking window; a full day counts, its waitlist is open); this month when
    there is none within a year."""
    with db.reading() as uow:
        s = uow.session
        now = db.clock.now()
        today = local_today(db.clock)
        activity = s.get(Activity, activity_id, options=[selectinload(Activity.structure)])
        if activity is None:
            raise UnknownEntity(f"Activité inconnue (n° {activity_id}).")
        dates = list(
            s.scalars(
                select(ActivityDay.day)
                .where(ActivityDay.activity_id == activity.id, ActivityDay.closed.is_(False),
                       ActivityDay.day.between(today, today + timedelta(days=366)))
                .order_by(ActivityDay.day)
            )
        )  # fmt: skip
        if dates:
            facts = calendar.day_facts(s, activity, dates)
            holidays = calendar.public_holiday_set(s, today - timedelta(days=40), dates[-1])
            for d in dates:
                check = check_booking(opening_kind=activity.opening_kind, horizon_days=activity.horizon_days,
                                      booking_deadline=activity.booking_deadline, facts=facts[d], now=now,
                                      public_holidays=holidays)  # fmt: skip
                if check.ok:
                    return d.year, d.month
        return today.year, today.month


@dataclass(frozen=True)
class PeriodRow:
    name: str
    start: date
    end: date


@checked
def activity_period(db: Database, activity_id: int, day: date) -> PeriodRow | None:
    """The holiday period of an activity that contains ``day`` (« toute la période »), None outside one."""
    with db.reading() as uow:
        period = uow.session.scalar(
            select(Period).where(
                Period.activity_id == activity_id, Period.start_date <= day, Period.end_date >= day
            )
        )
        return None if period is None else PeriodRow(period.name, period.start_date, period.end_date)


class _Places(TypedDict):
    """The keyword arguments of ``DayCell`` that every cell of an existing day has."""

    places_left: int
    capacity: int
    waiting: int


def _cell(
    activity: Activity,
    fact: DayFacts,
    day: ActivityDay | None,
    taken: dict[int, int],
    queued: dict[int, int],
    mine: dict[int, Reservation],
    now: datetime,
    today: date,
    holidays: frozenset[date],
) -> DayCell:
    if not fact.runs or day is None:
        return DayCell(fact.day, DayState.CLOSED, fact.closed_reason or "")
    places = day.capacity - taken.get(day.id, 0)
    res = mine.get(day.id)
    base: _Places = {"places_left": places, "capacity": day.capacity, "waiting": queued.get(day.id, 0)}
    if fact.day < today:
        booked = res is not None and res.status is ReservationStatus.ACCEPTED
        return DayCell(
            fact.day,
            DayState.PAST,
            "Réservé" if booked else "",
            reservation_id=res.id if res else None,
            **base,
        )
    if res is not None and res.status is ReservationStatus.ACCEPTED:
        cancel = check_cancellation(
            cancel_deadline=activity.cancel_deadline, day=fact.day, now=now, public_holidays=holidays
        )
        return DayCell(fact.day, DayState.BOOKED, "" if cancel.ok else cancel.reason, can_remove=cancel.ok,
                       reservation_id=res.id, **base)  # fmt: skip
    if res is not None and res.status is ReservationStatus.WAITLISTED:
        return DayCell(fact.day, DayState.WAITLISTED, "", rank=res.waitlist_position, can_remove=True,
                       reservation_id=res.id, **base)  # fmt: skip
    check = check_booking(
        opening_kind=activity.opening_kind,
        horizon_days=activity.horizon_days,
        booking_deadline=activity.booking_deadline,
        facts=fact,
        now=now,
        public_holidays=holidays,
    )
    if not check.ok:
        state = {
            Verdict.NOT_OPEN: DayState.NOT_OPEN,
            Verdict.TOO_FAR: DayState.NOT_OPEN,
            Verdict.DEADLINE_PASSED: DayState.DEADLINE_PASSED,
        }.get(check.verdict, DayState.CLOSED)
        return DayCell(fact.day, state, check.reason, **base)
    if res is not None and res.status is ReservationStatus.REFUSED:
        return DayCell(fact.day, DayState.REFUSED, res.refusal_reason or "", can_book=places > 0 or activity.waitlist_enabled,
                       waitlist_if_booked=places <= 0, reservation_id=res.id, **base)  # fmt: skip
    if places > 0:
        return DayCell(fact.day, DayState.FREE, "", can_book=True, **base)
    reason = (
        f"Complet : liste d'attente possible ({queued.get(day.id, 0)} en attente)"
        if activity.waitlist_enabled
        else "Complet : plus de place disponible"
    )
    return DayCell(
        fact.day, DayState.FULL, reason, can_book=activity.waitlist_enabled, waitlist_if_booked=True, **base
    )
