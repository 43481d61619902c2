"""Password hashing (argon2id, salted) for agents and family portal accounts."""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


TEMPORARY_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
MIN_PASSWORD = 8
MAX_PASSWORD = 128


def temporary_password(length: int = 10) -> str:
    """A random temporary password without look-alike characters (0/O, 1/l/I), to be changed at first use."""
    return "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(length))


def check_new_password(password: str) -> str:
    """The password policy: 8 to 128 characters, no control character."""
    from .errors import ValidationError

    if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
        raise ValidationError(f"Le mot de passe doit compter de {MIN_PASSWORD} à {MAX_PASSWORD} caractères.")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise ValidationError("Le mot de passe contient un caractère de contrôle.")
    return password
