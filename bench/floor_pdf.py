"""The floors of the printed documents: the same table drawn with plain reportlab.

Each floor fetches the rows its document shows with one plain SQL query through DB-API, formats them as plain
strings (dates dd/mm/yyyy, amounts "13,00 €") and draws them with ``SimpleDocTemplate`` + one ``Table`` (header
repeated on each page, a grid, a header background) under a title — no letterhead, no page numbers, no grouping.

``floor_sheet_pdf``: the family's reservations over [start, end] (child, activity, day, state, transmission, price),
the rows of the reservation sheet's month tables in one table.

``floor_attendance_pdf``: the accepted children of an activity day (N°, child, level, age, phone, remarks, presence
box), the attendance list's main table.
"""

from __future__ import annotations

import io
from datetime import date

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle
from sqlalchemy import Engine

from app.services.documents.toolkit import FONT, FONT_BOLD

from .floor import read_rows

TITLE = ParagraphStyle("floor_title", parent=getSampleStyleSheet()["Title"], fontName=FONT_BOLD)
STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), FONT, 8.5),  # the documents' embedded font: the same glyph work
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
    ]
)


def _date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _eur(cents: int) -> str:
    """``1300`` → "13,00 €" (no-break spaces, as the standard PDF fonts print them)."""
    euros, rest = divmod(abs(cents), 100)
    return ("-" if cents < 0 else "") + f"{euros:,}".replace(",", "\xa0") + f",{rest:02d}\xa0€"


def _draw(title: str, header: tuple[str, ...], rows: list[tuple]) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4)
    doc.build([Paragraph(title, TITLE), Table([header, *rows], repeatRows=1, style=STYLE)])
    return buffer.getvalue()


def floor_sheet_pdf(engine: Engine, family_id: int, start: date, end: date) -> tuple[bytes, list[tuple]]:
    """Rows: (child, activity, day, state, transmission, price) per reservation of the family over the range."""
    fetched = read_rows(
        engine,
        "SELECT c.first_name, c.last_name, a.name, d.day, r.status, r.waitlist_position, "
        "r.refusal_reason, r.transmitted_at, r.price_cents "
        "FROM reservations r JOIN children c ON c.id = r.child_id "
        "JOIN activity_days d ON d.id = r.activity_day_id JOIN activities a ON a.id = d.activity_id "
        "WHERE c.family_id = ? AND d.day BETWEEN ? AND ? "
        "ORDER BY c.birth_date, c.id, d.day, a.name, r.requested_at",
        [family_id, start, end],
    )
    states = {"accepted": "Acceptée", "cancelled": "Annulée"}
    rows = []
    for first, last, activity, day, status, position, reason, transmitted, price in fetched:
        if status == "waitlisted":
            state = f"En liste d'attente rang {position}"
        elif status == "refused":
            state = f"Refusée : {reason}"
        else:
            state = states[status]
        rows.append(
            (
                f"{first} {last}",
                activity,
                f"{_date(day):%d/%m/%Y}",
                state,
                "Transmise" if transmitted else "Non transmise",
                _eur(price) if status == "accepted" and price else "",
            )
        )
    pdf = _draw(
        f"Fiche de réservations du {start:%d/%m/%Y} au {end:%d/%m/%Y}",
        ("Enfant", "Activité", "Jour", "État", "Transmission", "Prix"),
        rows,
    )
    return pdf, rows


def floor_attendance_pdf(engine: Engine, activity_id: int, day: date) -> tuple[bytes, list[tuple]]:
    """Rows: (n°, child, level, age, phone, remarks, presence box) per accepted child of the day."""
    fetched = read_rows(
        engine,
        "SELECT c.last_name, c.first_name, c.school_level, c.birth_date, f.phone, c.notes "
        "FROM reservations r JOIN activity_days d ON d.id = r.activity_day_id "
        "JOIN children c ON c.id = r.child_id JOIN families f ON f.id = c.family_id "
        "WHERE d.activity_id = ? AND d.day = ? AND r.status = 'accepted' "
        "ORDER BY c.last_name, c.first_name",
        [activity_id, day],
    )
    rows = []
    for i, (last, first, level, born, phone, notes) in enumerate(fetched, start=1):
        born = _date(born)
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        rows.append(
            (
                str(i),
                f"{last.upper()} {first}",
                level or "",
                f"{age} an" + ("s" if age > 1 else ""),
                phone or "",
                notes or "",
                "",
            )
        )
    pdf = _draw(
        f"Liste de présence du {day:%d/%m/%Y}",
        ("N°", "Enfant", "Niveau", "Âge", "Téléphone", "Remarques", "Présent"),
        rows,
    )
    return pdf, rows
