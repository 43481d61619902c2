"""The CAF's hours (prestation de service): for a period of at most a year, per structure and activity, the
children, the days and the hours present and billed, by age band on the day (under 6, 6 and over) and by the
activity's quotient-familial brackets.

What is counted (``docs/caf_hours.md``):

- an **accepted** reservation on a day of the period that is not closed; refused, waitlisted and cancelled ones
  count for nothing;
- **present**: the attendance says present;
- **billed**: present, absent without a medical certificate, and not recorded yet (the day was charged and is not
  refunded; such days are also counted apart as « non pointés », so that the counter records them before it
  declares); an absence with a certificate is refunded, hence neither present nor billed;
- **hours** = days × the activity's opening hours (``day_ends_at`` − ``day_starts_at``), in exact minutes, at
  most the CAF's daily limit of its category (``CAF_DAY_LIMIT``: 10 h a day in extrascolaire, so that a holiday
  day open 7:30–18:30, 11 h, counts 10 h);
- **children**: distinct children with at least one day billed (a child of both age bands in the period, turning
  6, is in both bands' rows and once in the total);
- **age band**: the child's age on the activity's day (6 years old on their sixth birthday; born on 29 February,
  on 1 March of a common year);
- **bracket**: the activity's own price bracket (qf_min–qf_max) holding the family's current quotient familial;
  « QF inconnu » when the family has none, « Tarif unique » for an activity without brackets.

The reservations are read with one grouped SQL query at the finest grain (activity, age band, bracket, child),
never reservation by reservation, and every level of totals is added up from those rows: the period is scanned
once, and the work in Python grows with the children, not with their days.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, extract, func, or_, select
from sqlalchemy.orm import Session

from ...models import (
    Activity,
    ActivityDay,
    ActivityKind,
    Attendance,
    CafCategory,
    Child,
    Family,
    PriceBracket,
    Reservation,
    ReservationStatus,
    SchoolHoliday,
    Structure,
)
from ...text import long_date, month_year
from ..actors import Actor
from ..bounds import checked
from ..errors import UnknownEntity, ValidationError
from ..uow import Database

CATEGORY_LABELS = {CafCategory.PERISCOLAIRE: "périscolaire", CafCategory.EXTRASCOLAIRE: "extrascolaire"}
UNKNOWN_QF = "QF inconnu"
SINGLE_PRICE = "Tarif unique"
SIX_YEARS = 60_000
"""Six years in a date written as the number YYYYMMDD: on day D a child born on B is 6 or more when
D − B ≥ 60000 (the same month and day six years later, or after)."""


class AgeBand(enum.StrEnum):
    UNDER_6 = "under_6"
    SIX_AND_OVER = "six_and_over"

    @property
    def label(self) -> str:
        return "moins de 6 ans" if self is AgeBand.UNDER_6 else "6 ans et plus"


def day_minutes(starts: time, ends: time) -> int:
    """The minutes of a day's opening hours (13:30–18:30 → 300)."""
    return (ends.hour * 60 + ends.minute) - (starts.hour * 60 + starts.minute)


CAF_DAY_LIMIT = {CafCategory.EXTRASCOLAIRE: 600}
"""The most minutes a day present counts for the CAF, by category: 10 h a day and child in extrascolaire. A
category without a limit counts the opening hours (a local convention that counts less: narrow the hours in the
activity form)."""


def caf_day_minutes(starts: time, ends: time, category: CafCategory) -> int:
    """The minutes a day present counts for the CAF: its opening hours, at most its category's daily limit
    (7:30–18:30 in extrascolaire → 600)."""
    opening = day_minutes(starts, ends)
    limit = CAF_DAY_LIMIT.get(CafCategory(category))
    return opening if limit is None else min(opening, limit)


