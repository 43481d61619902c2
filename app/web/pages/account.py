"""« Mon compte »: the family's contact details (e-mail, telephone), changed by the family itself."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ...services.errors import DomainError
from ...services.families import portal
from ...services.families.view import family_summary
from ..dependencies import CheckedForm, LoggedInFamily
from ..rendering import go, page, say
from ..session import actor
from ..state import Db

router = APIRouter()


@router.get("/compte", response_class=HTMLResponse)
def account(request: Request, family_id: LoggedInFamily, db: Db) -> Response:
    summary = family_summary(db, family_id)
    return page(
        request,
        "compte.html",
        {"title": "Mon compte", "summary": summary, "email": summary.email, "phone": summary.phone},
    )


@router.post("/compte")
def account_post(request: Request, family_id: LoggedInFamily, form: CheckedForm, db: Db) -> Response:
    email, phone = form.get("email", ""), form.get("telephone", "")
    try:
        portal.update_contact(db, actor(request, family_id), email, phone)
    except DomainError as exc:
        return page(
            request,
            "compte.html",
            {
                "title": "Mon compte",
                "summary": family_summary(db, family_id),
                "email": email,
                "phone": phone,
                "error": str(exc),
            },
            status=400,
        )
    say(request, "Vos coordonnées sont enregistrées.", "ok")
    return go("/compte")
