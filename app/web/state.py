"""What one portal serves with: its database, its public address, its limits and its payment sites. ``create_app``
keeps them on the application (``app.state.portal``); a route reads them through the ``Db`` and ``Portal``
dependencies, a helper through ``state_of(request)``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from ..services.money.online_backends import PaymentGateway
from ..services.uow import Database
from .security import Limits


@dataclass(frozen=True)
class PortalState:
    db: Database
    public_url: str
    """The portal's address, written in the reset links and given to the payment sites (never the request's
    Host header, which anyone sets)."""
    limits: Limits
    gateway: PaymentGateway


def state_of(request: Request) -> PortalState:
    """The portal this request came to (set by ``create_app``)."""
    state = request.app.state.portal
    assert isinstance(state, PortalState)
    return state


async def portal_state(request: Request) -> PortalState:
    return state_of(request)


async def database(request: Request) -> Database:
    return state_of(request).db


Portal = Annotated[PortalState, Depends(portal_state)]
Db = Annotated[Database, Depends(database)]
