"""A school year: the zone's holiday calendar (school holidays, public holidays, local closings), editable before
and after, and the activity days generated from it, laid out as each activity's kind says (``booking.kinds``).

The calendar comes from ``vacances-scolaires-france`` (zones A, B, C) and ``holidays`` (France) into tables the
administrator edits; the rules and the generation read the tables only. Generating is idempotent: it creates the
days that are missing, removes the generated days that no longer belong (when nothing was ever booked on them)
and reports those it cannot remove.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ...clock import PARIS
from ...config import SCHOOL_ZONES
from ...models import (
    Activity,
    ActivityDay,
    LocalClosing,
    Period,
    PeriodOpeningRule,
    PublicHoliday,
    Reservation,
    SchoolHoliday,
    Structure,
    search_key,
)
from ...text import count, short_date
from .. import audit
from ..actors import Actor
from ..booking import calendar
from ..booking.kinds import kind_entry
from ..bounds import Text, checked
from ..errors import UnknownEntity, ValidationError
from ..permissions import rule
from ..uow import Database, Shown

ZONES = SCHOOL_ZONES
Zone = Annotated[str, Text(max_len=12, label="zone")]
SchoolYearText = Annotated[str, Text(max_len=9, label="année scolaire")]
PACKAGE_ZONES = frozenset({"A", "B", "C"})
NAME_MAX = 80


# --- school years ----------------------------------------------------------------------------------------


def parse_school_year(text: str | int) -> str:
    """ "2026", 2026 or "2026-2027" → "2026-2027" (the school year starting in September 2026)."""
    raw = str(text).strip()
    match = re.fullmatch(r"([0-9]{4})(?:\s*[-/]\s*([0-9]{4}))?", raw)
    if match is None:
        raise ValidationError(f"Année scolaire invalide : « {raw[:20]} » (attendu 2026 ou 2026-2027).")
    first = int(match.group(1))
    if match.group(2) is not None and int(match.group(2)) != first + 1:
        raise ValidationError(f"Année scolaire invalide : « {raw[:20]} » (attendu 2026-2027).")
    if not 2000 <= first <= 2100:
        raise ValidationError(f"Année scolaire hors limites : {first} (entre 2000 et 2100).")
    return f"{first}-{first + 1}"


def school_year_span(school_year: str) -> tuple[date, date]:
    """1 September … 31 August."""
    first = int(parse_school_year(school_year)[:4])
    return date(first, 9, 1), date(first + 1, 8, 31)


def check_zone(zone: str) -> str:
    if zone not in ZONES:
        raise ValidationError(f"Zone scolaire inconnue : « {zone[:20]} » (A, B, C, Corse ou DOM).")
    return zone


# --- the calendar ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HolidayRow:
    """A school holiday range (vacances scolaires)."""

    name: Annotated[str, Text(SchoolHoliday.name)]
    start: date
    end: date


@dataclass(frozen=True)
class PublicHolidayRow:
    day: date
    name: Annotated[str, Text(PublicHoliday.name)]


@dataclass(frozen=True)
class ClosingRow:
    id: int
    day: date
    name: str
    structure: str
    """ "toutes les structures" or the structure's name."""


@dataclass(frozen=True)
class SchoolCalendar:
    zone: str
    school_year: str
    holidays: list[HolidayRow]
    public_holidays: list[PublicHolidayRow]
    closings: list[ClosingRow]
    stored: bool
    """True when the calendar was saved already (else it is the packages' proposal)."""
    note: str = ""
    bridge: date | None = None
    """The Friday after Ascension, when no closing of every structure falls on it: the « pont » most towns close,
    offered in the editor (a school holiday for the pupils, not for the leisure centre, until it is closed)."""


def _package_holidays(zone: str, school_year: str) -> list[HolidayRow]:
    if zone not in PACKAGE_ZONES:
        return []
    return [HolidayRow(r.name, r.start, r.end) for r in calendar.package_school_holidays(zone, school_year)]


def _package_public_holidays(school_year: str) -> list[PublicHolidayRow]:
    import holidays as holidays_pkg

    start, end = school_year_span(school_year)
    days = holidays_pkg.France(years=[start.year, end.year], language="fr")
    return [PublicHolidayRow(d, name) for d, name in sorted(days.items()) if start <= d <= end]


def _stored_holidays(s: Session, zone: str, school_year: str) -> list[HolidayRow]:
    return [
        HolidayRow(h.name, h.start_date, h.end_date) for h in calendar.school_holidays(s, zone, school_year)
    ]