@dataclass(frozen=True)
class CafCounts:
    children: int
    days_present: int
    days_billed: int
    days_unrecorded: int
    """Billed days not recorded yet as present or absent (« non pointés »)."""
    days_certificate: int
    """Absences with a medical certificate: neither present nor billed."""
    minutes_present: int
    minutes_billed: int

    @classmethod
    def zero(cls) -> CafCounts:
        return cls(0, 0, 0, 0, 0, 0, 0)

    def plus(self, other: CafCounts) -> CafCounts:
        """Days and hours added; children too (right only for groups without a child in common)."""
        return CafCounts(
            self.children + other.children,
            self.days_present + other.days_present,
            self.days_billed + other.days_billed,
            self.days_unrecorded + other.days_unrecorded,
            self.days_certificate + other.days_certificate,
            self.minutes_present + other.minutes_present,
            self.minutes_billed + other.minutes_billed,
        )


@dataclass(frozen=True)
class CafRow:
    """One line of an activity: an age band (None: every age) × a bracket (None: every bracket)."""

    band: AgeBand | None
    bracket: str | None
    counts: CafCounts

    @property
    def band_label(self) -> str:
        return self.band.label if self.band is not None else "tous âges"

    @property
    def bracket_label(self) -> str:
        return self.bracket if self.bracket is not None else "tous QF"


@dataclass(frozen=True)
class CafActivity:
    structure_id: int
    structure: str
    activity_id: int
    code: str
    name: str
    kind: ActivityKind
    category: CafCategory
    starts_at: time
    ends_at: time
    days_open: int
    """The activity's days in the period, not closed."""
    total: CafCounts
    by_band: tuple[CafRow, ...]
    """One row per age band (every bracket)."""
    by_bracket: tuple[CafRow, ...]
    """One row per bracket (every age)."""
    rows: tuple[CafRow, ...]
    """Age band × bracket, the bands first."""

    @property
    def day_minutes(self) -> int:
        """What a day present counts (the opening hours within the category's daily limit)."""
        return caf_day_minutes(self.starts_at, self.ends_at, self.category)

    @property
    def opening_minutes(self) -> int:
        return day_minutes(self.starts_at, self.ends_at)

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]


@dataclass(frozen=True)
class CafTotal:
    """A structure's total for one CAF category (distinct children across its activities)."""

    structure_id: int
    structure: str
    category: CafCategory
    total: CafCounts
    by_band: tuple[CafRow, ...]

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]


@dataclass(frozen=True)
class CafReport:
    start: date
    end: date
    structure_id: int | None
    """None: every structure of the town."""
    heading: tuple[str, str, str]
    """The letterhead (name, address, contact) of the structure asked for; for the whole town, of the one structure
    whose activities ran in the period, else of the town's first structure."""
    made_at: Any
    """When it was read (an aware datetime)."""
    activities: tuple[CafActivity, ...]
    totals: tuple[CafTotal, ...]

    @property
    def period_text(self) -> str:
        return f"du {long_date(self.start, weekday=False)} au {long_date(self.end, weekday=False)}"

    @property
    def scope_text(self) -> str:
        return self.heading[0] if self.structure_id is not None else "toutes les structures"


def check_period(start: date, end: date) -> None:
    """A period of one day to one year; a reversed or longer one is refused in French."""
    if end < start:
        raise ValidationError(
            f"Période vide : le {long_date(end, weekday=False)} est avant le {long_date(start, weekday=False)}."
        )
    try:
        limit = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        limit = date(start.year + 1, 3, 1)
    if end >= limit:
        raise ValidationError(
            "Les heures CAF se déclarent sur un an au plus (un mois, des vacances, une année) : du "
            f"{long_date(start, weekday=False)}, jusqu'au "
            f"{long_date(date.fromordinal(limit.toordinal() - 1), weekday=False)} au plus."
        )


def _as_number(column: Any) -> ColumnElement[int]:
    """A date as the number YYYYMMDD, the same way on SQLite and PostgreSQL."""
    return extract("year", column) * 10_000 + extract("month", column) * 100 + extract("day", column)


