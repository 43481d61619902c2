"""The portal's protections that are the web's own: the CSRF token of every form, the attempts allowed per client
address (counted in the database by ``services.families.portal.allow_attempt``, so that they hold across every
worker), the request body's limit and the headers every answer carries — error pages included."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import timedelta

CSRF_FIELD = "csrf"
MAX_BODY = 64 * 1024
"""The largest request body the portal reads (its forms are a few hundred bytes); a larger one answers 413 before it
is read. The reverse proxy's ``client_max_body_size 64k`` matches it (README)."""
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a reset link's token never leaves in a Referer
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
}


def csrf_token(session: dict) -> str:
    """The session's token (made once): every form carries it, every POST is refused without it."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def csrf_ok(session: dict, sent: object) -> bool:
    expected = session.get(CSRF_FIELD)
    return isinstance(expected, str) and isinstance(sent, str) and secrets.compare_digest(expected, sent)


@dataclass(frozen=True)
class Limits:
    """What one client address may try, as (attempts, seconds): failed logins, « mot de passe oublié » requests; and
    the reset e-mails one account receives a day (``portal.RESET_PER_ACCOUNT`` by default). The account lockout (5
    failures in a row, any address) is the service's."""

    login_per_address: tuple[int, int] = (10, 300)
    reset_per_address: tuple[int, int] = (5, 900)
    reset_per_day: int = 3
    """Reset e-mails one account receives in 24 hours."""

    @classmethod
    def relaxed(cls) -> Limits:
        """For tests that log in and reset many times from one address."""
        return cls((1000, 60), (1000, 60), 1000)

    @staticmethod
    def window(pair: tuple[int, int]) -> tuple[int, timedelta]:
        return pair[0], timedelta(seconds=pair[1])


def address_key(host: str) -> str:
    """The address the limits count for: an IPv4 address, or an IPv6 address's /64 — one subscriber's, who would
    otherwise have 2^64 addresses to try from."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
