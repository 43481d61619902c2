"""The portal's pages, one module per page group, each with its module-level ``router``; ``create_app`` includes
them all (``ROUTERS``)."""

from __future__ import annotations

from . import (
    account,
    balances,
    calendar,
    certificates,
    health,
    home,
    licence,
    login,
    online_payment,
    passwords,
    reservations,
    validation,
)

ROUTERS = (
    calendar.router,  # its colours (/etats.css) first, as every page asks for them
    login.router,
    passwords.router,
    home.router,
    licence.router,
    balances.router,
    online_payment.router,
    validation.router,
    reservations.router,
    account.router,
    health.router,
    certificates.router,
)
