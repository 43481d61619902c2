"""Opening days from the school and public holiday tables: the school year of a date, the ALAE Wednesdays
outside school and public holidays, the holiday periods' booking opening dates."""

from __future__ import annotations

from datetime import date

from app.services.booking import calendar


def test_school_year_of():
    assert calendar.school_year_of(date(2026, 9, 1)) == "2026-2027"
    assert calendar.school_year_of(date(2027, 7, 15)) == "2026-2027"
    assert calendar.school_year_of(date(2026, 8, 31)) == "2025-2026"


def test_alae_wednesdays_skip_school_and_public_holidays(db):
    with db.writing() as uow:
        s = uow.session
        calendar.seed_school_holidays(s, "C", ["2025-2026", "2026-2027"])
        calendar.seed_public_holidays(s, [2026, 2027])
        days = calendar.alae_wednesdays(s, "C", "2026-2027")
    assert days[0] == date(2026, 9, 2)
    assert date(2026, 11, 11) not in days  # Armistice
    assert date(2026, 12, 23) not in days and date(2026, 12, 30) not in days  # Noël
    assert date(2026, 10, 21) not in days  # Toussaint
    assert date(2026, 12, 9) in days and date(2027, 2, 24) in days
    assert days[-1] == date(2027, 6, 30)
    assert all(d.weekday() == 2 for d in days)


def test_period_opening_rules(db):
    with db.writing() as uow:
        s = uow.session
        calendar.seed_school_holidays(s, "C", ["2025-2026", "2026-2027"])
        noel = next(h for h in calendar.school_holidays(s, "C", "2026-2027") if "Noël" in h.name)
        rule = calendar.PeriodOpeningRule
        assert calendar.period_opening_date(s, "C", noel.start_date, rule.WEEKS_BEFORE, weeks=5) == date(
            2026, 11, 14
        )
        assert calendar.period_opening_date(s, "C", noel.start_date, rule.AFTER_PREVIOUS_HOLIDAYS) == date(
            2026, 11, 2
        )
        fixed = calendar.period_opening_date(
            s, "C", noel.start_date, rule.FIXED_DATE, fixed=date(2026, 11, 1)
        )
        assert fixed == date(2026, 11, 1)
