"""« Accueil »: the structures' messages of the day and the family's summary."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ...clock import local_today
from ...services.families import portal
from ...services.families.view import family_summary
from ..dependencies import LoggedInFamily
from ..rendering import page
from ..state import Db

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, family_id: LoggedInFamily, db: Db) -> Response:
    today = local_today(db.clock)
    return page(
        request,
        "accueil.html",
        {
            "title": "Accueil",
            "messages": portal.current_messages(db, today),
            "today": today,
            "summary": family_summary(db, family_id),
        },
    )
