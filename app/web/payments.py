"""The portal's « Soldes et paiements » and the online payment (DESIGN §2.9): the wallets with what the bookings in
progress need, « Payer par carte » (→ the payment site), the family's return, the site's notification (server to
server, no session, no CSRF: the site is asked what became of the payment, the request is never believed), and the
payment page the demonstration backend plays (no money moves; refused by a real town's portal)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from ..services.actors import Actor
from ..services.booking.basket import Basket, Recap
from ..services.booking.validation import recap
from ..services.errors import DomainError, FieldErrors
from ..services.families.view import family_summary
from ..services.money.amounts import format_eur
from ..services.money.online import (
    MAX_CENTS,
    MIN_CENTS,
    NotificationRefused,
    OnlineWallet,
    UnknownOnlinePayment,
    online_payment_state,
    online_payments_of_family,
    online_wallets,
    settle_online_payment,
    start_online_payment,
    suggested_amounts,
)
from ..services.money.online_backends import DEMO_PATH, NOTIFY_PATH, RETURN_PATH, PaymentGateway
from ..services.money.payments import ledger_rows, suggested_amount
from ..services.uow import Database
from .forms import MAX_QUERY, Fields, SiteQuery


@dataclass(frozen=True)
class PortalKit:
    """What the portal's pages share (``app.create_app``): the database, the page renderer and the session guards."""

    db: Database
    page: Callable[..., Response]
    guard: Callable[[Request], int]
    posted: Callable[[Request, dict[str, str]], dict[str, str]]
    """The form's fields (``forms.Fields``) once its CSRF token is checked."""
    go: Callable[[str], RedirectResponse]
    say: Callable[..., None]
    actor: Callable[[Request, int], Actor]
    basket_of: Callable[[Request, int], Basket]
    current: Callable[[Request], int | None]
    """The session's family while its session holds (else None): a revoked session shows nothing."""


