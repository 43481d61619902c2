"""Every refusal and failure answered by a French page with the security headers: the exceptions the routes and
their dependencies raise, and the handlers ``create_app`` registers for them."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from .middleware import secure
from .rendering import go, page

log = logging.getLogger(__name__)


class GoTo(Exception):
    """Not a page for this session (not logged in, a password to change first): answered by a redirection."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class FormRefused(Exception):
    """A form without the session's CSRF token: answered 403, nothing done."""


class NotYours(Exception):
    """An id the session's family may not use: answered 404, as if it did not exist."""


def problem(request: Request, status: int, title: str, message: str) -> Response:
    return secure(page(request, "erreur.html", {"title": title, "message": message}, status=status))


async def go_to(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GoTo)
    return go(exc.url)


async def form_refused(request: Request, _exc: Exception) -> Response:
    return page(
        request,
        "erreur.html",
        {
            "title": "Formulaire expiré",
            "message": "Ce formulaire a expiré ou ne vient pas du portail : rechargez la page et recommencez.",
        },
        status=403,
    )


async def not_yours(request: Request, _exc: Exception) -> Response:
    return problem(request, 404, "Page introuvable", "Cette page n'existe pas ou ne vous concerne pas.")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return problem(request, 404, "Page introuvable", "Cette page n'existe pas ou ne vous concerne pas.")
    if exc.status_code == 405:
        return problem(
            request, 405, "Page introuvable", "Cette adresse ne s'ouvre pas ainsi : revenez à l'accueil."
        )
    return problem(request, exc.status_code, "Demande refusée", "Cette demande ne peut pas être traitée.")


async def invalid(request: Request, _exc: Exception) -> Response:
    return problem(request, 422, "Demande refusée", "Cette demande est incomplète ou mal formée.")


async def refused_by_rule(request: Request, exc: Exception) -> Response:
    return problem(request, 400, "Demande refusée", str(exc))


async def failure(request: Request, exc: Exception) -> Response:
    log.error("portal: %s %s failed", request.method, request.url.path, exc_info=exc)
    return problem(
        request,
        500,
        "Une erreur est survenue",
        (
            "Une erreur est survenue de notre côté : rien n'a été enregistré par cette demande. Réessayez dans "
            "un moment ; si elle revient, appelez le service enfance-jeunesse."
        ),
    )


def too_large(scope: Scope) -> Response:
    """``BodyLimit``'s answer, before the application reads the body."""
    return problem(
        Request(scope),
        413,
        "Demande trop volumineuse",
        "Cette demande est trop volumineuse pour le portail : revenez à la page et recommencez.",
    )
