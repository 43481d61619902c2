"""Where the counter's data lives: a local SQLite file or a shared PostgreSQL server (no Qt here).

The server password is kept in the operating system's keyring, never in a file; when the system has no keyring
backend, the application asks for it at start and keeps it in memory only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import URL

from . import keyring_store
from .services.errors import ConfigurationError

KEYRING_SERVICE = "guichet-enfance-db"
SSL_MODES = ("disable", "prefer", "require", "verify-ca", "verify-full")
"""libpq's ``sslmode``: ``verify-ca`` and ``verify-full`` check the server's certificate against the certificate of
its authority (``sslrootcert``, by default libpq's own file: ``db.default_root_cert``); ``verify-full`` also
checks the server's name."""


class NoKeyring(ConfigurationError):
    def __init__(self) -> None:
        super().__init__(
            "Aucun trousseau de mots de passe n'est disponible sur ce poste : le mot de passe du serveur sera "
            "demandé à chaque démarrage et ne sera enregistré nulle part."
        )


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int = 5432
    database: str = "guichet"
    user: str = "guichet"
    sslmode: str = "prefer"
    sslrootcert: str = ""
    """The server's certificate authority (a ``.crt`` file; ``system``: the system's authorities, libpq 16);
    empty: libpq's default file (``%APPDATA%\\postgresql\\root.crt`` on Windows)."""

    @property
    def account(self) -> str:
        """The keyring entry's name for this server and user."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def url(self, password: str | None) -> URL:
        return URL.create(
            "postgresql+psycopg",
            username=self.user or None,
            password=password or None,
            host=self.host,
            port=self.port,
            database=self.database,
            query={
                "sslmode": self.sslmode,
                **({"sslrootcert": self.sslrootcert} if self.sslrootcert else {}),
            },
        )

    def validate(self) -> None:
        from .services.families.edit import FieldErrors

        errors = {}
        if not self.host.strip():
            errors["host"] = "Le nom ou l'adresse du serveur est obligatoire."
        if not 0 < self.port < 65536:
            errors["port"] = f"Port invalide : {self.port}."
        if not self.database.strip():
            errors["database"] = "Le nom de la base est obligatoire."
        if self.sslmode not in SSL_MODES:
            errors["sslmode"] = f"Mode SSL inconnu : {self.sslmode}."
        else:
            from .db import missing_root_cert

            missing = missing_root_cert(self.sslmode, self.sslrootcert)
            if missing:
                errors["sslrootcert"] = missing
        if errors:
            raise FieldErrors(errors)


def keyring_available() -> bool:
    """A keyring that keeps secrets safely (not a plain file): see ``keyring_store``."""
    return keyring_store.available()


def save_password(server: ServerSettings, password: str) -> None:
    if not keyring_available():
        raise NoKeyring()
    keyring_store.put(server.account, password, KEYRING_SERVICE)


def load_password(server: ServerSettings) -> str | None:
    """The stored password, or None when none is stored; NoKeyring when the system has no safe keyring."""
    if not keyring_available():
        raise NoKeyring()
    return keyring_store.get(server.account, KEYRING_SERVICE)


@dataclass(frozen=True)
class ConnectionReport:
    ok: bool
    message: str
    schema_behind: bool = False


def check_connection(url: URL | str) -> ConnectionReport:
    """Connect once (within the connection timeout) and say, in French, what was found."""
    from .db import current_revision, describe, head_revision, make_engine, ping
    from .services.errors import DomainError

    try:
        engine = make_engine(url)
        try:
            ping(engine)
            current = current_revision(engine)
            version = ""
            if engine.dialect.name == "postgresql":
                with engine.connect() as conn:
                    version = " (" + conn.exec_driver_sql("SHOW server_version").scalar_one().split()[0] + ")"
        finally:
            engine.dispose()
    except DomainError as exc:
        return ConnectionReport(False, str(exc))
    where = describe(engine.url) + version
    if current == head_revision():
        return ConnectionReport(True, f"Connexion réussie : {where}, base à jour.")
    if current is None:
        return ConnectionReport(True, f"Connexion réussie : {where}, base vide (à initialiser).", True)
    return ConnectionReport(
        True, f"Connexion réussie : {where}, base à mettre à jour (version {current}).", True
    )
