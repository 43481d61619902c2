"""The passwords: choosing one (forced after a temporary password, or by choice), « mot de passe oublié » and the
reset link's page. Only the first needs a logged-in family."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.background import BackgroundTask

from ...services.errors import DomainError
from ...services.families import portal
from ..dependencies import CheckedForm, SignedInFamily
from ..rendering import go, page, say
from ..security import Limits
from ..session import client_address, sign_in
from ..state import Db, Portal

router = APIRouter()


@router.get("/mot-de-passe", response_class=HTMLResponse)
def password_page(request: Request, _family_id: SignedInFamily) -> Response:
    return page(
        request,
        "mot_de_passe.html",
        {"title": "Choisir un mot de passe", "forced": bool(request.session.get("must_change"))},
    )


@router.post("/mot-de-passe")
def password_post(request: Request, family_id: SignedInFamily, form: CheckedForm, db: Db) -> Response:
    new, again = form.get("nouveau", ""), form.get("confirmation", "")
    forced = bool(request.session.get("must_change"))
    if new != again:
        return page(
            request,
            "mot_de_passe.html",
            {
                "title": "Choisir un mot de passe",
                "forced": forced,
                "error": "Les deux mots de passe ne sont pas identiques.",
            },
            status=400,
        )
    try:
        session = portal.change_family_password(db, family_id, form.get("actuel", ""), new)
    except DomainError as exc:
        return page(
            request,
            "mot_de_passe.html",
            {"title": "Choisir un mot de passe", "forced": forced, "error": str(exc)},
            status=400,
        )
    sign_in(request, session)  # this session goes on with the new password; the others end
    say(request, "Votre mot de passe est enregistré.", "ok")
    return go("/")


@router.get("/mot-de-passe-oublie", response_class=HTMLResponse)
def forgot_page(request: Request) -> Response:
    return page(request, "oublie.html", {"title": "Mot de passe oublié"})


@router.post("/mot-de-passe-oublie")
def forgot_post(request: Request, form: CheckedForm, state: Portal) -> Response:
    limit, window = Limits.window(state.limits.reset_per_address)
    if not portal.allow_attempt(state.db, "reset", client_address(request), limit, window):
        return page(
            request,
            "oublie.html",
            {
                "title": "Mot de passe oublié",
                "error": "Trop de demandes depuis cette connexion : réessayez plus tard.",
            },
            status=429,
        )
    base = state.public_url.rstrip("/")
    answer = page(request, "oublie.html", {"title": "Mot de passe oublié", "sent": True})
    # the lookup and the e-mail are written once the answer has left: its time tells nothing of the accounts
    answer.background = BackgroundTask(
        portal.request_reset,
        state.db,
        form.get("identifiant", "")[:200],
        f"{base}/nouveau-mot-de-passe?jeton=",
        state.limits.reset_per_day,
    )
    return answer


def link_token(value: object) -> str:
    """A reset link's token as the service may read it; "" for anything no link of ours carries."""
    return value if isinstance(value, str) and portal.is_token(value) else ""


@router.get("/nouveau-mot-de-passe", response_class=HTMLResponse)
def reset_page(request: Request, db: Db, jeton: str = "") -> Response:
    token = link_token(jeton)
    valid = bool(token) and portal.reset_link_valid(db, token)
    return page(
        request,
        "nouveau.html",
        {"title": "Nouveau mot de passe", "token": token, "valid": valid},
        status=200 if valid else 410,
    )


@router.post("/nouveau-mot-de-passe")
def reset_post(request: Request, form: CheckedForm, db: Db) -> Response:
    token = link_token(form.get("jeton"))
    if not token:
        return page(
            request,
            "nouveau.html",
            {"title": "Nouveau mot de passe", "token": "", "valid": False},
            status=410,
        )
    if form.get("nouveau", "") != form.get("confirmation", ""):
        return page(
            request,
            "nouveau.html",
            {
                "title": "Nouveau mot de passe",
                "token": token,
                "valid": True,
                "error": "Les deux mots de passe ne sont pas identiques.",
            },
            status=400,
        )
    try:
        session = portal.reset_password(db, token, form.get("nouveau", ""))
    except DomainError as exc:
        return page(
            request,
            "nouveau.html",
            {
                "title": "Nouveau mot de passe",
                "token": token,
                "valid": portal.reset_link_valid(db, token),
                "error": str(exc),
            },
            status=400,
        )
    sign_in(request, session)
    say(request, "Votre nouveau mot de passe est enregistré : vous êtes connecté.", "ok")
    return go("/")
