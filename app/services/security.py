"""Password hashing (argon2id, salted) for agents and family portal accounts."""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


_dummy: list[str] = []


def _dummy_hash() -> str:
    """A hash of nothing anybody types, checked when there is no real hash: the same argon2 work either way."""
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_hex(16)))
    return _dummy[0]


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; without a stored hash, a dummy one is checked (and fails) in the same time."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and bool(stored_hash)
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
