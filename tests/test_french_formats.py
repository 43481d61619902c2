"""The French formats' one home (app/text.py, issue 32): « 1er » for the first day of a month only, amounts as
Babel writes them, counted nouns, month and weekday names, instants in Paris time; and the reservation sheet says
« Du 1er septembre »."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from app.text import (
    MONTHS,
    WEEKDAYS,
    ZONE_LABELS,
    clock_time,
    count,
    day_of_month,
    denomination,
    format_eur,
    long_date,
    long_moment,
    moment,
    month_year,
    plain_amount,
    plural,
    short_date,
    zone_label,
)

NNBSP = "\u202f"  # between the thousands (CLDR's French grouping separator)
NBSP = "\xa0"  # before « € »


@pytest.mark.parametrize(
    ("day", "written"),
    [
        (1, "1er mars 2027"),
        (2, "2 mars 2027"),
        (11, "11 mars 2027"),
        (21, "21 mars 2027"),
        (31, "31 mars 2027"),
    ],
)
def test_only_the_first_day_of_a_month_is_written_1er(day, written):
    assert long_date(date(2027, 3, day), weekday=False) == written
    assert day_of_month(date(2027, 3, day)) == written.split()[0]


def test_long_dates_with_and_without_the_weekday_and_the_year():
    assert long_date(date(2026, 9, 1)) == "mardi 1er septembre 2026"
    assert long_date(date(2026, 9, 1), weekday=False) == "1er septembre 2026"
    assert long_date(date(2026, 12, 21), weekday=False, year=False) == "21 décembre"
    assert long_date(date(2027, 1, 1), year=False) == "vendredi 1er janvier"
    assert long_date(date(2026, 12, 6)) == "dimanche 6 décembre 2026"


def test_short_dates_and_month_year():
    assert short_date(date(2026, 9, 1)) == "01/09/2026"
    assert short_date(date(2026, 12, 21), weekday=True) == "lun. 21/12/2026"
    assert short_date(date(2026, 9, 1), year=False) == "01/09"
    assert month_year(date(2026, 12, 17)) == "décembre 2026"
    assert month_year(date(2027, 8, 1)) == "août 2027"


def test_month_and_weekday_names():
    assert MONTHS == (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    )
    assert WEEKDAYS == ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    assert WEEKDAYS[date(2026, 9, 2).weekday()] == "mercredi"


def test_instants_are_read_in_paris_time():
    at = datetime(2026, 8, 31, 22, 5, 9, tzinfo=UTC)  # already 1 September in Paris (summer time, UTC+2)
    assert short_date(at) == "01/09/2026" and long_date(at) == "mardi 1er septembre 2026"
    assert clock_time(at) == "00:05" and clock_time(at, seconds=True) == "00:05:09"
    assert moment(at) == "01/09/2026 à 00:05"
    assert moment(at, compact=True) == "01/09/2026 00:05"
    assert long_moment(at) == "mardi 1er septembre 2026 à 00:05"
    assert long_moment(at, weekday=False) == "1er septembre 2026 à 00:05"
    winter = datetime(2026, 12, 21, 9, 30, tzinfo=UTC)  # UTC+1
    assert moment(winter) == "21/12/2026 à 10:30"
    assert clock_time(time(23, 59)) == "23:59"


@pytest.mark.parametrize(
    ("cents", "written"),
    [
        (0, f"0,00{NBSP}€"),
        (5, f"0,05{NBSP}€"),
        (1300, f"13,00{NBSP}€"),
        (1250, f"12,50{NBSP}€"),
        (-450, f"\u22124,50{NBSP}€"),  # a true minus sign, not a hyphen
        (123450, f"1{NNBSP}234,50{NBSP}€"),
        (-10_000_000, f"\u2212100{NNBSP}000,00{NBSP}€"),
        (123_456_789, f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
    ],
)
def test_amounts_as_babel_writes_them_in_french(cents, written):
    assert format_eur(cents) == written


def test_plain_amounts_and_denominations():
    assert plain_amount(1250) == "12,50"
    assert plain_amount(0) == "0,00"
    assert plain_amount(7) == "0,07"
    assert plain_amount(130000) == "1300,00"  # no separator: a field's value, typed back as is
    assert plain_amount(-450) == "-4,50"
    assert denomination(2000) == f"20{NBSP}€" and denomination(50) == f"0,50{NBSP}€"


def test_the_amount_modules_write_the_same_as_the_one_home():
    from app.services.money import amounts
    from app.services.money.amounts import parse_amount

    assert amounts.format_eur is format_eur  # a re-export, not a second version
    for cents in (0, 1, -450, 123450, 10_000_000):
        assert parse_amount(format_eur(cents)) == cents
        assert parse_amount(plain_amount(cents)) == cents


def test_counts():
    assert count(0, "place") == "0 place"
    assert count(1, "place") == "1 place"
    assert count(3, "place") == "3 places"
    assert count(2, "jour copié", "jours copiés") == "2 jours copiés"
    assert plural(1, "règlement") == "règlement" and plural(2, "règlement") == "règlements"


def test_one_wording_for_the_school_zones():
    assert [zone_label(z) for z in ("A", "B", "C")] == ["Zone A", "Zone B", "Zone C"]
    assert zone_label("DOM") == "DOM (outre-mer)" and zone_label("Corse") == "Corse"
    assert zone_label("X") == "X"
    from app.config import SCHOOL_ZONES

    assert set(ZONE_LABELS) == set(SCHOOL_ZONES)


def test_the_reservation_sheet_says_1er_when_a_period_starts_on_the_first(demo_rw):
    db = demo_rw
    from app.services.documents.sheet import reservation_sheet_pdf
    from tests.helpers import new_family
    from tests.test_documents import text_of

    family_id, _ = new_family(db, "Premier")
    text, _ = text_of(reservation_sheet_pdf(db, family_id, date(2026, 9, 1), date(2026, 10, 1)))
    assert "Du 1er septembre 2026 au 1er octobre 2026" in text
    text, _ = text_of(reservation_sheet_pdf(db, family_id, date(2026, 9, 2), date(2026, 9, 21)))
    assert "Du 2 septembre 2026 au 21 septembre 2026" in text and "1er" not in text