def add_payment_routes(web: FastAPI, kit: PortalKit, gateway: PaymentGateway) -> None:
    db = kit.db

    def pending_recap(request: Request, fid: int) -> Recap | None:
        basket = kit.basket_of(request, fid)
        if not basket.lines:
            return None
        try:
            return recap(db, kit.actor(request, fid), basket)
        except DomainError:
            return None

    def balances_page(
        request: Request, fid: int, *, error: str = "", typed: dict[str, str] | None = None, status: int = 200
    ) -> Response:
        pending = pending_recap(request, fid)
        wallets = online_wallets(db, gateway, fid)
        suggested = suggested_amounts(pending, wallets)
        forms = [
            {
                "wallet": w,
                "amount": (typed or {}).get(str(w.id)) or suggested_amount(suggested.get(w.kind, 0)),
                "suggested": suggested.get(w.kind, 0),
            }
            for w in wallets
            if w.structures
        ]
        return kit.page(
            request,
            "soldes.html",
            {
                "title": "Soldes et paiements",
                "summary": family_summary(db, fid),
                "pending": pending,
                "forms": forms,
                "counter_only": [w for w in wallets if not w.structures],
                "online": online_payments_of_family(db, fid)[:20],
                "history": ledger_rows(db, fid, 100),
                "min": format_eur(MIN_CENTS),
                "max": format_eur(MAX_CENTS),
                "error": error,
            },
            status=status,
        )

    @web.get("/soldes", response_class=HTMLResponse)
    def balances(request: Request) -> Response:
        return balances_page(request, kit.guard(request))

    @web.post("/paiement")
    def pay(request: Request, fields: Fields) -> Response:
        fid = kit.guard(request)
        form = kit.posted(request, fields)
        wallets: dict[int, OnlineWallet] = {w.id: w for w in online_wallets(db, gateway, fid)}
        wallet_id, structure_id = _int(form.get("porte_monnaie")), _int(form.get("structure"))
        typed = {str(wallet_id): form.get("montant", "")}
        try:  # the payment site is asked for its page (it may take seconds: this runs in a server's thread)
            start = start_online_payment(
                db,
                gateway,
                kit.actor(request, fid),
                structure_id or 0,
                wallet_id or 0,
                form.get("montant", ""),
            )
        except FieldErrors as exc:
            return balances_page(request, fid, error=str(exc), typed=typed, status=400)
        except DomainError as exc:
            known = wallet_id in wallets
            return balances_page(request, fid, error=str(exc), typed=typed if known else None, status=400)
        return RedirectResponse(start.url, status_code=303)

    @web.api_route(NOTIFY_PATH + "{reference}", methods=["GET", "POST"])
    def notification(request: Request, reference: str, query: SiteQuery) -> Response:
        """The payment site's notification, server to server: settled after asking the site (a plain answer)."""
        try:
            state = settle_online_payment(db, gateway, reference[:30], query[:MAX_QUERY])
        except UnknownOnlinePayment:
            return PlainTextResponse("paiement inconnu", status_code=404)
        except NotificationRefused as exc:
            return PlainTextResponse(str(exc), status_code=400)
        except DomainError as exc:  # the site cannot be asked now: the worker will
            return PlainTextResponse(str(exc), status_code=503)
        return PlainTextResponse(f"ok {state.status.value}")

    @web.api_route(RETURN_PATH + "{reference}", methods=["GET", "POST"])
    def back(request: Request, reference: str, query: SiteQuery) -> Response:
        """The family back from the payment site: the payment settled (the site asked), then its outcome shown on a
        page of its own (a POST from the site is answered by a redirection, so that the page is a plain GET)."""
        problem = ""
        try:
            settle_online_payment(db, gateway, reference[:30], query[:MAX_QUERY])
        except UnknownOnlinePayment:
            return kit.page(
                request,
                "erreur.html",
                {
                    "title": "Paiement inconnu",
                    "message": ("Ce paiement n'existe pas : rien n'a été enregistré."),
                },
                status=404,
            )
        except DomainError as exc:
            problem = str(exc)
        if request.method == "POST":
            return RedirectResponse(request.url.path, status_code=303)
        fid = kit.current(request)
        state = online_payment_state(db, fid, reference[:30]) if fid is not None else None
        if state is None:
            return kit.page(
                request,
                "erreur.html",
                {
                    "title": "Retour du site de paiement",
                    "message": (
                        "Votre paiement a bien été transmis. Connectez-vous pour le retrouver dans « Soldes et paiements »."
                    ),
                },
            )
        balance = family_summary(db, state.family_id).balance_cents
        return kit.page(
            request,
            "paiement.html",
            {
                "title": "Votre paiement",
                "state": state,
                "balance": balance,
                "problem": problem,
                "basket": bool(kit.basket_of(request, state.family_id).lines),
            },
        )

    # --- the demonstration's payment site ---------------------------------------------------------------------
    @web.get(DEMO_PATH, response_class=HTMLResponse)
    def demo_page(
        request: Request, transaction_id: str = "", amount: str = "", orderid: str = ""
    ) -> Response:
        if not gateway.allow_demo:
            return kit.page(
                request,
                "erreur.html",
                {"title": "Page introuvable", "message": ("Cette page n'existe pas.")},
                status=404,
            )
        return kit.page(
            request,
            "paiement_demo.html",
            {
                "title": "Site de paiement de démonstration",
                "transaction_id": transaction_id[:100],
                "amount": amount[:20],
                "orderid": orderid[:30],
            },
        )

    @web.post(DEMO_PATH)
    def demo_pay(request: Request, fields: Fields) -> Response:
        form = kit.posted(request, fields)
        if not gateway.allow_demo:
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
        from urllib.parse import urlencode

        try:
            settle_online_payment(db, gateway, reference, urlencode(answer))
        except UnknownOnlinePayment:
            return kit.page(
                request,
                "erreur.html",
                {"title": "Paiement inconnu", "message": ("Ce paiement n'existe pas.")},
                status=404,
            )
        except DomainError as exc:
            kit.say(request, str(exc), "error")
        return kit.go(f"{RETURN_PATH}{reference}")


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None