def _read(s: Session, start: date, end: date, structure_id: int | None, keys: Sequence[Any]) -> list[Any]:
    """Counts grouped by ``keys`` (columns or labelled expressions) over the period's accepted reservations."""
    billed = Reservation.certificate_at.is_(None)
    present = Reservation.attendance == Attendance.PRESENT
    unrecorded = and_(Reservation.attendance.is_(None), billed)

    def days(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    stmt = (
        select(
            *keys,
            func.count(distinct(case((billed, Reservation.child_id)))),
            days(present),
            days(billed),
            days(unrecorded),
            days(Reservation.certificate_at.is_not(None)),
        )
        .select_from(Reservation)
        .join(ActivityDay, Reservation.activity_day_id == ActivityDay.id)
        .join(Activity, ActivityDay.activity_id == Activity.id)
        .join(Child, Reservation.child_id == Child.id)
        .join(Family, Child.family_id == Family.id)
        .outerjoin(
            PriceBracket,
            and_(
                PriceBracket.activity_id == Activity.id,
                Family.quotient_familial >= PriceBracket.qf_min,
                or_(PriceBracket.qf_max.is_(None), Family.quotient_familial <= PriceBracket.qf_max),
            ),
        )
        .where(
            Reservation.status == ReservationStatus.ACCEPTED,
            ActivityDay.day.between(start, end),
            ActivityDay.closed.is_(False),
        )
        .group_by(*keys)
    )
    if structure_id is not None:
        stmt = stmt.where(Activity.structure_id == structure_id)
    return list(s.execute(stmt).all())


class _Tally:
    """One level's running totals: the days and minutes added up, the children counted once each (a child is
    counted where it has a day billed). Plain integers: it is added to once per row and level."""

    __slots__ = (
        "billed",
        "certificate",
        "children",
        "minutes_billed",
        "minutes_present",
        "present",
        "unrecorded",
    )

    def __init__(self) -> None:
        self.children: set[int] = set()
        self.present = self.billed = self.unrecorded = self.certificate = 0
        self.minutes_present = self.minutes_billed = 0

    def add(self, child: int, row: Sequence[Any], minutes: int) -> None:
        """A row of ``_read`` at the child's grain: its billed-child flag and its four day counts (from index 6)."""
        flag, present, billed, unrecorded, certificate = row[6:11]
        if flag:
            self.children.add(child)
        self.present += present
        self.billed += billed
        self.unrecorded += unrecorded
        self.certificate += certificate
        self.minutes_present += present * minutes
        self.minutes_billed += billed * minutes

    def counts(self) -> CafCounts:
        return CafCounts(
            len(self.children),
            int(self.present),
            int(self.billed),
            int(self.unrecorded),
            int(self.certificate),
            int(self.minutes_present),
            int(self.minutes_billed),
        )


def _counts(row: Sequence[Any], n_keys: int, minutes: int) -> CafCounts:
    children, present, billed, unrecorded, certificate = (int(x) for x in row[n_keys:])
    return CafCounts(children, present, billed, unrecorded, certificate, present * minutes, billed * minutes)


def _rank(category: CafCategory) -> int:
    """Périscolaire first, as the CAF's forms list them."""
    return 0 if category is CafCategory.PERISCOLAIRE else 1


def _band(value: Any) -> AgeBand:
    return AgeBand.SIX_AND_OVER if int(value) else AgeBand.UNDER_6


@checked
def caf_hours(
    db: Database, actor: Actor, start: date, end: date, structure_id: int | None = None
) -> CafReport:
    """The CAF's hours of a period (at most a year), for one structure or all of them."""
    check_period(start, end)
    band = case((_as_number(ActivityDay.day) - _as_number(Child.birth_date) >= SIX_YEARS, 1), else_=0).label(
        "band"
    )
    with db.reading() as uow:
        s = uow.session
        structures = {st.id: st for st in s.scalars(select(Structure).order_by(Structure.id))}
        if structure_id is not None and structure_id not in structures:
            raise UnknownEntity(f"Structure inconnue (n° {structure_id}).")
        open_days = (
            select(Activity, func.count(ActivityDay.id))
            .join(ActivityDay, ActivityDay.activity_id == Activity.id)
            .where(ActivityDay.day.between(start, end), ActivityDay.closed.is_(False))
            .group_by(Activity.id)
        )
        if structure_id is not None:
            open_days = open_days.where(Activity.structure_id == structure_id)
        activities = {a.id: (a, int(n)) for a, n in s.execute(open_days).all()}
        # the letterhead: the structure asked for; for the whole town, the one structure whose activities ran in
        # the period if there is one, else the town's first structure
        running = sorted({a.structure_id for a, _ in activities.values()})
        head_id = structure_id if structure_id is not None else running[0] if len(running) == 1 else None
        head = structures.get(head_id) if head_id is not None else next(iter(structures.values()), None)
        heading = ("", "", "")
        if head is not None:
            address = ", ".join(x for x in (head.address, f"{head.postal_code} {head.city}".strip()) if x)
            heading = (head.name, address, " · ".join(x for x in (head.phone, head.email) if x))
        brackets: dict[int, dict[int, str]] = {}
        for b in s.scalars(select(PriceBracket).where(PriceBracket.activity_id.in_(activities))):
            top = "∞" if b.qf_max is None else str(b.qf_max)
            brackets.setdefault(b.activity_id, {})[b.id] = f"QF {b.qf_min}–{top}"
        minutes = {
            aid: caf_day_minutes(a.day_starts_at, a.day_ends_at, a.caf_category)
            for aid, (a, _) in activities.items()
        }

        def bracket_label(activity_id: int, bracket_id: int | None) -> str:
            if bracket_id is None:
                return UNKNOWN_QF if brackets.get(activity_id) else SINGLE_PRICE
            return brackets[activity_id][bracket_id]

        def bracket_order(activity_id: int, label: str) -> int:
            labels = list(brackets.get(activity_id, {}).values())
            return labels.index(label) if label in labels else len(labels)

        # one grouped read at the finest grain (activity, age band, bracket, child), every level of totals added
        # up from it: the period's reservations are scanned once, whatever the number of levels
        of_activity: dict[int, _Tally] = {}
        of_band: dict[tuple[int, AgeBand], _Tally] = {}
        of_bracket: dict[tuple[int, int | None], _Tally] = {}
        of_crossed: dict[tuple[int, AgeBand, int | None], _Tally] = {}
        of_category_band: dict[tuple[int, CafCategory, AgeBand], _Tally] = {}
        of_category: dict[tuple[int, CafCategory], _Tally] = {}
        keys = [Activity.structure_id, Activity.caf_category, Activity.id, band, PriceBracket.id]
        levels: tuple[dict[Any, _Tally], ...] = (
            of_activity,
            of_band,
            of_bracket,
            of_crossed,
            of_category_band,
            of_category,
        )
        for r in _read(s, start, end, structure_id, [*keys, Reservation.child_id]):
            sid, category, activity_id, age, bracket, child = (
                r[0],
                CafCategory(r[1]),
                r[2],
                _band(r[3]),
                r[4],
                r[5],
            )
            day = minutes[activity_id]
            level_keys: tuple[Any, ...] = (
                activity_id,
                (activity_id, age),
                (activity_id, bracket),
                (activity_id, age, bracket),
                (sid, category, age),
                (sid, category),
            )
            for level, key in zip(levels, level_keys, strict=True):
                tally = level.get(key)
                if tally is None:
                    tally = level[key] = _Tally()
                tally.add(child, r, day)
        totals = {activity_id: t.counts() for activity_id, t in of_activity.items()}
        by_band: dict[int, list[CafRow]] = {}
        for (activity_id, age), t in of_band.items():
            by_band.setdefault(activity_id, []).append(CafRow(age, None, t.counts()))
        by_bracket: dict[int, list[CafRow]] = {}
        for (activity_id, bracket), t in of_bracket.items():
            row = CafRow(None, bracket_label(activity_id, bracket), t.counts())
            by_bracket.setdefault(activity_id, []).append(row)
        crossed: dict[int, list[CafRow]] = {}
        for (activity_id, age, bracket), t in of_crossed.items():
            row = CafRow(age, bracket_label(activity_id, bracket), t.counts())
            crossed.setdefault(activity_id, []).append(row)
        category_rows: dict[tuple[int, CafCategory, AgeBand | None], CafCounts] = {
            key: t.counts() for key, t in of_category_band.items()
        }
        distinct_children = {key: t.counts().children for key, t in of_category.items()}

    def band_order(row: CafRow) -> tuple[int, int, str]:
        band_rank = 0 if row.band is None else (1 if row.band is AgeBand.UNDER_6 else 2)
        return (band_rank, 0, row.bracket or "")

    def row_key(activity_id: int) -> Callable[[CafRow], tuple[int, int]]:
        def key(row: CafRow) -> tuple[int, int]:
            return (band_order(row)[0], bracket_order(activity_id, row.bracket_label))

        return key

    result = []
    for activity_id, (a, n_days) in sorted(
        activities.items(),
        key=lambda item: (item[1][0].structure_id, _rank(item[1][0].caf_category), item[1][0].name),
    ):
        result.append(
            CafActivity(
                structure_id=a.structure_id,
                structure=structures[a.structure_id].name,
                activity_id=activity_id,
                code=a.code,
                name=a.name,
                kind=a.kind,
                category=a.caf_category,
                starts_at=a.day_starts_at,
                ends_at=a.day_ends_at,
                days_open=n_days,
                total=totals.get(activity_id, CafCounts.zero()),
                by_band=tuple(sorted(by_band.get(activity_id, []), key=band_order)),
                by_bracket=tuple(sorted(by_bracket.get(activity_id, []), key=row_key(activity_id))),
                rows=tuple(sorted(crossed.get(activity_id, []), key=row_key(activity_id))),
            )
        )
    totals_out = []
    for (sid, category), children in sorted(
        distinct_children.items(), key=lambda item: (item[0][0], _rank(item[0][1]))
    ):
        bands = tuple(
            CafRow(b, None, category_rows[(sid, category, b)])
            for b in AgeBand
            if (sid, category, b) in category_rows
        )
        total = CafCounts.zero()
        for row in bands:
            total = total.plus(row.counts)
        totals_out.append(
            CafTotal(sid, structures[sid].name, category, replace(total, children=children), bands)
        )
    return CafReport(start, end, structure_id, heading, db.clock.now(), tuple(result), tuple(totals_out))


@checked
def structure_by_code(db: Database, code: str) -> int:
    """A structure's id by its code (the command line's ``--structure``); a French message for an unknown one."""
    with db.reading() as uow:
        found = uow.session.scalar(select(Structure.id).where(Structure.code == code.strip().upper()))
        if found is None:
            known = ", ".join(uow.session.scalars(select(Structure.code).order_by(Structure.code)))
            raise UnknownEntity(f"Structure inconnue : « {code[:32]} » (codes : {known or 'aucun'}).")
        return int(found)


@dataclass(frozen=True)
class PeriodChoice:
    label: str
    start: date
    end: date


@checked
def caf_periods(db: Database, structure_id: int | None, today: date) -> list[PeriodChoice]:
    """What the export proposes: the school holidays of the school year around ``today`` (the structure's zone,
    or the first structure's) and the months of that school year, the holidays first."""
    first_year = today.year if today.month >= 9 else today.year - 1
    school_year = f"{first_year}-{first_year + 1}"
    with db.reading() as uow:
        s = uow.session
        stmt = select(Structure.school_zone).order_by(Structure.id)
        if structure_id is not None:
            stmt = stmt.where(Structure.id == structure_id)
        zone = s.scalar(stmt.limit(1)) or "C"
        holidays = s.execute(
            select(SchoolHoliday.name, SchoolHoliday.start_date, SchoolHoliday.end_date)
            .where(SchoolHoliday.zone == zone, SchoolHoliday.school_year == school_year)
            .order_by(SchoolHoliday.start_date)
        ).all()
    # a « pont » is a day or two off school, not holidays (as ``kinds.holidays_in_scope``)
    choices = [
        PeriodChoice(f"{name} ({school_year})", start, end)
        for name, start, end in holidays
        if not name.startswith("Pont")
    ]
    for i in range(12):
        month = 9 + i
        year, month = first_year + (month - 1) // 12, (month - 1) % 12 + 1
        start = date(year, month, 1)
        end = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        choices.append(PeriodChoice(month_year(start).capitalize(), start, end))
    return choices
