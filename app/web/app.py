"""The family portal: server-rendered French pages (FastAPI + Jinja2) over the same ``app.services`` and the same
database as the counters, so that the rules are one code path and both channels share the places.

Every page works without JavaScript. A family sees and changes only its own data: the session is a row of the
database (``portal.portal_session``, checked on every page by a dependency: a logout, a new password or a lockout
ends it for every copy of the cookie), and every child or activity id a request names is checked against what that
family may use (else 404). The cookie is signed, HttpOnly, SameSite=Lax (Secure behind TLS); no logged-in page may
be stored (``Cache-Control: no-store``); every form carries the session's CSRF token, checked by a dependency on
every POST; failed logins and « mot de passe oublié » are limited per address in the database
(``security.Limits``); a request body over ``MAX_BODY`` is refused unread; every error answers a French page with
the security headers. Each write goes through a service, audited with the family as author, and on PostgreSQL sends
the same NOTIFY as a counter's (``services.uow``).

The pages are in ``pages`` (one module per page group), the checks every page needs in ``dependencies``;
``create_app`` only puts them together."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.sessions import SessionMiddleware

from ..services.errors import DomainError
from ..services.money.online_backends import PaymentGateway
from ..services.uow import Database
from . import errors
from .middleware import BodyLimit, security_headers
from .pages import ROUTERS
from .rendering import HERE
from .security import Limits
from .state import PortalState

SESSION_HOURS = 4
"""The cookie's own life; the session itself ends on the server (``portal.SESSION_LENGTH``, the same 4 hours)."""


def create_app(
    db: Database,
    *,
    secret_key: str,
    public_url: str,
    secure_cookies: bool = False,
    limits: Limits | None = None,
    payments: PaymentGateway | None = None,
) -> FastAPI:
    """The portal on ``db``; ``secret_key`` signs the session cookies (the same for every worker), ``public_url``
    is the portal's address written in the reset links and given to the payment sites — never the request's Host
    header, which anyone sets. ``payments``: the payment sites (by default every backend, the demonstration's
    included; a real town's portal refuses the demonstration, ``app.web.asgi``)."""
    if not public_url.startswith(("http://", "https://")):
        raise ValueError("public_url: the portal's address, beginning with http:// or https://")
    web = FastAPI(title="Portail famille", docs_url=None, redoc_url=None, openapi_url=None)
    web.state.portal = PortalState(
        db=db,
        public_url=public_url,
        limits=limits or Limits(),
        gateway=payments or PaymentGateway(public_url),
    )
    # the first added is the innermost: the body's limit, then the headers, wrap the session
    web.add_middleware(
        SessionMiddleware,
        secret_key=secret_key,
        session_cookie="portail_famille",
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=secure_cookies,
    )
    web.add_middleware(BaseHTTPMiddleware, dispatch=security_headers)
    web.add_middleware(BodyLimit, refuse=errors.too_large)
    web.add_exception_handler(errors.GoTo, errors.go_to)
    web.add_exception_handler(errors.FormRefused, errors.form_refused)
    web.add_exception_handler(errors.NotYours, errors.not_yours)
    web.add_exception_handler(StarletteHTTPException, errors.http_error)
    web.add_exception_handler(RequestValidationError, errors.invalid)
    web.add_exception_handler(DomainError, errors.refused_by_rule)
    web.add_exception_handler(Exception, errors.failure)
    web.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in ROUTERS:
        web.include_router(router)
    return web
