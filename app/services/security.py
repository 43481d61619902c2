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


def argon2_prefix() -> str:
    """The parameters of this application's hashes, without salt (``$argon2id$v=19$m=…,t=…,p=…``)."""
    h = _hasher
    return f"$argon2id$v=19$m={h.memory_cost},t={h.time_cost},p={h.parallelism}"


def proof(prefix: str, password: str) -> str:
    """The argon2 hash of ``password`` with the parameters and salt of ``prefix`` (a stored hash without its last
    part): what a shared server compares with the hash it keeps, which never leaves it (``pg_security``). A prefix
    that is not argon2id gives a proof that matches nothing, after the same work."""
    import base64

    from argon2.low_level import Type, hash_secret

    parts = prefix.split("$")
    if len(parts) != 5 or parts[1] != "argon2id" or not parts[2].startswith("v="):
        parts = [*argon2_prefix().split("$"), "AAAAAAAAAAAAAAAAAAAAAA"]
    params = dict(item.split("=", 1) for item in parts[3].split(","))
    salt = base64.b64decode(parts[4] + "=" * (-len(parts[4]) % 4))
    return hash_secret(
        password.encode("utf-8"),
        salt,
        time_cost=int(params["t"]),
        memory_cost=int(params["m"]),
        parallelism=int(params["p"]),
        hash_len=_hasher.hash_len,
        type=Type.ID,
        version=int(parts[2][2:]),
    ).decode("ascii")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; without a stored hash, a dummy one is checked (and fails) in the same time."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False


TEMPORARY_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
AGENT_MIN = 12
"""The least length of an agent's (or an administrator's) password."""
FAMILY_MIN = 10
"""The least length of a family's portal password."""
MAX_PASSWORD = 128
STRENGTH = 3
"""zxcvbn's score a new password must reach (0 to 4; 3: about 10^8 guesses — not a common word, a keyboard row, a
date, a repeated or personal piece)."""


FRENCH_COMMON = (
    "motdepasse",
    "azerty",
    "azertyuiop",
    "soleil",
    "bonjour",
    "bonsoir",
    "doudou",
    "chouchou",
    "loulou",
    "coucou",
    "jetaime",
    "chocolat",
    "princesse",
    "camille",
    "nicolas",
    "julien",
    "marseille",
    "toulouse",
    "paris",
    "france",
    "mairie",
    "enfance",
    "jeunesse",
    "guichet",
    "loisirs",
    "centre",
    "ecole",
    "vacances",
    "famille",
    "maman",
    "papa",
    "bebe",
    "amour",
    "secret",
    "admin",
    "administrateur",
    "utilisateur",
    "agent",
    "regisseur",
    "portail",
    "montauban",
    "montech",
    "occitanie",
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
)
"""French words zxcvbn's English lists do not hold, counted as guessable as a personal piece."""


def temporary_password(length: int = 12) -> str:
    """A random temporary password without look-alike characters (0/O, 1/l/I), to be changed at first use."""
    return "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(length))


def _plain(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def check_new_password(password: str, *, minimum: int = AGENT_MIN, personal: tuple[str, ...] = ()) -> str:
    """The one password policy, for agents and families (docs/security.md): ``minimum`` characters at least (12 for
    agents, 10 for families), 128 at most, no control character, neither the identifier nor a name of ``personal``
    inside it, and not a common or guessable one (zxcvbn's score ≥ ``STRENGTH``). French ``ValidationError``."""
    from .errors import ValidationError

    if not minimum <= len(password or "") <= MAX_PASSWORD:
        raise ValidationError(f"Le mot de passe doit compter de {minimum} à {MAX_PASSWORD} caractères.")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise ValidationError("Le mot de passe contient un caractère de contrôle.")
    pieces = {_plain(word) for text in personal if text for word in [text, *text.replace("@", " ").split()]}
    if any(len(piece) >= 3 and piece in _plain(password) for piece in pieces):
        raise ValidationError("Le mot de passe ne doit contenir ni votre identifiant ni votre nom.")
    from zxcvbn import zxcvbn

    if zxcvbn(password[:72], user_inputs=[*FRENCH_COMMON, *(p for p in personal if p)])["score"] < STRENGTH:
        raise ValidationError(
            "Ce mot de passe est trop facile à deviner (mot courant, suite du clavier, date, répétition) : "
            "choisissez par exemple trois ou quatre mots sans rapport entre eux."
        )
    return password
