"""How a page is answered: the French templates (and their filters), the menu, a redirection, the message shown on
the next page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ..text import format_eur, long_date, moment, plural, short_date
from .security import CSRF_FIELD, csrf_token
from .state import state_of

HERE = Path(__file__).resolve().parent
NAV = [
    ("/", "Accueil"),
    ("/soldes", "Soldes et paiements"),
    ("/reserver", "Réserver"),
    ("/reservations", "Mes réservations"),
    ("/attestations", "Mes attestations"),
    ("/compte", "Mon compte"),
]


def table_moment(at: datetime) -> str:
    """An instant in a table's column, as the family reads it: Paris time (« 26/11/2026 10:05 »)."""
    return moment(at, compact=True)


templates = Jinja2Templates(directory=HERE / "templates")
# The French formats of ``app.text``: « 13,00 € », « lundi 1er septembre 2026 », « 26/11/2026 » (an instant's day,
# in Paris time), « 26/11/2026 10:05 »; ``plural(n, "demande")`` for a counted noun.
templates.env.filters["eur"] = format_eur
templates.env.filters["jour"] = long_date
templates.env.filters["date"] = short_date
templates.env.filters["heure"] = table_moment
templates.env.globals["plural"] = plural


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
        "updated": moment(state_of(request).db.clock.now()),
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status)


def go(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def say(request: Request, message: str, kind: str = "info") -> None:
    """``message`` shown on the next page (``kind``: info, ok, error)."""
    request.session["flash"] = {"text": message, "kind": kind}
