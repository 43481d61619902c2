"""The portal's code in order: every page is a module-level route of its own page group, no file of app/web is a
long read, and the two checks every page needs — the family logged in, the form's anti-forgery token — are FastAPI
dependencies that each route declares, never written again by hand in a route.

The first, second and fourth tests read the source (``ast``); the third builds the portal and reads what FastAPI
resolves before each route runs (its dependant tree)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount

from app.services.money.online_backends import DEMO_PATH, NOTIFY_PATH, RETURN_PATH
from app.web.app import create_app
from app.web.security import Limits

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "app" / "web"
MAX_LINES = 400

ROUTE_DECORATORS = {
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "api_route",
    "route",
    "websocket",
}
"""A decorator ``<router or app>.<one of these>(...)`` declares a route."""
HANDLER_DECORATORS = ROUTE_DECORATORS | {"exception_handler", "middleware"}
REGISTERING_CALLS = {"add_api_route", "add_route", "add_api_websocket_route", "add_websocket_route"}

PUBLIC = {
    ("GET", "/connexion"),
    ("POST", "/connexion"),
    ("POST", "/deconnexion"),  # a family forced to change its password may still leave
    ("GET", "/mot-de-passe-oublie"),
    ("POST", "/mot-de-passe-oublie"),
    ("GET", "/nouveau-mot-de-passe"),
    ("POST", "/nouveau-mot-de-passe"),
    ("GET", "/licence"),
    ("GET", "/licence/sources.tar.gz"),
    ("GET", "/etats.css"),
    ("GET", NOTIFY_PATH + "{reference}"),  # the payment site, server to server
    ("POST", NOTIFY_PATH + "{reference}"),
    ("GET", RETURN_PATH + "{reference}"),  # the family back from the payment site, its session maybe gone
    ("POST", RETURN_PATH + "{reference}"),
    ("GET", DEMO_PATH),  # the demonstration's payment site
    ("POST", DEMO_PATH),
}
"""Routes open without a logged-in family."""
PASSWORD_CHANGE = {("GET", "/mot-de-passe"), ("POST", "/mot-de-passe")}
"""Logged in, but open before the forced password change too."""
NO_CSRF = {("POST", NOTIFY_PATH + "{reference}"), ("POST", RETURN_PATH + "{reference}")}
"""POSTs sent by the payment site, not by a form of the portal: they carry no session's token (and are believed
only once the site is asked)."""

CHECKS_BY_HAND = {"csrf_ok", "portal_session", "session_family", "signed_in_family", "logged_in_family"}
"""The CSRF comparison, the session's lookup and the dependencies themselves: a route module calls none of them."""


def _sources() -> list[Path]:
    return sorted(p for p in WEB.rglob("*.py") if "__pycache__" not in p.parts)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _decorator_name(decorator: ast.expr) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return target.attr if isinstance(target, ast.Attribute) else ""


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _is_route_module(tree: ast.Module) -> bool:
    return any(_decorator_name(d) in ROUTE_DECORATORS for f in _functions(tree) for d in f.decorator_list)


def test_no_route_handler_or_middleware_is_defined_inside_a_function():
    """Every route is a module-level function of its page group's router: it can be imported, read and tested
    alone. The error handlers and the middleware likewise."""
    offenders = []
    for path in _sources():
        for outer in _functions(_tree(path)):
            for node in ast.walk(outer):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')} in {outer.name}()"
                if node is not outer and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    offenders += [
                        f"{where}: @{_decorator_name(d)} {node.name}"
                        for d in node.decorator_list
                        if _decorator_name(d) in HANDLER_DECORATORS
                    ]
                elif isinstance(node, ast.Call) and _decorator_name(node) in REGISTERING_CALLS:
                    offenders.append(f"{where}: {_decorator_name(node)}(...)")
    assert offenders == []


def test_no_file_of_the_portal_is_over_400_lines():
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in sorted(WEB.rglob("*"))
        if path.is_file()
        and "__pycache__" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}


CSRF_CHECK = "app.web.dependencies.checked_form"
SIGNED_IN = "app.web.dependencies.signed_in_family"
LOGGED_IN = "app.web.dependencies.logged_in_family"
"""The dependencies, named (not imported: the test reads any portal, even one without them)."""


def _calls(dependant: Any) -> Iterator[str]:
    """Every dependency FastAPI resolves before the route runs, at any depth, as ``module.name``."""
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield f"{sub.call.__module__}.{getattr(sub.call, '__qualname__', '?')}"
        yield from _calls(sub)


def portal_routes(web: FastAPI) -> list[tuple[BaseRoute, str, Any]]:
    """Every route FastAPI serves, as (the route declared, its path, the dependant FastAPI resolves for it — None
    for a route that is not FastAPI's). Since FastAPI 0.137 an included router is one node of ``web.routes``
    (``iter_route_contexts`` flattens them); before, ``include_router`` copied its routes in."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return [(r, getattr(r, "path", ""), getattr(r, "dependant", None)) for r in web.routes]
    return [
        (c.original_route, c.path or "", c.dependant if isinstance(c.original_route, APIRoute) else None)
        for c in iter_route_contexts(web.routes)
    ]


def test_every_form_checks_its_token_and_every_page_its_family_through_dependencies(db):
    web = create_app(
        db, secret_key="x" * 40, public_url="https://portail.ville.example", limits=Limits.relaxed()
    )
    seen: set[tuple[str, str]] = set()
    missing: list[str] = []
    others = []
    for route, path, dependant in portal_routes(web):
        if not isinstance(route, APIRoute):
            if not (isinstance(route, Mount) and path == "/static"):
                others.append(repr(route))  # a route FastAPI does not resolve dependencies for
            continue
        calls = set(_calls(dependant))
        for method in sorted(route.methods):
            key = (method, path)
            seen.add(key)
            if method == "POST" and key not in NO_CSRF and CSRF_CHECK not in calls:
                missing.append(f"{method} {path}: no CSRF dependency")
            if key in PUBLIC:
                continue
            needed = SIGNED_IN if key in PASSWORD_CHANGE else LOGGED_IN
            if needed not in calls:
                missing.append(f"{method} {path}: no {needed} dependency")
    assert others == []
    assert missing == []
    assert seen >= PUBLIC | PASSWORD_CHANGE, "a route of the lists above is gone: the lists say what is open"
    assert {("GET", "/"), ("POST", "/confirmer"), ("POST", "/paiement")} <= seen - PUBLIC


def test_no_route_module_checks_the_token_or_the_session_by_hand():
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {name}()"
        for path in _sources()
        if _is_route_module(tree := _tree(path))
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (name := node.func.id if isinstance(node.func, ast.Name) else _decorator_name(node))
        in CHECKS_BY_HAND
    ]
    assert offenders == []
