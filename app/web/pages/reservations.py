"""« Mes réservations »: the family's bookings since a month ago, and their sheet as a PDF."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ...clock import local_today
from ...services.documents.sheet import reservation_sheet_pdf
from ...services.families.view import reservation_rows
from ..dependencies import LoggedInFamily
from ..rendering import page
from ..state import Db

router = APIRouter()


@router.get("/reservations", response_class=HTMLResponse)
def reservations(request: Request, family_id: LoggedInFamily, db: Db) -> Response:
    today = local_today(db.clock)
    rows = reservation_rows(db, family_id, since=today - timedelta(days=31))
    return page(request, "reservations.html", {"title": "Mes réservations", "rows": rows})


@router.get("/reservations/fiche.pdf")
def sheet(family_id: LoggedInFamily, db: Db) -> Response:
    pdf = reservation_sheet_pdf(db, family_id, None, None, printed_by="portail famille")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="fiche-reservations.pdf"',
            "Cache-Control": "no-store",
        },
    )
