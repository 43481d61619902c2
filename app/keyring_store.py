"""The one place that talks to the operating system's keyring (secrets never live in a file of ours).

A backend that keeps secrets in a plain file (keyrings.alt's PlaintextKeyring and its kind) or keeps nothing
(``fail``, ``null``, a backend of priority ≤ 0) is treated as no keyring: the application says so and asks for
the password at each start instead. The test suite, which needs a keyring on machines that have none, allows
the plain-file one with ``GUICHET_ALLOW_PLAINTEXT_KEYRING=1``. Any error a backend raises (``KeyringError``, or
e.g. ``pywintypes.error`` on Windows) becomes a French ``KeyringUnavailable``.
"""

from __future__ import annotations

import os
from typing import Any

from .services.errors import ConfigurationError

SERVICE = "guichet-enfance"
TEST_SWITCH = "GUICHET_ALLOW_PLAINTEXT_KEYRING"
UNSAFE_MODULES = (
    "keyrings.alt.file",
    "keyrings.alt.Gnome",
    "keyrings.alt.multi",
    "keyring.backends.null",
    "keyring.backends.fail",
)


class KeyringUnavailable(ConfigurationError):
    """No safe keyring on this computer (or it refused the operation)."""


def _backends(backend: Any) -> list[Any]:
    return list(getattr(backend, "backends", None) or [backend])  # a chainer holds several


def backend_is_safe(backend: Any) -> bool:
    if getattr(backend, "priority", 1) <= 0:
        return False
    allowed_plain = os.environ.get(TEST_SWITCH) == "1"
    for one in _backends(backend):
        module = type(one).__module__
        unsafe = module.startswith(UNSAFE_MODULES) or "Plaintext" in type(one).__name__
        if unsafe and not (allowed_plain and module.startswith("keyrings.alt.file")):
            return False
    return True


def available() -> bool:
    import keyring

    try:
        return backend_is_safe(keyring.get_keyring())
    except Exception:  # noqa: BLE001 - a broken backend is no keyring
        return False


def get(account: str, service: str = SERVICE) -> str | None:
    """The stored secret, None when there is none; ``KeyringUnavailable`` without a safe keyring."""
    import keyring

    if not available():
        raise KeyringUnavailable("Pas de trousseau de mots de passe sûr sur ce poste.")
    try:
        return keyring.get_password(service, account)
    except Exception as exc:  # noqa: BLE001 - KeyringError, pywintypes.error on Windows…
        raise KeyringUnavailable(
            f"Trousseau de mots de passe illisible ({type(exc).__name__}) : un mot de passe enregistré sous un autre "
            "compte de l'ordinateur n'est pas lisible par celui-ci ; enregistrez-le de nouveau avec ce compte."
        ) from exc


def put(account: str, secret: str, service: str = SERVICE) -> None:
    import keyring

    if not available():
        raise KeyringUnavailable("Pas de trousseau de mots de passe sûr sur ce poste.")
    try:
        keyring.set_password(service, account, secret)
    except Exception as exc:  # noqa: BLE001
        raise KeyringUnavailable(f"Le trousseau a refusé le mot de passe ({type(exc).__name__}).") from exc
