"""The registry of activity kinds (``app.services.booking.kinds``): every ``ActivityKind`` member has its entry
(labels, defaults, day generator), a kind without one is refused with a typed error wherever it is looked up
(never laid out like the holiday centre), and each generator gives its kind's days: the ALAE the Wednesdays of
the school weeks, the ALSH the weekdays of the school holidays."""

from __future__ import annotations

from datetime import date, timedelta
from types import MappingProxyType

import pytest
from sqlalchemy import func, select

from app.models import Activity, ActivityDay, ActivityKind, Period, PeriodScope, PublicHoliday, SchoolHoliday
from app.services.actors import system_actor
from app.services.booking import calendar, kinds
from app.services.booking.kinds import (
    KINDS,
    Holiday,
    YearCalendar,
    kind_entry,
    kind_label,
    registered_kinds,
    unregistered_kinds,
)
from app.services.errors import UnknownActivityKind, ValidationError
from app.services.setup import activities, school_year
from app.services.setup.structures import StructureInput, create_structure


def system(db):
    """The « système » agent every migrated database has (what the command line acts as)."""
    with db.reading() as uow:
        return system_actor(uow.session)


TOUSSAINT = Holiday("Vacances de la Toussaint", date(2026, 10, 17), date(2026, 11, 1))
NOEL = Holiday("Vacances de Noël", date(2026, 12, 19), date(2027, 1, 3))
PONT = Holiday("Pont de l'Ascension", date(2027, 5, 6), date(2027, 5, 9))
ETE = Holiday("Vacances d'été", date(2027, 7, 3), date(2027, 8, 31))
CLOSED = frozenset({date(2026, 11, 11), date(2026, 12, 25), date(2027, 1, 1), date(2027, 7, 14)})
YEAR = YearCalendar("C", "2026-2027", (TOUSSAINT, NOEL, PONT, ETE), CLOSED, date(2026, 9, 1))


def _without(kind: ActivityKind) -> MappingProxyType[ActivityKind, kinds.KindEntry]:
    return MappingProxyType({k: e for k, e in KINDS.items() if k is not kind})


# --- one entry per kind ------------------------------------------------------------------------------------


def test_every_activity_kind_has_its_entry_in_the_registry():
    """A member added to ActivityKind without its entry fails here (it would have no days, labels or defaults)."""
    assert unregistered_kinds() == [], (
        f"ActivityKind sans entrée dans booking/kinds.py : {unregistered_kinds()}"
    )
    assert set(KINDS) == set(ActivityKind)
    assert all(entry.kind is kind for kind, entry in KINDS.items())
    for kind in ActivityKind:
        assert kind_entry(kind) is KINDS[kind]
        assert kind_entry(kind.value) is KINDS[kind]  # the value as stored


def test_each_entry_has_its_labels_and_defaults():
    entries = registered_kinds()
    assert [e.kind for e in entries] == list(ActivityKind)
    assert len({e.label for e in entries}) == len(entries)
    assert kind_label(ActivityKind.ALAE_WEDNESDAY) == "ALAE mercredi"
    assert kind_label("alsh_holidays") == "ALSH vacances"
    for e in entries:
        assert e.label and e.long_label and e.days_text and e.example_name
        assert e.price_cents > 0 and e.default_capacity > 0
        assert activities.policy_for(e.kind) is e.policy
    assert kind_entry(ActivityKind.ALAE_WEDNESDAY).policy.wallet_kind == "alae"
    assert kind_entry(ActivityKind.ALSH_HOLIDAYS).policy.wallet_kind == "alsh"
    assert kinds.all_kinds_text() == "l'ALAE du mercredi et l'ALSH des vacances"
    assert kinds.periods_note(ActivityKind.ALAE_WEDNESDAY).startswith("L'ALAE du mercredi suit")
    assert kinds.periods_note(ActivityKind.ALSH_HOLIDAYS) == ""


# --- a kind without an entry is refused ------------------------------------------------------------------


def test_a_kind_without_an_entry_is_refused_with_a_typed_error():
    with pytest.raises(UnknownActivityKind, match="Type d'activité inconnu.*« cantine ».*ALAE mercredi"):
        kind_entry("cantine")
    with pytest.raises(UnknownActivityKind):
        activities.policy_for("cantine")  # type: ignore[arg-type]


def test_a_member_without_an_entry_is_refused_not_laid_out_as_holidays(monkeypatch):
    monkeypatch.setattr(kinds, "KINDS", _without(ActivityKind.ALSH_HOLIDAYS))
    with pytest.raises(UnknownActivityKind, match="alsh_holidays") as refused:
        kind_entry(ActivityKind.ALSH_HOLIDAYS)
    assert refused.value.kind == "alsh_holidays"
    assert kind_entry(ActivityKind.ALAE_WEDNESDAY).label == "ALAE mercredi"
    with pytest.raises(UnknownActivityKind):
        calendar.facts_from([date(2026, 12, 21)], {}, {}, {}, [], ActivityKind.ALSH_HOLIDAYS)


def test_generating_a_school_year_refuses_an_activity_whose_kind_has_no_entry(db, monkeypatch):
    """The generation asks the registry for the generator: without an entry, nothing is generated at all (not
    the holiday centre's days, as the former ``else`` did)."""
    admin = system(db)
    create_structure(db, admin, StructureInput("ALSH Sud"))
    monkeypatch.setattr(kinds, "KINDS", _without(ActivityKind.ALSH_HOLIDAYS))
    with pytest.raises(UnknownActivityKind, match="ALSH|alsh_holidays"):
        school_year.generate_days(db, admin, "2027")
    with db.reading() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ActivityDay)) == 0
        assert uow.session.scalar(select(func.count()).select_from(Period)) == 0


