"""The basket's validation: « Récapitulatif » (what each request would do and cost), « Confirmer » (every request
checked again and recorded at once, once however many times it is sent) and the outcome's page, read from the
database."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ...services.booking.basket import Likely, OutcomeStatus
from ...services.booking.validation import confirm, recap
from ...services.errors import DomainError
from ...services.families import portal
from ...services.uow import new_operation_key
from ..dependencies import CheckedForm, LoggedInFamily
from ..rendering import go, page, say
from ..session import actor, basket_changed, basket_of
from ..state import Db

router = APIRouter()


@router.get("/recapitulatif", response_class=HTMLResponse)
def summary(request: Request, family_id: LoggedInFamily, db: Db) -> Response:
    basket = basket_of(request, family_id)
    if not basket.lines:
        say(request, "Aucune demande en cours : cliquez sur les jours à réserver ou à supprimer.")
        return go("/reserver")
    try:
        result = recap(db, actor(request, family_id), basket)
    except DomainError as exc:
        say(request, str(exc), "error")
        return go("/reserver")
    return page(request, "recapitulatif.html", {"title": "Récapitulatif", "recap": result, "Likely": Likely})


@router.post("/confirmer")
def confirm_post(request: Request, family_id: LoggedInFamily, _form: CheckedForm, db: Db) -> Response:
    basket = basket_of(request, family_id)
    key = request.session.get("op") or new_operation_key()
    try:
        confirm(db, actor(request, family_id), basket, key=key)
    except DomainError as exc:
        say(request, str(exc), "error")
        return go("/recapitulatif" if basket.lines else "/reserver")
    request.session["basket"] = []
    basket_changed(request)
    request.session["done"] = key  # the outcome is read from the database (no list in the cookie)
    return go("/resultat")


@router.get("/resultat", response_class=HTMLResponse)
def outcome(request: Request, family_id: LoggedInFamily, db: Db) -> Response:
    key = request.session.get("done")
    result = portal.confirmed_outcome(db, family_id, key) if isinstance(key, str) else None
    if result is None:
        return go("/reservations")
    rows = [
        {
            "child": o.child_name,
            "activity": o.activity_name,
            "day": o.line.day,
            "label": o.label,
            "status": o.status.value,
        }
        for o in result.outcomes
    ]
    kept = {OutcomeStatus.ACCEPTED, OutcomeStatus.WAITLISTED, OutcomeStatus.CANCELLED}
    return page(
        request,
        "resultat.html",
        {
            "title": "Résultat de vos demandes",
            "rows": rows,
            "totals": result.totals(),
            "recorded": any(o.status in kept for o in result.outcomes),
            "waitlisted": any(o.status is OutcomeStatus.WAITLISTED for o in result.outcomes),
        },
    )