def _halves(school_year: str) -> tuple[tuple[date, date], tuple[date, date]]:
    """September–December and January–August: every school year has public holidays in both."""
    start, end = school_year_span(school_year)
    return (start, date(start.year, 12, 31)), (date(end.year, 1, 1), end)


def _public_holidays_with_package(
    s: Session, school_year: str
) -> tuple[list[PublicHolidayRow], list[PublicHolidayRow]]:
    """The stored public holidays of the school year, completed from the package for a half of the year that
    has none stored (a calendar seeded by calendar year); returns (all, those to add)."""
    stored = _stored_public_holidays(s, school_year)
    missing: list[PublicHolidayRow] = []
    package = _package_public_holidays(school_year)
    for first, last in _halves(school_year):
        if not any(first <= p.day <= last for p in stored):
            missing += [p for p in package if first <= p.day <= last]
    return sorted(stored + missing, key=lambda p: p.day), missing


def _stored_public_holidays(s: Session, school_year: str) -> list[PublicHolidayRow]:
    start, end = school_year_span(school_year)
    rows = s.execute(
        select(PublicHoliday.day, PublicHoliday.name)
        .where(PublicHoliday.day.between(start, end))
        .order_by(PublicHoliday.day)
    ).all()
    return [PublicHolidayRow(d, n) for d, n in rows]


ALL_STRUCTURES = "toutes les structures"


def _closings(s: Session, school_year: str) -> list[ClosingRow]:
    start, end = school_year_span(school_year)
    names: dict[int | None, str] = dict(s.execute(select(Structure.id, Structure.name)).all())
    rows = s.scalars(
        select(LocalClosing).where(LocalClosing.day.between(start, end)).order_by(LocalClosing.day)
    )
    return [ClosingRow(c.id, c.day, c.name, names.get(c.structure_id, ALL_STRUCTURES)) for c in rows]


@checked
def school_calendar(db: Database, zone: Zone, school_year: SchoolYearText) -> SchoolCalendar:
    """The calendar of a zone and school year: what is stored, else what the packages propose (not saved)."""
    zone, school_year = check_zone(zone), parse_school_year(school_year)
    with db.reading() as uow:
        s = uow.session
        holidays = _stored_holidays(s, zone, school_year)
        stored = bool(holidays)
        note = ""
        if not stored:
            try:
                holidays = _package_holidays(zone, school_year)
            except ValidationError as exc:
                note = f"{exc} Saisissez les vacances."
            if zone not in PACKAGE_ZONES:
                note = (
                    f"Le calendrier scolaire de la zone {zone} n'est pas fourni avec l'application : "
                    "saisissez les vacances scolaires de l'année."
                )
        public, _missing = _public_holidays_with_package(s, school_year)
        closings = _closings(s, school_year)
        return SchoolCalendar(
            zone, school_year, holidays, public, closings, stored, note, ascension_bridge(public, closings)
        )


def ascension_bridge(public: Sequence[PublicHolidayRow], closings: Sequence[ClosingRow]) -> date | None:
    """The Friday after Ascension Thursday (« pont de l'Ascension »), unless every structure is closed that day."""
    thursday = next((p.day for p in public if search_key(p.name) == "ascension"), None)
    if thursday is None:
        return None
    friday = thursday + timedelta(days=1)
    if any(c.day == friday and c.structure == ALL_STRUCTURES for c in closings):
        return None
    return friday


def _check_calendar(
    school_year: str, holidays: Sequence[HolidayRow], public: Sequence[PublicHolidayRow]
) -> None:
    start, end = school_year_span(school_year)
    latest = end + timedelta(days=31)  # a summer may run into September
    ordered = sorted(holidays, key=lambda h: h.start)
    for h in ordered:
        label = f"Vacances « {h.name[:NAME_MAX]} »"
        if not h.name.strip() or len(h.name.strip()) > NAME_MAX:
            raise ValidationError(f"Le nom des vacances est obligatoire ({NAME_MAX} caractères au plus).")
        if h.end < h.start:
            raise ValidationError(
                f"{label} : la fin ({short_date(h.end)}) précède le début ({short_date(h.start)})."
            )
        if not start <= h.start <= end or h.end > latest:
            raise ValidationError(
                f"{label} : du {short_date(h.start)} au {short_date(h.end)}, hors de l'année scolaire {school_year}."
            )
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.start <= before.end:
            raise ValidationError(f"Les vacances « {before.name} » et « {after.name} » se chevauchent.")
    seen: set[date] = set()
    for p in public:
        if not p.name.strip() or len(p.name.strip()) > NAME_MAX:
            raise ValidationError(f"Le nom du jour férié est obligatoire ({NAME_MAX} caractères au plus).")
        if not start <= p.day <= end:
            raise ValidationError(
                f"Jour férié du {short_date(p.day)} hors de l'année scolaire {school_year}."
            )
        if p.day in seen:
            raise ValidationError(f"Le {short_date(p.day)} est donné deux fois comme jour férié.")
        seen.add(p.day)


