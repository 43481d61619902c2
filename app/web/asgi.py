"""The portal for a real town: ``uvicorn app.web.asgi:app --workers 4 --proxy-headers`` behind a reverse proxy with
TLS, every worker on the shared PostgreSQL server (``GUICHET_DB_URL``) and signing the sessions with the same key
(``GUICHET_PORTAL_SECRET``, 32 characters at least); ``GUICHET_PORTAL_URL`` is the public address written in the
reset links (``https://portail.ville.fr``). Cookies are Secure unless ``GUICHET_PORTAL_HTTP=1`` (a test on loopback)."""

from __future__ import annotations

import os

from ..bootstrap import open_database
from ..services.errors import ConfigurationError
from ..services.money.online_backends import PaymentGateway
from .app import create_app

SECRET_ENV, URL_ENV, HTTP_ENV = "GUICHET_PORTAL_SECRET", "GUICHET_PORTAL_URL", "GUICHET_PORTAL_HTTP"
TEST_PAYMENTS_ENV = "GUICHET_PAIEMENT_ESSAIS"
"""``1``: this portal takes payments in a test mode (PayFiP's T, test cards, no money) — for the DGFiP's validation
of a régie only, then removed: test cards would otherwise credit real wallets."""


def from_environment():
    secret = os.environ.get(SECRET_ENV, "")
    url = os.environ.get(URL_ENV, "").strip()
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"{URL_ENV} : l'adresse publique du portail (https://…), écrite dans les liens de "
                                 "mot de passe oublié.")  # fmt: skip
    if len(secret) < 32:
        raise ConfigurationError(
            f"{SECRET_ENV} doit contenir au moins 32 caractères (la même clé pour chaque processus)."
        )
    # the demonstration's payment site believes any notification: never on a real town's portal
    return create_app(open_database(None, create=False), secret_key=secret,
                      secure_cookies=os.environ.get(HTTP_ENV) != "1", public_url=url,
                      payments=PaymentGateway(url, allow_demo=False,
                                              allow_test=os.environ.get(TEST_PAYMENTS_ENV) == "1"))  # fmt: skip


app = from_environment() if os.environ.get(SECRET_ENV) else None
