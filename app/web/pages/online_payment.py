"""The payment site's side of an online payment, open to anyone: its notification (server to server, no session,
no CSRF: the site is asked what became of the payment, the request is never believed), the family's return, and
the payment page the demonstration backend plays (no money moves; refused by a real town's portal)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from ...services.errors import DomainError
from ...services.families.view import family_summary
from ...services.money.online import (
    NotificationRefused,
    UnknownOnlinePayment,
    online_payment_state,
    settle_online_payment,
)
from ...services.money.online_backends import DEMO_PATH, NOTIFY_PATH, RETURN_PATH
from ..dependencies import CheckedForm, MaybeFamily
from ..forms import MAX_QUERY, SiteQuery
from ..rendering import go, page, say
from ..session import basket_of
from ..state import Portal, PortalState

router = APIRouter()


@router.api_route(NOTIFY_PATH + "{reference}", methods=["GET", "POST"])
def notification(reference: str, query: SiteQuery, state: Portal) -> Response:
    """The payment site's notification, server to server: settled after asking the site (a plain answer)."""
    try:
        payment = settle_online_payment(state.db, state.gateway, reference[:30], query[:MAX_QUERY])
    except UnknownOnlinePayment:
        return PlainTextResponse("paiement inconnu", status_code=404)
    except NotificationRefused as exc:
        return PlainTextResponse(str(exc), status_code=400)
    except DomainError as exc:  # the site cannot be asked now: the worker will
        return PlainTextResponse(str(exc), status_code=503)
    return PlainTextResponse(f"ok {payment.status.value}")


def settled(state: PortalState, reference: str, query: str) -> str:
    """The payment settled after asking the site: "", or what stopped it (``UnknownOnlinePayment`` raised: no
    payment has this reference)."""
    try:
        settle_online_payment(state.db, state.gateway, reference[:30], query[:MAX_QUERY])
    except UnknownOnlinePayment:
        raise
    except DomainError as exc:
        return str(exc)
    return ""


def unknown_payment(request: Request) -> Response:
    return page(
        request,
        "erreur.html",
        {"title": "Paiement inconnu", "message": "Ce paiement n'existe pas : rien n'a été enregistré."},
        status=404,
    )


@router.post(RETURN_PATH + "{reference}")
def back_posted(request: Request, reference: str, query: SiteQuery, state: Portal) -> Response:
    """The family back from the payment site by a POST: the payment settled (the site asked), then a redirection,
    so that the outcome's page is a plain GET."""
    try:
        settled(state, reference, query)
    except UnknownOnlinePayment:
        return unknown_payment(request)
    return RedirectResponse(request.url.path, status_code=303)


@router.get(RETURN_PATH + "{reference}")
def back(
    request: Request, reference: str, query: SiteQuery, state: Portal, family_id: MaybeFamily
) -> Response:
    """The family back from the payment site: the payment settled (the site asked), then its outcome shown to the
    family whose payment it is (a session ended meanwhile is asked to log in)."""
    try:
        problem = settled(state, reference, query)
    except UnknownOnlinePayment:
        return unknown_payment(request)
    payment = online_payment_state(state.db, family_id, reference[:30]) if family_id is not None else None
    if payment is None:
        return page(
            request,
            "erreur.html",
            {
                "title": "Retour du site de paiement",
                "message": (
                    "Votre paiement a bien été transmis. Connectez-vous pour le retrouver dans « Soldes et paiements »."
                ),
            },
        )
    balance = family_summary(state.db, payment.family_id).balance_cents
    return page(
        request,
        "paiement.html",
        {
            "title": "Votre paiement",
            "state": payment,
            "balance": balance,
            "problem": problem,
            "basket": bool(basket_of(request, payment.family_id).lines),
        },
    )


# --- the demonstration's payment site ---------------------------------------------------------------------------
@router.get(DEMO_PATH, response_class=HTMLResponse)
def demo_page(
    request: Request, state: Portal, transaction_id: str = "", amount: str = "", orderid: str = ""
) -> Response:
    if not state.gateway.allow_demo:
        return page(
            request,
            "erreur.html",
            {"title": "Page introuvable", "message": "Cette page n'existe pas."},
            status=404,
        )
    return page(
        request,
        "paiement_demo.html",
        {
            "title": "Site de paiement de démonstration",
            "transaction_id": transaction_id[:100],
            "amount": amount[:20],
            "orderid": orderid[:30],
        },
    )


@router.post(DEMO_PATH)
def demo_pay(request: Request, form: CheckedForm, state: Portal) -> Response:
    if not state.gateway.allow_demo:
        return PlainTextResponse("introuvable", status_code=404)
    reference = form.get("orderid", "")[:30]
    answer = {
        "transaction_id": form.get("transaction_id", ""),
        "amount": form.get("amount", ""),
        "orderid": reference,
        "signed": "1",
    }
    choice = form.get("choix", "")
    if choice == "payer":
        answer["ok"] = "1"
    elif choice == "abandonner":
        answer["abandon"] = "1"
    try:
        settle_online_payment(state.db, state.gateway, reference, urlencode(answer))
    except UnknownOnlinePayment:
        return page(
            request,
            "erreur.html",
            {"title": "Paiement inconnu", "message": "Ce paiement n'existe pas."},
            status=404,
        )
    except DomainError as exc:
        say(request, str(exc), "error")
    return go(f"{RETURN_PATH}{reference}")