def _store_calendar(
    s: Session,
    zone: str,
    school_year: str,
    holidays: Sequence[HolidayRow],
    public: Sequence[PublicHolidayRow],
) -> None:
    start, end = school_year_span(school_year)
    s.execute(
        delete(SchoolHoliday).where(SchoolHoliday.zone == zone, SchoolHoliday.school_year == school_year)
    )
    s.execute(delete(PublicHoliday).where(PublicHoliday.day.between(start, end)))
    s.flush()
    s.add_all(
        SchoolHoliday(
            zone=zone, name=h.name.strip(), school_year=school_year, start_date=h.start, end_date=h.end
        )
        for h in holidays
    )
    s.add_all(PublicHoliday(day=p.day, name=p.name.strip()) for p in public)
    s.flush()


@checked
def save_calendar(
    db: Database,
    actor: Actor,
    zone: Zone,
    school_year: SchoolYearText,
    holidays: Sequence[HolidayRow],
    public_holidays: Sequence[PublicHolidayRow],
) -> None:
    """Store the zone's school holidays and the public holidays of the school year as edited (replacing them).

    Days already generated follow at the next generation (``generate_days``)."""
    zone, school_year = check_zone(zone), parse_school_year(school_year)
    _check_calendar(school_year, holidays, public_holidays)

    def work(s: Session) -> None:
        before: dict[str, Sequence[HolidayRow | PublicHolidayRow]] = {
            "holidays": _stored_holidays(s, zone, school_year),
            "public_holidays": _stored_public_holidays(s, school_year),
        }
        _store_calendar(s, zone, school_year, holidays, public_holidays)
        audit.record(
            s,
            at=db.clock.now(),
            action="school_year.calendar",
            entity="school_year",
            entity_id=f"{zone}:{school_year}",
            agent_id=actor.agent_id,
            before={k: [_row(r) for r in v] for k, v in before.items()},
            after={
                "holidays": [_row(h) for h in holidays],
                "public_holidays": [_row(p) for p in public_holidays],
            },
        )

    db.write(work, actor=actor, rule=rule("setup.school_year.save_calendar"), changed=(Shown.PLACES,))


def _row(row: HolidayRow | PublicHolidayRow) -> dict[str, object]:
    if isinstance(row, HolidayRow):
        return {"name": row.name, "start": row.start, "end": row.end}
    return {"day": row.day, "name": row.name}


@checked
def add_local_closing(
    db: Database,
    actor: Actor,
    day: date,
    name: Annotated[str, Text(LocalClosing.name)],
    structure_id: int | None = None,
) -> int:
    """A local closing ("fermeture exceptionnelle") of one structure or of all; generated days follow at the
    next generation."""
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        raise ValidationError(f"Le motif de la fermeture est obligatoire ({NAME_MAX} caractères au plus).")

    def work(s: Session) -> int:
        if structure_id is not None and s.get(Structure, structure_id) is None:
            raise UnknownEntity(f"Structure inconnue (n° {structure_id}).")
        clash = select(LocalClosing.id).where(LocalClosing.day == day)
        clash = clash.where(
            LocalClosing.structure_id.is_(None)
            if structure_id is None
            else LocalClosing.structure_id == structure_id
        )
        if s.scalar(clash) is not None:
            raise ValidationError(f"Une fermeture existe déjà le {short_date(day)}.")
        row = LocalClosing(day=day, name=name, structure_id=structure_id)
        s.add(row)
        s.flush()
        audit.record(
            s,
            at=db.clock.now(),
            action="closing_day.create",
            entity="local_closing",
            entity_id=row.id,
            agent_id=actor.agent_id,
            structure_id=structure_id,
            after={"day": day, "name": name},
        )
        return row.id

    return db.write(
        work, actor=actor, rule=rule("setup.school_year.add_local_closing"), changed=(Shown.PLACES,)
    )


