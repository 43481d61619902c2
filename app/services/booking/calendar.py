"""School and public holiday calendars, and the opening days of activities: ALAE Wednesdays outside school
holidays, public holidays and local closings; ALSH weekdays of the holiday periods.

Holidays are seeded from the ``vacances-scolaires-france`` and ``holidays`` packages into tables that an
administrator can edit; every rule reads the tables, never the packages directly.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from types import MappingProxyType

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import (
    Activity,
    ActivityDay,
    ActivityKind,
    LocalClosing,
    Period,
    PeriodOpeningRule,
    PublicHoliday,
    SchoolHoliday,
    Structure,
)
from ..errors import ValidationError
from .kinds import Holiday, YearCalendar, kind_entry, school_wednesdays
from .rules import DayFacts


def school_year_of(d: date) -> str:
    """ "2026-2027" for any date from 1 September 2026 to 31 August 2027."""
    y = d.year if d.month >= 9 else d.year - 1
    return f"{y}-{y + 1}"


def school_year_range(d: date) -> tuple[date, date]:
    """1 September … 31 August of the school year of ``d``."""
    first = int(school_year_of(d)[:4])
    return date(first, 9, 1), date(first + 1, 8, 31)


def _first_year(school_year: str) -> int:
    try:
        first, second = (int(x) for x in school_year.split("-"))
    except ValueError as exc:
        raise ValidationError(f"Année scolaire invalide : « {school_year} » (attendu 2026-2027).") from exc
    if second != first + 1:
        raise ValidationError(f"Année scolaire invalide : « {school_year} » (attendu 2026-2027).")
    return first


@dataclass(frozen=True)
class HolidayRange:
    name: str
    start: date
    end: date


PACKAGE_HOLIDAY_ZONES = ("A", "B", "C")


@cache
def _package_holiday_days() -> dict[str, dict[date, str]]:
    """Every school holiday day of the ``vacances-scolaires-france`` package, by zone: its holiday's name.

    The package's CSV is read here, in UTF-8, not through its ``SchoolHolidayDates``: that class opens the file
    without an encoding, so under Windows' locale (cp1252) « Vacances de Noël » was stored as « Vacances de NoÃ«l »
    (issue 33). Reading the file ourselves does not depend on the locale nor on ``PYTHONUTF8``, and patches nothing
    (an ``open`` replaced in the package's module for the time of a call would be seen by every thread, and lost
    if the package stopped calling ``open`` by that name); a change of its columns fails loudly (``KeyError``).
    The file is found next to the package's module, as the package itself finds it (in the installer's folder too).
    """
    import vacances_scolaires_france

    days: dict[str, dict[date, str]] = {zone: {} for zone in PACKAGE_HOLIDAY_ZONES}
    path = Path(vacances_scolaires_france.__file__).parent / "data" / "data.csv"
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            for zone, zone_days in days.items():
                if row[f"vacances_zone_{zone.lower()}"] == "True":
                    if not row["nom_vacances"]:
                        raise ValueError(f"{path}: vacances sans nom le {row['date']}")
                    zone_days[date.fromisoformat(row["date"])] = row["nom_vacances"]
    return days


def package_holiday_days(zone: str) -> Mapping[date, str]:
    """The school holiday days of zone A, B or C in the package, with their holiday's name (read-only)."""
    if zone.upper() not in PACKAGE_HOLIDAY_ZONES:
        raise ValidationError(f"Le calendrier scolaire de la zone {zone} n'est pas fourni.")
    return MappingProxyType(_package_holiday_days()[zone.upper()])


def package_school_holidays(zone: str, school_year: str) -> list[HolidayRange]:
    """School holiday ranges of a zone whose start falls in the school year (summer included, at its end)."""
    first = _first_year(school_year)
    zone_days = package_holiday_days(zone)
    # the years the package knows: from the first to the last one holding a holiday of any zone (as the package)
    known = {d.year for days_of_zone in _package_holiday_days().values() for d in days_of_zone}
    if not known or first < min(known) or first + 1 > max(known):
        raise ValidationError(f"Le calendrier scolaire {school_year} n'est pas connu pour la zone {zone}.")
    days = {d: name for d, name in zone_days.items() if d.year in (first, first + 1)}
    ranges: list[HolidayRange] = []
    for d in sorted(days):
        if ranges and (d - ranges[-1].end).days == 1 and ranges[-1].name == days[d]:
            ranges[-1] = HolidayRange(ranges[-1].name, ranges[-1].start, d)
        else:
            ranges.append(HolidayRange(days[d], d, d))
    return [r for r in ranges if school_year_of(r.start) == school_year]


