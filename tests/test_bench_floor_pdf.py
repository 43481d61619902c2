"""The floors of the printed documents draw the same rows as the documents themselves (the timings live in
``python -m bench``)."""

from __future__ import annotations

from datetime import date

import pypdfium2 as pdfium
import pytest
from sqlalchemy import text

from app.clock import FixedClock
from app.services.documents.attendance import _age, attendance_pdf, children
from app.services.documents.sheet import entries, reservation_sheet_pdf
from app.services.documents.toolkit import pdf_text
from app.services.money.amounts import format_eur
from app.services.uow import Database
from app.text import count
from bench.dataset import YEARS, Size, build
from bench.floor_pdf import floor_attendance_pdf, floor_sheet_pdf
from bench.measure import NOW

START, END = date(int(YEARS[-1][:4]), 9, 1), date(int(YEARS[-1][5:]), 8, 31)


def pdf_text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    document = pdfium.PdfDocument(pdf)
    try:
        extracted = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return " ".join(extracted.replace("\xa0", " ").replace("\u202f", " ").replace("\r", " ").split())


def plain(value: str) -> str:
    return " ".join(value.replace("\xa0", " ").replace("\u202f", " ").split())


@pytest.fixture
def city(db: Database) -> Database:
    build(
        db, Size(families=40, children=60, years=YEARS[-1:], alae_capacity=30, alsh_capacity=12, payments=100)
    )
    db.clock = FixedClock(NOW)
    return db


def _busiest_family(db: Database) -> int:
    with db.reading() as uow:
        return uow.session.execute(
            text(
                "SELECT c.family_id FROM reservations r JOIN children c ON c.id = r.child_id "
                "GROUP BY c.family_id ORDER BY count(*) DESC, c.family_id LIMIT 1"
            )
        ).scalar_one()


def _busiest_day(db: Database) -> tuple[int, date, int]:
    with db.reading() as uow:
        activity_id, day, day_id = uow.session.execute(
            text(
                "SELECT d.activity_id, d.day, d.id FROM reservations r JOIN activity_days d ON d.id = r.activity_day_id "
                "WHERE r.status = 'accepted' GROUP BY d.activity_id, d.day, d.id ORDER BY count(*) DESC, d.id LIMIT 1"
            )
        ).one()
    return activity_id, day if isinstance(day, date) else date.fromisoformat(str(day)), day_id


def test_the_sheet_floor_shows_the_rows_of_the_sheet(city):
    family_id = _busiest_family(city)
    pdf, rows = floor_sheet_pdf(city.engine, family_id, START, END)
    with city.reading() as uow:
        expected = [
            (
                e.child_name,
                e.activity,
                f"{e.day:%d/%m/%Y}",
                e.state,
                e.transmission,
                pdf_text(format_eur(e.price_cents)) if e.price_cents else "",
            )
            for e in entries(uow.session, family_id, START, END)
        ]
    assert len(rows) >= 10 and sorted(rows) == sorted(expected)
    assert {r[3].split(" ")[0] for r in rows} >= {"Acceptée"}
    floor_text = pdf_text_of(pdf)
    sheet_text = pdf_text_of(reservation_sheet_pdf(city, family_id, START, END))
    for child, _activity, day, state, transmission, price in rows:
        assert child in floor_text and day in floor_text and state in floor_text
        assert day[:5] in sheet_text and state in sheet_text and transmission in sheet_text
        if price:
            assert plain(price) in floor_text and plain(price) in sheet_text


def test_the_attendance_floor_shows_the_children_of_the_list(city):
    activity_id, day, day_id = _busiest_day(city)
    pdf, rows = floor_attendance_pdf(city.engine, activity_id, day)
    with city.reading() as uow:
        accepted, _waiting = children(uow.session, day_id)
    expected = [
        (c.name, c.school_level, count(_age(c.birth_date, day), "an"), c.phone, c.notes) for c in accepted
    ]
    assert len(rows) >= 10 and sorted(r[1:6] for r in rows) == sorted(expected)
    assert [r[0] for r in rows] == [str(i) for i in range(1, len(rows) + 1)] and {r[6] for r in rows} == {""}
    floor_text = pdf_text_of(pdf)
    list_text = pdf_text_of(attendance_pdf(city, activity_id, day))
    assert f"{len(rows)} enfants" in list_text
    for _n, name, _level, age, phone, _notes, _box in rows:
        assert plain(name) in floor_text and plain(name) in list_text
        assert age in floor_text and plain(phone) in floor_text