@checked
def remove_local_closing(db: Database, actor: Actor, closing_id: int) -> None:

    def work(s: Session) -> None:
        row = s.get(LocalClosing, closing_id)
        if row is None:
            raise UnknownEntity(f"Fermeture inconnue (n° {closing_id}).")
        audit.record(
            s,
            at=db.clock.now(),
            action="closing_day.delete",
            entity="local_closing",
            entity_id=row.id,
            agent_id=actor.agent_id,
            structure_id=row.structure_id,
            before={"day": row.day, "name": row.name},
        )
        s.delete(row)

    db.write(work, actor=actor, rule=rule("setup.school_year.remove_local_closing"), changed=(Shown.PLACES,))


# --- generating the days ---------------------------------------------------------------------------------


@dataclass
class ActivityGeneration:
    activity: str
    structure: str = ""
    created: int = 0
    existing: int = 0
    removed: int = 0
    periods_created: int = 0
    periods_updated: int = 0
    periods_removed: int = 0
    conflicts: list[str] = field(default_factory=list)
    """Days that should no longer exist but hold reservations: to close from the "Journées" screen."""
    skipped_past: int = 0
    """Days of the year already gone when it is prepared: not created (nobody can book them)."""


@dataclass
class GenerationReport:
    school_year: str
    activities: list[ActivityGeneration] = field(default_factory=list)
    calendars_loaded: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(a.created for a in self.activities)

    def lines(self) -> list[str]:
        out = [f"Année scolaire {self.school_year} :"]
        for zone in self.calendars_loaded:
            out.append(f"- calendrier de la zone {zone} chargé (vacances scolaires et jours fériés)")
        several = len({a.structure for a in self.activities}) > 1
        for a in self.activities:
            name = f"{a.activity} ({a.structure})" if several else a.activity
            text = (
                f"- {name} : {count(a.created, 'journée créée', 'journées créées')}, "
                f"{count(a.existing, 'déjà présente', 'déjà présentes')}"
            )
            if a.removed:
                text += f", {count(a.removed, 'retirée')}"
            if a.skipped_past:
                text += (
                    f", {count(a.skipped_past, 'journée passée non créée', 'journées passées non créées')}"
                )
            if a.periods_created or a.periods_updated or a.periods_removed:
                text += (
                    f" ; périodes : {count(a.periods_created, 'créée')}, "
                    f"{count(a.periods_updated, 'mise à jour', 'mises à jour')}, "
                    f"{count(a.periods_removed, 'retirée')}"
                )
            out.append(text)
            out += [f"  ! {c}" for c in a.conflicts]
        return out


def _ensure_calendar(s: Session, zone: str, school_year: str, report: GenerationReport) -> None:
    """The zone's calendar is stored (from the packages if it never was); public holidays likewise."""
    if not _stored_holidays(s, zone, school_year):
        holidays = _package_holidays(zone, school_year)
        if not holidays:
            raise ValidationError(
                f"Les vacances scolaires {school_year} de la zone {zone} ne sont pas saisies : "
                "complétez le calendrier de l'année avant de générer les journées."
            )
        s.add_all(
            SchoolHoliday(zone=zone, name=h.name, school_year=school_year, start_date=h.start, end_date=h.end)
            for h in holidays
        )
        report.calendars_loaded.append(zone)
    _all, missing = _public_holidays_with_package(s, school_year)
    s.add_all(PublicHoliday(day=p.day, name=p.name) for p in missing)
    # the first school day follows the previous summer: know it when the package does
    first = int(school_year[:4])
    previous = f"{first - 1}-{first}"
    if zone in PACKAGE_ZONES and not _stored_holidays(s, zone, previous):
        # (when the package does not go back that far, the school year starts on 1 September)
        with contextlib.suppress(ValidationError):
            s.add_all(
                SchoolHoliday(
                    zone=zone, name=h.name, school_year=previous, start_date=h.start, end_date=h.end
                )
                for h in _package_holidays(zone, previous)
            )
    s.flush()