def seed_school_holidays(session: Session, zone: str, school_years: Iterable[str]) -> list[SchoolHoliday]:
    created = []
    for school_year in school_years:
        for r in package_school_holidays(zone, school_year):
            exists = session.scalar(
                select(SchoolHoliday).where(SchoolHoliday.zone == zone, SchoolHoliday.start_date == r.start)
            )
            if exists is None:
                row = SchoolHoliday(
                    zone=zone, name=r.name, school_year=school_year, start_date=r.start, end_date=r.end
                )
                session.add(row)
                created.append(row)
    session.flush()
    return created


def seed_public_holidays(session: Session, years: Iterable[int]) -> None:
    import holidays as holidays_pkg

    for d, name in sorted(holidays_pkg.France(years=list(years), language="fr").items()):
        if session.get(PublicHoliday, d) is None:
            session.add(PublicHoliday(day=d, name=name))
    session.flush()


def public_holidays(session: Session, start: date, end: date) -> set[date]:
    return set(session.scalars(select(PublicHoliday.day).where(PublicHoliday.day.between(start, end))))


def local_closings(session: Session, start: date, end: date, structure_id: int | None) -> dict[date, str]:
    """The town's local closing days between two dates (those of every structure and of this one)."""
    stmt = select(LocalClosing.day, LocalClosing.name).where(LocalClosing.day.between(start, end))
    stmt = stmt.where(LocalClosing.structure_id.is_(None) | (LocalClosing.structure_id == structure_id))
    return dict(session.execute(stmt).all())


def closed_dates(session: Session, start: date, end: date, structure_id: int | None) -> set[date]:
    """Days on which no activity of the structure runs: public holidays and local closings."""
    return public_holidays(session, start, end) | set(local_closings(session, start, end, structure_id))


def school_holidays(session: Session, zone: str, school_year: str | None = None) -> list[SchoolHoliday]:
    stmt = select(SchoolHoliday).where(SchoolHoliday.zone == zone).order_by(SchoolHoliday.start_date)
    if school_year:
        stmt = stmt.where(SchoolHoliday.school_year == school_year)
    return list(session.scalars(stmt))


def _holidays(session: Session, zone: str, school_year: str) -> tuple[Holiday, ...]:
    return tuple(
        Holiday(h.name, h.start_date, h.end_date) for h in school_holidays(session, zone, school_year)
    )


def year_calendar(
    session: Session, zone: str, school_year: str, structure_id: int | None = None
) -> YearCalendar:
    """What the tables say about a school year for one structure: what the day generators (``kinds``) read."""
    first = _first_year(school_year)
    holidays = _holidays(session, zone, school_year)
    previous_summer = next((h for h in _holidays(session, zone, f"{first - 1}-{first}") if h.is_summer), None)
    first_school_day = previous_summer.end + timedelta(days=1) if previous_summer else date(first, 9, 1)
    start = min(first_school_day, date(first, 9, 1))
    end = max([date(first + 1, 8, 31), *(h.end for h in holidays)])
    closed = frozenset(closed_dates(session, start, end, structure_id))
    return YearCalendar(zone, school_year, holidays, closed, first_school_day)


def alae_wednesdays(
    session: Session, zone: str, school_year: str, structure_id: int | None = None
) -> list[date]:
    """Every Wednesday of the school year outside school holidays, public holidays and local closings."""
    return school_wednesdays(year_calendar(session, zone, school_year, structure_id))


def weekdays_between(start: date, end: date, closed: set[date]) -> list[date]:
    days = []
    d = start
    while d <= end:
        if d.weekday() < 5 and d not in closed:
            days.append(d)
        d += timedelta(days=1)
    return days


def period_opening_date(
    session: Session,
    zone: str,
    start: date,
    rule: PeriodOpeningRule,
    *,
    weeks: int | None = None,
    fixed: date | None = None,
) -> date:
    if rule is PeriodOpeningRule.FIXED_DATE:
        if fixed is None:
            raise ValidationError("Date d'ouverture des réservations manquante.")
        return fixed
    if rule is PeriodOpeningRule.WEEKS_BEFORE:
        if weeks is None or weeks < 0:
            raise ValidationError("Nombre de semaines avant la période invalide.")
        return start - timedelta(weeks=weeks)
    previous = session.scalar(
        select(SchoolHoliday)
        .where(SchoolHoliday.zone == zone, SchoolHoliday.end_date < start)
        .order_by(SchoolHoliday.end_date.desc())
        .limit(1)
    )
    if previous is None:
        raise ValidationError("Aucunes vacances précédentes connues pour calculer l'ouverture.")
    return previous.end_date + timedelta(days=1)


