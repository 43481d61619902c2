"""How a page is answered: the French templates (and their filters), the menu, a redirection, the message shown on
the next page."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ..clock import PARIS
from ..services.money.amounts import format_eur
from .security import CSRF_FIELD, csrf_token
from .state import state_of

HERE = Path(__file__).resolve().parent
NAV = [
    ("/", "Accueil"),
    ("/soldes", "Soldes et paiements"),
    ("/reserver", "Réserver"),
    ("/reservations", "Mes réservations"),
    ("/compte", "Mon compte"),
]


def day_text(day: date, pattern: str = "EEEE d MMMM y") -> str:
    return format_date(day, pattern, locale="fr_FR")


def moment_text(at: datetime, pattern: str = "dd/MM/y HH:mm") -> str:
    """An instant as the family reads it: Paris time (« 26/11/2026 10:05 »)."""
    return format_datetime(at, pattern, tzinfo=PARIS, locale="fr_FR")


templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["eur"] = format_eur
templates.env.filters["jour"] = day_text
templates.env.filters["heure"] = moment_text


def page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    """``template`` with what every page shows: the session's CSRF token, the family's name and menu (once its
    session is checked), the message left by the previous request, the time of the figures."""
    session: dict[str, Any] = request.scope.get(
        "session", {}
    )  # none on a failure's page (outside the session)
    flash = session.pop("flash", None)
    base = {
        "request": request,
        "csrf": csrf_token(session),
        "family": getattr(request.state, "family", None),
        "nav": NAV,
        "path": request.url.path,
        "flash": flash,
        "csrf_field": CSRF_FIELD,
        "updated": moment_text(state_of(request).db.clock.now(), "dd/MM/y 'à' HH:mm"),
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status)


def go(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def say(request: Request, message: str, kind: str = "info") -> None:
    """``message`` shown on the next page (``kind``: info, ok, error)."""
    request.session["flash"] = {"text": message, "kind": kind}
