"""« Soldes et paiements »: the family's wallets with what the bookings in progress need, its payments and its
account's history; « Payer par carte » sends the family to the payment site."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...services.booking.basket import Recap
from ...services.booking.validation import recap
from ...services.errors import DomainError, FieldErrors
from ...services.families.view import family_summary
from ...services.money.online import (
    MAX_CENTS,
    MIN_CENTS,
    OnlineWallet,
    online_payments_of_family,
    online_wallets,
    start_online_payment,
    suggested_amounts,
)
from ...services.money.payments import ledger_rows, suggested_amount
from ...text import format_eur
from ..dependencies import CheckedForm, LoggedInFamily
from ..forms import int_param
from ..rendering import page
from ..session import actor, basket_of
from ..state import Portal, PortalState

router = APIRouter()


def pending_recap(request: Request, state: PortalState, family_id: int) -> Recap | None:
    """What the requests in the basket would cost (None: no request, or none the rules let through now)."""
    basket = basket_of(request, family_id)
    if not basket.lines:
        return None
    try:
        return recap(state.db, actor(request, family_id), basket)
    except DomainError:
        return None


def balances_page(
    request: Request,
    state: PortalState,
    family_id: int,
    *,
    error: str = "",
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    db = state.db
    pending = pending_recap(request, state, family_id)
    wallets = online_wallets(db, state.gateway, family_id)
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
    return page(
        request,
        "soldes.html",
        {
            "title": "Soldes et paiements",
            "summary": family_summary(db, family_id),
            "pending": pending,
            "forms": forms,
            "counter_only": [w for w in wallets if not w.structures],
            "online": online_payments_of_family(db, family_id)[:20],
            "history": ledger_rows(db, family_id, 100),
            "min": format_eur(MIN_CENTS),
            "max": format_eur(MAX_CENTS),
            "error": error,
        },
        status=status,
    )


@router.get("/soldes", response_class=HTMLResponse)
def balances(request: Request, family_id: LoggedInFamily, state: Portal) -> Response:
    return balances_page(request, state, family_id)


@router.post("/paiement")
def pay(request: Request, family_id: LoggedInFamily, form: CheckedForm, state: Portal) -> Response:
    wallets: dict[int, OnlineWallet] = {w.id: w for w in online_wallets(state.db, state.gateway, family_id)}
    wallet_id, structure_id = int_param(form.get("porte_monnaie")), int_param(form.get("structure"))
    typed = {str(wallet_id): form.get("montant", "")}
    try:  # the payment site is asked for its page (it may take seconds: this runs in a server's thread)
        start = start_online_payment(
            state.db,
            state.gateway,
            actor(request, family_id),
            structure_id or 0,
            wallet_id or 0,
            form.get("montant", ""),
        )
    except FieldErrors as exc:
        return balances_page(request, state, family_id, error=str(exc), typed=typed, status=400)
    except DomainError as exc:
        known = wallet_id in wallets
        return balances_page(
            request, state, family_id, error=str(exc), typed=typed if known else None, status=400
        )
    return RedirectResponse(start.url, status_code=303)
