"""What the session's cookie holds besides its login: the family's name, the requests clicked and not yet
confirmed (the basket), the key that makes « Confirmer » sent twice confirm once."""

from __future__ import annotations

from datetime import date

from fastapi import Request

from ..services.actors import Actor
from ..services.booking.basket import Action, Basket, BasketLine
from ..services.families import portal
from ..services.uow import new_operation_key
from .security import address_key

MAX_BASKET = 60
"""Requests kept in the session's cookie at once (a cookie holds 4 kB)."""


def sign_in(request: Request, session: portal.FamilySession) -> None:
    """``session`` (a login, a new password) becomes the cookie's: nothing of the session before is kept."""
    request.session.clear()  # a new session: nothing of the anonymous one is kept (fixation)
    request.session.update(
        {"sid": session.token, "name": session.name, "must_change": session.must_change_password}
    )


def actor(request: Request, family_id: int) -> Actor:
    """The family as the author of what it writes (the audit's)."""
    return Actor.family(family_id, str(request.session.get("name", "")))


def client_address(request: Request) -> str:
    """The address the attempts are counted for (``security.address_key``)."""
    return address_key(request.client.host if request.client else "?")


def basket_of(request: Request, family_id: int) -> Basket:
    lines = []
    for item in request.session.get("basket", []):
        try:
            child, activity, day, action = item
            lines.append(BasketLine(int(child), int(activity), date.fromisoformat(day), Action(action)))
        except (TypeError, ValueError):
            continue
    return Basket(family_id, lines)


def keep(request: Request, basket: Basket) -> None:
    request.session["basket"] = [
        [ln.child_id, ln.activity_id, ln.day.isoformat(), ln.action.value] for ln in basket.lines[:MAX_BASKET]
    ]


def basket_changed(request: Request) -> None:
    request.session["op"] = new_operation_key()  # « Confirmer » sent twice confirms once