def _opening_date(s: Session, activity: Activity, zone: str, start: date) -> tuple[PeriodOpeningRule, date]:
    rule = activity.period_opening_rule
    if rule is PeriodOpeningRule.FIXED_DATE and activity.period_opening_fixed:
        month, day = (int(x) for x in activity.period_opening_fixed.split("-"))
        return rule, date(start.year, month, day)
    if rule is PeriodOpeningRule.AFTER_PREVIOUS_HOLIDAYS:
        try:
            return rule, calendar.period_opening_date(s, zone, start, rule)
        except ValidationError:
            rule = PeriodOpeningRule.WEEKS_BEFORE
    weeks = activity.period_opening_weeks if activity.period_opening_weeks is not None else 5
    return PeriodOpeningRule.WEEKS_BEFORE, start - timedelta(weeks=weeks)


def _reservations_per_day(s: Session, day_ids: Iterable[int]) -> dict[int, int]:
    ids = list(day_ids)
    if not ids:
        return {}
    rows = s.execute(
        select(Reservation.activity_day_id, func.count())
        .where(Reservation.activity_day_id.in_(ids))
        .group_by(Reservation.activity_day_id)
    ).all()
    return dict(rows)


def _sync_days(
    s: Session,
    activity: Activity,
    wanted: dict[date, int | None],
    existing: Sequence[ActivityDay],
    result: ActivityGeneration,
    from_day: date | None = None,
) -> None:
    """Create the wanted days that are missing (with their period) from ``from_day`` on (None: all of them),
    remove the surplus never booked."""
    have = {d.day: d for d in existing}
    booked = _reservations_per_day(s, (d.id for d in existing if d.day not in wanted))
    for d, period_id in sorted(wanted.items()):
        row = have.get(d)
        if row is None and from_day is not None and d < from_day:
            result.skipped_past += 1  # a day already gone: nobody can book it
            continue
        if row is None:
            s.add(
                ActivityDay(
                    activity_id=activity.id, period_id=period_id, day=d, capacity=activity.default_capacity
                )
            )
            result.created += 1
        else:
            result.existing += 1
            if row.period_id != period_id and period_id is not None:
                row.period_id = period_id
    for d, row in sorted(have.items()):
        if d in wanted or (from_day is not None and d < from_day):  # the past stays as it was
            continue
        if booked.get(row.id):
            result.conflicts.append(
                f"{short_date(d)} : n'est plus un jour d'accueil mais "
                f"{count(booked[row.id], 'réservation existe', 'réservations existent')} ; "
                "fermez cette journée (Administration → Journées) pour prévenir et rembourser les familles."
            )
        else:
            s.delete(row)
            result.removed += 1
    s.flush()


def _generate(
    s: Session,
    activity: Activity,
    zone: str,
    school_year: str,
    result: ActivityGeneration,
    from_day: date | None,
) -> None:
    """The activity's days of the school year as its kind lays them out (``kinds``), with the holiday periods
    they belong to: a period is created for each holiday the activity runs in, follows the holiday's dates when
    they change, and goes when its holiday no longer belongs and no day is left in it."""
    plan = kind_entry(activity.kind).days(
        calendar.year_calendar(s, zone, school_year, activity.structure_id), activity.period_scope
    )
    periods = {
        p.name: p
        for p in s.scalars(
            select(Period).where(Period.activity_id == activity.id, Period.school_year == school_year)
        )
    }
    kept: dict[str, int] = {}
    for h in plan.periods:
        period = periods.get(h.name)
        if period is None:
            rule, opening = _opening_date(s, activity, zone, h.start)
            period = Period(
                activity_id=activity.id,
                name=h.name,
                school_year=school_year,
                start_date=h.start,
                end_date=h.end,
                opening_rule=rule,
                opening_date=opening,
                opening_weeks=activity.period_opening_weeks
                if rule is PeriodOpeningRule.WEEKS_BEFORE
                else None,
            )
            s.add(period)
            s.flush()
            result.periods_created += 1
        elif (period.start_date, period.end_date) != (h.start, h.end):
            period.start_date, period.end_date = h.start, h.end
            if period.opening_rule is not PeriodOpeningRule.FIXED_DATE:  # a date set by hand stays
                period.opening_rule, period.opening_date = _opening_date(s, activity, zone, h.start)
            result.periods_updated += 1
        kept[h.name] = period.id
    wanted = {d: None if h is None else kept[h.name] for d, h in plan.days.items()}
    kept_ids = set(kept.values())
    start, end = school_year_span(school_year)
    period_ids = [p.id for p in periods.values()] + list(kept.values())
    existing = list(  # the activity's days of this school year: in its periods, or within the year's span
        s.scalars(
            select(ActivityDay).where(
                ActivityDay.activity_id == activity.id,
                ActivityDay.period_id.in_(period_ids or [-1])
                | (ActivityDay.period_id.is_(None) & ActivityDay.day.between(start, end)),
            )
        )
    )
    _sync_days(s, activity, wanted, existing, result, from_day)
    for period in periods.values():
        if period.id in kept_ids:
            continue
        left = s.scalar(
            select(func.count()).select_from(ActivityDay).where(ActivityDay.period_id == period.id)
        )
        if not left:
            s.delete(period)
            result.periods_removed += 1
    s.flush()


