"""« Connexion » and « Se déconnecter »: open to anyone. Failed logins are limited per client address in the
database (``security.Limits``), the account's lockout is the service's."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ...services.auth import LoginRefused
from ...services.bounds import BadArgument
from ...services.families import portal
from ..dependencies import CheckedForm
from ..rendering import go, page, say
from ..security import Limits
from ..session import client_address, sign_in
from ..state import Portal

router = APIRouter()


@router.get("/connexion", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    return page(request, "connexion.html", {"title": "Connexion", "login": ""})


@router.post("/connexion")
def login_post(request: Request, form: CheckedForm, state: Portal) -> Response:
    db = state.db
    limit, window = Limits.window(state.limits.login_per_address)
    login = form.get("identifiant", "").strip()[:64]
    if not portal.attempts_left(db, "login", client_address(request), limit, window):
        return page(
            request,
            "connexion.html",
            {
                "title": "Connexion",
                "login": login,
                "error": "Trop de tentatives depuis cette connexion : réessayez dans quelques minutes.",
            },
            status=429,
        )
    try:
        session = portal.family_login(db, form.get("identifiant", ""), form.get("mot_de_passe", ""))
    except (
        LoginRefused,
        portal.FamilyAccountLocked,
        BadArgument,
    ) as exc:  # BadArgument: a NUL, 5,000 characters
        # failures only: a family logging in does not use up its address's attempts
        portal.allow_attempt(db, "login", client_address(request), limit, window)
        said = exc if isinstance(exc, portal.FamilyAccountLocked) else LoginRefused()
        return page(
            request,
            "connexion.html",
            {"title": "Connexion", "login": login, "error": str(said)},
            status=401,
        )
    sign_in(request, session)
    return go("/mot-de-passe" if session.must_change_password else "/")


@router.post("/deconnexion")
def logout(request: Request, _form: CheckedForm, state: Portal) -> Response:
    """Open without a live session too (a family forced to change its password may leave; an ended session's
    cookie is emptied)."""
    token = request.session.get("sid")
    if isinstance(token, str):
        portal.end_session(state.db, token)  # on the server: a copy of the cookie opens nothing any more
    request.session.clear()
    say(request, "Vous êtes déconnecté.")
    return go("/connexion")