def add_period(
    session: Session,
    activity: Activity,
    holiday: SchoolHoliday,
    rule: PeriodOpeningRule,
    *,
    weeks: int | None = None,
    fixed: date | None = None,
) -> Period:
    """Create an ALSH period over a school holiday, with its opening date and its weekday activity days."""
    period = Period(
        activity_id=activity.id,
        name=holiday.name,
        school_year=holiday.school_year,
        start_date=holiday.start_date,
        end_date=holiday.end_date,
        opening_rule=rule,
        opening_weeks=weeks,
        opening_date=period_opening_date(
            session, holiday.zone, holiday.start_date, rule, weeks=weeks, fixed=fixed
        ),
    )
    session.add(period)
    session.flush()
    closed = closed_dates(session, holiday.start_date, holiday.end_date, activity.structure_id)
    for d in weekdays_between(holiday.start_date, holiday.end_date, closed):
        session.add(
            ActivityDay(
                activity_id=activity.id, period_id=period.id, day=d, capacity=activity.default_capacity
            )
        )
    session.flush()
    return period


def add_alae_days(session: Session, activity: Activity, zone: str, school_year: str) -> list[ActivityDay]:
    rows = [
        ActivityDay(activity_id=activity.id, day=d, capacity=activity.default_capacity)
        for d in alae_wednesdays(session, zone, school_year, activity.structure_id)
    ]
    session.add_all(rows)
    session.flush()
    return rows


# --- what the calendar says about given dates, for the booking rules ------------------------------


def activity_coverage(session: Session, activity: Activity) -> tuple[date, date] | None:
    """The span of school years in which the activity has days (1 September … 31 August), or None."""
    first, last = session.execute(
        select(func.min(ActivityDay.day), func.max(ActivityDay.day)).where(
            ActivityDay.activity_id == activity.id
        )
    ).one()
    if first is None:
        return None
    start_year = int(school_year_of(first)[:4])
    end_year = int(school_year_of(last)[:4]) + 1
    return date(start_year, 9, 1), date(end_year, 8, 31)


def day_facts(session: Session, activity: Activity, dates: Iterable[date]) -> dict[date, DayFacts]:
    """DayFacts for each date: does the activity run, and if not, why; its period's opening date."""
    wanted = sorted(set(dates))
    if not wanted:
        return {}
    start, end = wanted[0], wanted[-1]
    days = {
        day: (closed, reason, opening)
        for day, closed, reason, opening in session.execute(
            select(ActivityDay.day, ActivityDay.closed, ActivityDay.closed_reason, Period.opening_date)
            .outerjoin(Period, ActivityDay.period_id == Period.id)
            .where(ActivityDay.activity_id == activity.id, ActivityDay.day.in_(wanted))
        )
    }
    feries = dict(
        session.execute(
            select(PublicHoliday.day, PublicHoliday.name).where(PublicHoliday.day.between(start, end))
        ).all()
    )
    local = local_closings(session, start, end, activity.structure_id)
    ranges = [
        (first, last, name)
        for first, last, name in session.execute(
            select(SchoolHoliday.start_date, SchoolHoliday.end_date, SchoolHoliday.name)
            .join(Structure, Structure.school_zone == SchoolHoliday.zone)
            .where(
                Structure.id == activity.structure_id,
                SchoolHoliday.end_date >= start,
                SchoolHoliday.start_date <= end,
            )
        )
    ]
    return facts_from(wanted, days, feries, local, ranges, activity.kind)


def facts_from(
    wanted: Iterable[date],
    days: Mapping[date, tuple[bool, str | None, date | None]],
    feries: Mapping[date, str],
    local: Mapping[date, str],
    vacations: Sequence[tuple[date, date, str]],
    kind: ActivityKind,
) -> dict[date, DayFacts]:
    """DayFacts for each date from what the tables say: the activity's days (closed flag, closing reason, the
    period's opening date), the public holidays, the local closings and the school holidays (start, end, name)
    around those dates; a date in the school holidays is said to be off for them when the activity's kind does
    not run in them."""
    entry = kind_entry(kind)
    facts: dict[date, DayFacts] = {}
    for d in wanted:
        row = days.get(d)
        if row is not None and not row[0]:
            facts[d] = DayFacts(d, True, None, row[2])
            continue
        if row is not None:
            reason = row[1] or "journée fermée par la structure"
        elif d in feries:
            reason = f"jour férié ({feries[d]})"
        elif d in local:
            reason = f"fermeture ({local[d]})"
        elif d.weekday() >= 5:
            reason = "pas d'accueil le week-end"
        else:
            holiday = next((name for start, end, name in vacations if start <= d <= end), None)
            if holiday is not None and not entry.runs_in_school_holidays:
                reason = f"vacances scolaires ({holiday})"
            else:
                reason = "pas d'accueil ce jour-là"
        facts[d] = DayFacts(d, False, reason, None)
    return facts


def public_holiday_set(session: Session, start: date, end: date) -> frozenset[date]:
    return frozenset(public_holidays(session, start, end))