def generate_in(
    s: Session,
    actor: Actor,
    now: datetime,
    school_year: str,
    activity_ids: Sequence[int] | None = None,
    *,
    past: bool = False,
) -> GenerationReport:
    """``generate_days`` inside the caller's transaction (the first run's installation uses it)."""
    school_year = parse_school_year(school_year)
    today = now.astimezone(PARIS).date()
    if school_year_span(school_year)[1] < today and not past:
        raise ValidationError(
            f"L'année scolaire {school_year} est terminée : ses journées ne peuvent plus être réservées. Pour "
            "l'enregistrer quand même (un historique), demandez-la explicitement (« --past » en ligne de commande)."
        )
    from_day = None if past else today
    report = GenerationReport(school_year)
    stmt = select(Activity).where(Activity.active.is_(True)).order_by(Activity.structure_id, Activity.id)
    if activity_ids is not None:
        stmt = stmt.where(Activity.id.in_(list(activity_ids)))
    activities = list(s.scalars(stmt))
    if activity_ids is not None and len(activities) != len(set(activity_ids)):
        raise UnknownEntity("Activité inconnue ou archivée dans la sélection.")
    if not activities:
        raise ValidationError("Aucune activité active : créez une activité avant de préparer l'année.")
    for activity in activities:
        zone = activity.structure.school_zone
        _ensure_calendar(s, zone, school_year, report)
        result = ActivityGeneration(activity.name, activity.structure.name)
        _generate(s, activity, zone, school_year, result, from_day)
        report.activities.append(result)
        audit.record(
            s,
            at=now,
            action="school_year.generate",
            entity="activity",
            entity_id=activity.id,
            agent_id=actor.agent_id,
            structure_id=activity.structure_id,
            after={
                "school_year": school_year,
                "created": result.created,
                "removed": result.removed,
                "conflicts": len(result.conflicts),
            },
        )
    return report


@checked
def generate_days(
    db: Database,
    actor: Actor,
    school_year: SchoolYearText,
    activity_ids: Sequence[int] | None = None,
    *,
    past: bool = False,
) -> GenerationReport:
    """Generate the activity days of a school year for the given activities (default: every active one), as
    each one's kind lays them out (``booking.kinds``: ALAE Wednesdays outside school holidays, public holidays
    and local closings; ALSH weekdays of the holidays in the activity's scope, except public holidays and local
    closings; an activity whose kind has no entry is refused, nothing generated); each with the activity's default
    capacity, the periods with their opening dates. Running it again creates nothing twice. The days already gone
    are not created (the report counts them); a school year already over is refused unless ``past``."""
    school_year = parse_school_year(school_year)

    def work(s: Session) -> GenerationReport:
        report = generate_in(s, actor, db.clock.now(), school_year, activity_ids, past=past)
        return report

    return db.write(work, actor=actor, rule=rule("setup.school_year.generate_days"), changed=(Shown.PLACES,))


@checked
def set_opening_date(db: Database, actor: Actor, period_id: int, opening: date) -> None:
    """Move a period's booking opening date by hand (kept when the days are generated again)."""

    def work(s: Session) -> None:
        p = s.get(Period, period_id)
        if p is None:
            raise UnknownEntity(f"Période inconnue (n° {period_id}).")
        before = p.opening_date
        p.opening_date, p.opening_rule = opening, PeriodOpeningRule.FIXED_DATE
        audit.record(
            s,
            at=db.clock.now(),
            action="period.opening",
            entity="period",
            entity_id=p.id,
            agent_id=actor.agent_id,
            structure_id=p.activity.structure_id,
            before={"opening": before},
            after={"opening": opening},
        )

    db.write(work, actor=actor, rule=rule("setup.school_year.set_opening_date"), changed=(Shown.PLACES,))