# --- each generator gives its kind's days ------------------------------------------------------------------


def _in_holidays(d: date, holidays: tuple[Holiday, ...]) -> bool:
    return any(h.start <= d <= h.end for h in holidays)


def test_the_alae_generator_gives_the_wednesdays_of_the_school_weeks():
    plan = kind_entry(ActivityKind.ALAE_WEDNESDAY).days(YEAR, PeriodScope.ALL)
    days = sorted(plan.days)
    assert plan.periods == () and set(plan.days.values()) == {None}
    assert days[0] == date(2026, 9, 2) and days[-1] == date(2027, 6, 30)  # the last before the summer
    assert all(d.weekday() == 2 for d in days)
    assert date(2026, 10, 21) not in plan.days and date(2026, 12, 23) not in plan.days  # Toussaint, Noël
    assert date(2026, 11, 11) not in plan.days  # a closed day
    expected, d = [], date(2026, 9, 2)
    while d < ETE.start:
        if not _in_holidays(d, YEAR.holidays) and d not in CLOSED:
            expected.append(d)
        d += timedelta(days=7)
    assert days == expected


def test_the_alae_generator_needs_the_summer_to_know_the_last_school_day():
    without_summer = YearCalendar("C", "2026-2027", (TOUSSAINT, NOEL), CLOSED, date(2026, 9, 1))
    with pytest.raises(ValidationError, match="vacances d'été 2026-2027"):
        kind_entry(ActivityKind.ALAE_WEDNESDAY).days(without_summer, PeriodScope.ALL)


def test_the_alsh_generator_gives_the_weekdays_of_the_holidays_in_its_scope():
    entry = kind_entry(ActivityKind.ALSH_HOLIDAYS)
    plan = entry.days(YEAR, PeriodScope.ALL)
    assert plan.periods == (TOUSSAINT, NOEL, ETE)  # never the « pont »
    assert all(d.weekday() < 5 and d not in CLOSED for d in plan.days)
    assert all(h is not None and h.start <= d <= h.end for d, h in plan.days.items())
    assert plan.days[date(2026, 12, 21)] == NOEL and plan.days[date(2027, 7, 13)] == ETE
    assert date(2026, 12, 25) not in plan.days and date(2027, 5, 7) not in plan.days
    noel = [d for d, h in plan.days.items() if h == NOEL]
    assert len(noel) == 8  # two weeks of five days, without Christmas and New Year's Day
    short = entry.days(YEAR, PeriodScope.SHORT)
    summer = entry.days(YEAR, PeriodScope.SUMMER)
    assert short.periods == (TOUSSAINT, NOEL) and summer.periods == (ETE,)
    assert short.days.keys() | summer.days.keys() == plan.days.keys()


@pytest.mark.parametrize("kind", list(ActivityKind))
def test_each_generator_agrees_with_what_its_entry_says(kind):
    """Periods exactly for a kind that has them; days in the school holidays exactly for a kind that runs in
    them; never a weekend or a closed day."""
    entry = kind_entry(kind)
    plan = entry.days(YEAR, PeriodScope.ALL)
    assert plan.days
    assert bool(plan.periods) is entry.has_periods
    assert any(_in_holidays(d, YEAR.holidays) for d in plan.days) is entry.runs_in_school_holidays
    assert all(d.weekday() < 5 and d not in CLOSED for d in plan.days)


def test_generated_school_year_days_follow_each_kind(db):
    """Through the service on a town's real calendar (zone C, 2027-2028): the Wednesday club's days are
    Wednesdays outside the school holidays, the holiday centre's are weekdays inside them, in their period, and
    no day falls on a public holiday."""
    admin = system(db)
    create_structure(db, admin, StructureInput("ALSH Sud"))
    school_year.generate_days(db, admin, "2027")
    with db.reading() as uow:
        s = uow.session
        holidays = [
            (h.start_date, h.end_date)
            for h in s.scalars(select(SchoolHoliday).where(SchoolHoliday.school_year == "2027-2028"))
        ]
        public = set(s.scalars(select(PublicHoliday.day)))
        rows = s.execute(
            select(Activity.kind, ActivityDay.day, Period.start_date, Period.end_date)
            .join(Activity, Activity.id == ActivityDay.activity_id)
            .outerjoin(Period, Period.id == ActivityDay.period_id)
        ).all()
    by_kind: dict[ActivityKind, list[date]] = {kind: [] for kind in ActivityKind}
    for kind, day, start, end in rows:
        by_kind[kind].append(day)
        in_holidays = any(a <= day <= b for a, b in holidays)
        assert in_holidays is kind_entry(kind).runs_in_school_holidays, (kind, day)
        assert (start is not None) is kind_entry(kind).has_periods, (kind, day)
        assert start is None or start <= day <= end
        assert day not in public and day.weekday() < 5
    assert all(d.weekday() == 2 for d in by_kind[ActivityKind.ALAE_WEDNESDAY])
    assert len(by_kind[ActivityKind.ALAE_WEDNESDAY]) > 30 and len(by_kind[ActivityKind.ALSH_HOLIDAYS]) > 50
