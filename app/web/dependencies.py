"""The checks every page needs, as FastAPI dependencies that a route declares in its signature and FastAPI runs
before it: the session's family (``MaybeFamily``, ``SignedInFamily``, ``LoggedInFamily``) and the form's
anti-forgery token (``CheckedForm``). A route never checks either by hand.

The session is a row of the database (``portal.portal_session``, looked up on every page: a logout, a new password
or a lockout ends it for every copy of the cookie); the lookup runs in the server's threads (a plain ``def``), the
rest reads only the request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..services.families import portal
from .errors import FormRefused, GoTo
from .forms import Fields
from .security import CSRF_FIELD, csrf_ok
from .state import Db


def session_family(request: Request, db: Db) -> int | None:
    """The session's family while its session holds on the server (not ended by a logout, a new password, a lockout
    or the counter, within its hours, the account open); else None and the cookie is emptied. ``must_change`` is
    read from the database, the family's name kept for the page's heading."""
    token = request.session.get("sid")
    if not isinstance(token, str):
        return None
    found = portal.portal_session(db, token)
    if found is None:
        request.session.clear()
        return None
    request.session["must_change"] = found.must_change_password
    request.state.family = found.name
    return found.family_id


MaybeFamily = Annotated[int | None, Depends(session_family)]
"""The session's family, or None: for a page anyone may open that says more to a logged-in family."""


async def signed_in_family(family_id: MaybeFamily) -> int:
    """The session's family, a password to change first or not; else the login page (303)."""
    if family_id is None:
        raise GoTo("/connexion")
    return family_id


SignedInFamily = Annotated[int, Depends(signed_in_family)]
"""Logged in: the password change (forced or not) asks no more."""


async def logged_in_family(request: Request, family_id: SignedInFamily) -> int:
    """The session's family; else where it must go first (303): the login, the forced password change."""
    if request.session.get("must_change"):
        raise GoTo("/mot-de-passe")
    return family_id


LoggedInFamily = Annotated[int, Depends(logged_in_family)]
"""Every family's page: logged in, its password its own."""


async def checked_form(request: Request, fields: Fields) -> dict[str, str]:
    """The form's fields (``forms.Fields``) when its CSRF token is the session's; else ``FormRefused`` (403,
    nothing done)."""
    if not csrf_ok(request.session, fields.get(CSRF_FIELD)):
        raise FormRefused()
    return fields


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]
"""Every POST of a portal's form: its fields, its token checked."""
