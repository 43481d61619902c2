"""The booking calendar of one child for one activity and one month: each day's state and places.

Five Core statements per month whatever the number of children (never one per day cell, no entity loaded); the
rules come from ``rules.py``.
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypedDict

from sqlalchemy import Row, bindparam, func, literal, select, union_all
from sqlalchemy.orm import selectinload

from ...clock import local_today
from ...models import (
    LIVE_STATUSES,
    Activity,
    ActivityDay,
    ActivityKind,
    Child,
    DeadlineRule,
    LocalClosing,
    OpeningKind,
    Period,
    PublicHoliday,
    Reservation,
    ReservationStatus,
    SchoolHoliday,
    Structure,
)
from ..bounds import Month, Year, checked
from ..errors import UnknownEntity, WrongFamily
from ..uow import Database
from . import calendar
from .decide import Accept, Refuse, Slot, Waitlist, place
from .rules import DayFacts, Verdict, check_booking, check_cancellation


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
    return _months(db, family_id, [child_id], activity_id, year, month)[0]


_ACCEPTED = (
    select(func.count())
    .where(Reservation.activity_day_id == ActivityDay.id, Reservation.status == ReservationStatus.ACCEPTED)
    .scalar_subquery()
)
_WAITING = (
    select(func.count())
    .where(Reservation.activity_day_id == ActivityDay.id, Reservation.status == ReservationStatus.WAITLISTED)
    .scalar_subquery()
)
_SIBLINGS = select(Child.id).where(Child.family_id == bindparam("family_id")).scalar_subquery()
_FAMILY = select(Child.id, Child.family_id, Child.first_name, Child.last_name).where(
    Child.family_id == bindparam("family_id")
)
_STRANGERS = select(Child.id, Child.family_id, Child.first_name, Child.last_name).where(
    Child.id.in_(bindparam("child_ids", expanding=True))
)
_POLICY = (
    select(
        Activity.kind,
        Activity.opening_kind,
        Activity.horizon_days,
        Activity.waitlist_enabled,
        Activity.structure_id,
        Structure.school_zone,
        Activity.book_deadline_kind,
        Activity.book_deadline_days,
        Activity.book_deadline_skip_weekdays,
        Activity.book_deadline_skip_public_holidays,
        Activity.book_deadline_weekday,
        Activity.book_deadline_at,
        Activity.cancel_deadline_kind,
        Activity.cancel_deadline_days,
        Activity.cancel_deadline_skip_weekdays,
        Activity.cancel_deadline_skip_public_holidays,
        Activity.cancel_deadline_weekday,
        Activity.cancel_deadline_at,
    )
    .join(Structure, Structure.id == Activity.structure_id)
    .where(Activity.id == bindparam("activity_id"))
)
_DAYS = (
    select(
        ActivityDay.id,
        ActivityDay.day,
        ActivityDay.capacity,
        ActivityDay.closed,
        ActivityDay.closed_reason,
        Period.opening_date,
        _ACCEPTED.label("taken"),
        _WAITING.label("queued"),
    )
    .outerjoin(Period, Period.id == ActivityDay.period_id)
    .where(
        ActivityDay.activity_id == bindparam("activity_id"),
        ActivityDay.day.between(bindparam("first"), bindparam("last")),
    )
)
_MONTH_DAYS = (
    select(ActivityDay.id)
    .where(
        ActivityDay.activity_id == bindparam("activity_id"),
        ActivityDay.day.between(bindparam("first"), bindparam("last")),
    )
    .scalar_subquery()
)
_MINE = (
    select(
        Reservation.id,
        Reservation.child_id,
        Reservation.activity_day_id,
        Reservation.status,
        Reservation.waitlist_position,
        Reservation.refusal_reason,
    )
    .where(Reservation.child_id.in_(_SIBLINGS), Reservation.activity_day_id.in_(_MONTH_DAYS))
    .order_by(Reservation.requested_at, Reservation.id)
)
"""The reservations of the family's children on the month's days (those of the children shown are kept). Two
IN subqueries, not a join: SQLite then reads the children's reservations, not every reservation of the days."""
_CALENDAR = union_all(
    select(literal("F"), PublicHoliday.day, PublicHoliday.day, PublicHoliday.name).where(
        PublicHoliday.day.between(bindparam("holidays_from"), bindparam("last"))
    ),
    select(literal("L"), LocalClosing.day, LocalClosing.day, LocalClosing.name).where(
        LocalClosing.day.between(bindparam("first"), bindparam("last")),
        LocalClosing.structure_id.is_(None) | (LocalClosing.structure_id == bindparam("structure_id")),
    ),
    select(literal("S"), SchoolHoliday.start_date, SchoolHoliday.end_date, SchoolHoliday.name).where(
        SchoolHoliday.zone == bindparam("zone"),
        SchoolHoliday.end_date >= bindparam("first"),
        SchoolHoliday.start_date <= bindparam("last"),
    ),
)
"""The public holidays (from 40 days before the month: the deadlines count back), the local closings and the
school holidays of the month, in one round trip."""


