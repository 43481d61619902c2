"""The portal for a real town: ``uvicorn app.web.asgi:app --workers 4 --proxy-headers`` behind a reverse proxy with
TLS, every worker on the shared PostgreSQL server (``GUICHET_DB_URL``) and signing the sessions with the same key
(``GUICHET_PORTAL_SECRET``, 32 characters at least); ``GUICHET_PORTAL_URL`` is the public address written in the
reset links (``https://portail.ville.fr``). Cookies are Secure unless ``GUICHET_PORTAL_HTTP=1`` (a test on loopback).
Each worker keeps ``portal_pool_size`` connections to PostgreSQL and opens up to ``portal_max_overflow`` more at a busy
moment (``config.DEFAULTS``: 5 + 3; ``GUICHET_DB_POOL_SIZE``/``GUICHET_DB_MAX_OVERFLOW`` change them,
``GUICHET_DB_PGBOUNCER=1`` behind PgBouncer in transaction mode: the README's "Connections to PostgreSQL").

``app`` is built from the environment when uvicorn asks for it, not when the module is imported: ``python -m app
portal`` imports this module for ``command_serving`` and serves the database and the address of its own options."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..services.errors import ConfigurationError
from ..services.setup.town_settings import web_address

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..db import PoolSettings

SECRET_ENV, URL_ENV, HTTP_ENV = "GUICHET_PORTAL_SECRET", "GUICHET_PORTAL_URL", "GUICHET_PORTAL_HTTP"
SECRET_MIN = 32
TEST_PAYMENTS_ENV = "GUICHET_PAIEMENT_ESSAIS"
"""``1``: this portal takes payments in a test mode (PayFiP's T, test cards, no money) — for the DGFiP's validation
of a régie only, then removed: test cards would otherwise credit real wallets."""


def _public_address(url: str, where: str) -> str:
    try:
        return web_address(url, f"{where} : l'adresse publique du portail")
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


def _secret(secret: str) -> str:
    if len(secret) < SECRET_MIN:
        raise ConfigurationError(
            f"{SECRET_ENV} doit contenir au moins {SECRET_MIN} caractères (la même clé pour chaque processus)."
        )
    return secret


def portal_pool() -> PoolSettings:
    """The connections of one worker of the portal: ``DEFAULTS``' portal pool unless the environment says."""
    from ..config import DEFAULTS
    from ..db import pool_settings

    size, overflow = DEFAULTS["portal_pool_size"], DEFAULTS["portal_max_overflow"]
    assert isinstance(size, int) and isinstance(overflow, int)
    return pool_settings(size, overflow)


def from_environment() -> FastAPI:
    from ..bootstrap import open_database
    from ..services.money.online_backends import PaymentGateway
    from .app import create_app

    raw = os.environ.get(URL_ENV, "").strip()
    if not raw:
        raise ConfigurationError(
            f"{URL_ENV} : l'adresse publique du portail (https://…), écrite dans les liens de "
            "mot de passe oublié."
        )
    url = _public_address(raw, URL_ENV)
    secret = _secret(os.environ.get(SECRET_ENV, ""))
    # the demonstration's payment site believes any notification: never on a real town's portal
    return create_app(
        open_database(None, create=False, pool=portal_pool()),
        secret_key=secret,
        secure_cookies=os.environ.get(HTTP_ENV) != "1",
        public_url=url,
        payments=PaymentGateway(url, allow_demo=False, allow_test=os.environ.get(TEST_PAYMENTS_ENV) == "1"),
    )


_built: dict[str, FastAPI] = {}


def __getattr__(name: str) -> Any:
    """``app``: the portal of the environment, built at uvicorn's first ask (once per process)."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if "app" not in _built:
        _built["app"] = from_environment()
    return _built["app"]


# --- python -m app portal ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Serving:
    """How ``python -m app portal`` serves: its public address, whether its cookies are Secure, and the warning
    to print when families would reach it over plain HTTP from another machine ("" when none)."""

    public_url: str
    secure_cookies: bool
    warning: str = ""


def is_loopback(host: str) -> bool:
    """This machine only: ``localhost`` or a loopback address (``127.0.0.1``, ``::1``); ``0.0.0.0`` is every
    network of the machine."""
    name = (host or "").strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def command_serving(host: str, port: int, url: str | None = None, secret: str | None = None) -> Serving:
    """The one-process portal's configuration: the public address is ``url`` (``--url``, the address the families
    type: written in the reset links, given to the payment site) or else ``http://<host>:<port>``. An https://
    address is served behind a proxy that terminates TLS: its cookies are Secure. A plain http:// address gets
    cookies without « Secure » (a browser would not send them back otherwise) — and, unless both the address and
    the listening host are this machine's, a warning: passwords would cross the network in clear.
    ``secret``: ``GUICHET_PORTAL_SECRET`` when set (checked as for ``app``)."""
    if secret is not None:
        _secret(secret)
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    public = _public_address(url, "--url") if url is not None else f"http://{shown}:{port}"
    if public.lower().startswith("https://"):
        return Serving(public, True)
    if is_loopback(host) and is_loopback(urlsplit(public).hostname or ""):
        return Serving(public, False)
    warning = (
        f"Attention : le portail famille est servi en HTTP simple (sans TLS) à l'adresse {public} : les mots de "
        "passe des familles passeraient en clair sur le réseau et les cookies de session ne sont pas « Secure ». "
        "Pour un vrai portail, placez-le derrière un proxy inverse avec TLS (nginx, Caddy ; voir le README) et "
        "donnez son adresse avec --url https://…"
    )
    return Serving(public, False, warning)