_Row = Row[*tuple[Any, ...]]
"""A row of one of the statements above (columns read by name)."""


@dataclass(frozen=True)
class _Policy:
    """What the cells need of the activity (read with Core, not as an entity)."""

    kind: ActivityKind
    opening_kind: OpeningKind
    horizon_days: int | None
    waitlist_enabled: bool
    booking_deadline: DeadlineRule
    cancel_deadline: DeadlineRule


@checked
def month_views(
    db: Database, family_id: int, child_ids: list[int], activity_id: int, year: Year, month: Month
) -> list[MonthView]:
    """The month of several children of a family for one activity (siblings booked together), in the order of
    ``child_ids``: the days, places and waitlists are read once for all of them (five statements in all)."""
    return _months(db, family_id, child_ids, activity_id, year, month)


def _months(
    db: Database, family_id: int, child_ids: list[int], activity_id: int, year: int, month: int
) -> list[MonthView]:
    with db.reading() as uow:
        conn = uow.session.connection()
        now = db.clock.now()
        today = local_today(db.clock)
        children = {row.id: row for row in conn.execute(_FAMILY, {"family_id": family_id})}
        if not set(child_ids) <= children.keys():  # someone else's child, or none: say which
            children.update((row.id, row) for row in conn.execute(_STRANGERS, {"child_ids": child_ids}))
        for child_id in child_ids:
            child = children.get(child_id)
            if child is None:
                raise UnknownEntity(f"Enfant inconnu (n° {child_id}).")
            if child.family_id != family_id:
                raise WrongFamily(
                    f"{child.first_name} {child.last_name} n'est pas un enfant de cette famille."
                )
        found = conn.execute(_POLICY, {"activity_id": activity_id}).first()
        if found is None:
            raise UnknownEntity(f"Activité inconnue (n° {activity_id}).")
        policy = _Policy(
            found.kind,
            found.opening_kind,
            found.horizon_days,
            found.waitlist_enabled,
            DeadlineRule(
                found.book_deadline_kind,
                found.book_deadline_days,
                found.book_deadline_skip_weekdays,
                found.book_deadline_skip_public_holidays,
                found.book_deadline_weekday,
                found.book_deadline_at,
            ),
            DeadlineRule(
                found.cancel_deadline_kind,
                found.cancel_deadline_days,
                found.cancel_deadline_skip_weekdays,
                found.cancel_deadline_skip_public_holidays,
                found.cancel_deadline_weekday,
                found.cancel_deadline_at,
            ),
        )
        dates = month_dates(year, month)
        first, last = dates[0], dates[-1]
        days = {
            row.day: row
            for row in conn.execute(_DAYS, {"activity_id": activity_id, "first": first, "last": last})
        }
        feries: dict[date, str] = {}
        local: dict[date, str] = {}
        vacations: list[tuple[date, date, str]] = []
        holidays: set[date] = set()
        window = {
            "holidays_from": first - timedelta(days=40),
            "first": first,
            "last": last,
            "structure_id": found.structure_id,
            "zone": found.school_zone,
        }
        for kind, start, end, name in conn.execute(_CALENDAR, window):
            if kind == "F":
                holidays.add(start)
                if start >= first:
                    feries[start] = name
            elif kind == "L":
                local[start] = name
            else:
                vacations.append((start, end, name))
        shape = {d: (row.closed, row.closed_reason, row.opening_date) for d, row in days.items()}
        facts = calendar.facts_from(dates, shape, feries, local, vacations, policy.kind)
        mine: dict[int, dict[int, _Row]] = {child_id: {} for child_id in child_ids}
        if days:
            bounds = {"family_id": family_id, "activity_id": activity_id, "first": first, "last": last}
            for res in conn.execute(_MINE, bounds):
                own = mine.get(res.child_id)
                if own is None:
                    continue  # a brother or sister not shown
                current = own.get(res.activity_day_id)
                if current is None or current.status not in LIVE_STATUSES:
                    own[res.activity_day_id] = res  # live wins, else the latest request
        frozen = frozenset(holidays)
        return [
            MonthView(
                child_id,
                activity_id,
                year,
                month,
                [_cell(policy, facts[d], days.get(d), mine[child_id], now, today, frozen) for d in dates],
            )
            for child_id in child_ids
        ]


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
                .where(
                    ActivityDay.activity_id == activity.id,
                    ActivityDay.closed.is_(False),
                    ActivityDay.day.between(today, today + timedelta(days=366)),
                )
                .order_by(ActivityDay.day)
            )
        )
        if dates:
            facts = calendar.day_facts(s, activity, dates)
            holidays = calendar.public_holiday_set(s, today - timedelta(days=40), dates[-1])
            for d in dates:
                check = check_booking(
                    opening_kind=activity.opening_kind,
                    horizon_days=activity.horizon_days,
                    booking_deadline=activity.booking_deadline,
                    facts=facts[d],
                    now=now,
                    public_holidays=holidays,
                )
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


_REFUSED_STATE = {
    Verdict.NOT_OPEN: DayState.NOT_OPEN,
    Verdict.TOO_FAR: DayState.NOT_OPEN,
    Verdict.DEADLINE_PASSED: DayState.DEADLINE_PASSED,
}
"""A day the rules refuse to book, by the rules' verdict (anything else: closed)."""


def _cell(
    activity: _Policy,
    fact: DayFacts,
    day: _Row | None,
    mine: dict[int, _Row],
    now: datetime,
    today: date,
    holidays: frozenset[date],
) -> DayCell:
    """``day``: the activity day's row (id, capacity, accepted count ``taken``, waitlist length ``queued``);
    ``mine``: the child's reservation shown on each day (live, else the latest request), by day id."""
    if not fact.runs or day is None:
        return DayCell(fact.day, DayState.CLOSED, fact.closed_reason or "")
    places = day.capacity - day.taken
    res = mine.get(day.id)
    base: _Places = {"places_left": places, "capacity": day.capacity, "waiting": day.queued}
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
        return DayCell(
            fact.day,
            DayState.BOOKED,
            "" if cancel.ok else cancel.reason,
            can_remove=cancel.ok,
            reservation_id=res.id,
            **base,
        )
    if res is not None and res.status is ReservationStatus.WAITLISTED:
        return DayCell(
            fact.day,
            DayState.WAITLISTED,
            "",
            rank=res.waitlist_position,
            can_remove=True,
            reservation_id=res.id,
            **base,
        )
    check = check_booking(
        opening_kind=activity.opening_kind,
        horizon_days=activity.horizon_days,
        booking_deadline=activity.booking_deadline,
        facts=fact,
        now=now,
        public_holidays=holidays,
    )
    if not check.ok:
        return DayCell(fact.day, _REFUSED_STATE.get(check.verdict, DayState.CLOSED), check.reason, **base)
    likely = place(
        Slot(day.capacity, day.taken, waitlist=activity.waitlist_enabled), day.queued, day.queued, 0
    )
    if res is not None and res.status is ReservationStatus.REFUSED:
        return DayCell(
            fact.day,
            DayState.REFUSED,
            res.refusal_reason or "",
            can_book=not isinstance(likely, Refuse),
            waitlist_if_booked=isinstance(likely, Waitlist),
            reservation_id=res.id,
            **base,
        )
    if isinstance(likely, Accept):
        return DayCell(fact.day, DayState.FREE, "", can_book=True, **base)
    reason = (
        f"Complet : liste d'attente possible ({day.queued} en attente)"
        if activity.waitlist_enabled
        else "Complet : plus de place disponible"
    )
    return DayCell(
        fact.day,
        DayState.FULL,
        reason,
        can_book=isinstance(likely, Waitlist),
        waitlist_if_booked=True,
        **base,
    )
