"""Engines, sessions and schema migrations (no engine is created at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from .config import DEFAULTS
from .files import network_location, private_database, private_dir
from .services.errors import (
    ConfigurationError,
    DatabaseMissing,
    DatabaseUnreachable,
    InvalidDatabaseUrl,
    NetworkDatabase,
    SchemaBehind,
    SchemaUnknown,
    cut,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
POOL_SIZE_ENV, MAX_OVERFLOW_ENV = "GUICHET_DB_POOL_SIZE", "GUICHET_DB_MAX_OVERFLOW"
PGBOUNCER_ENV = "GUICHET_DB_PGBOUNCER"
"""``1``: the PostgreSQL URL is a PgBouncer in transaction mode (the portal's workers only, never a counter): no
prepared statements, no session settings sent at connection (the server's role carries them, README)."""


@dataclass(frozen=True)
class PoolSettings:
    """A PostgreSQL engine's connections: ``size`` kept open, ``overflow`` more at a busy moment (closed when given
    back), so at most ``size + overflow`` per process; ``pgbouncer``: through PgBouncer in transaction mode."""

    size: int
    overflow: int
    pgbouncer: bool = False

    @property
    def most(self) -> int:
        return self.size + self.overflow


def pool_settings(
    size: int | None = None, overflow: int | None = None, environ: Mapping[str, str] | None = None
) -> PoolSettings:
    """The pool of this process: ``GUICHET_DB_POOL_SIZE`` and ``GUICHET_DB_MAX_OVERFLOW`` when set, else ``size`` and
    ``overflow`` (a portal worker's, ``app.web.asgi``), else a counter's (``DEFAULTS``); ``GUICHET_DB_PGBOUNCER=1``
    says the URL is a PgBouncer in transaction mode. A value that is not a whole number in range:
    ``ConfigurationError``."""
    env = os.environ if environ is None else environ

    def number(name: str, default: int, lowest: int) -> int:
        raw = env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = lowest - 1
        if not lowest <= value <= 1000:
            raise ConfigurationError(
                f"{name} : un nombre entier de {lowest} à 1000 (pas « {cut(raw, 20)} »)."
            )
        return value

    def default(key: str) -> int:
        value = DEFAULTS[key]
        assert isinstance(value, int), key
        return value

    return PoolSettings(
        number(POOL_SIZE_ENV, default("pg_pool_size") if size is None else size, 1),
        number(MAX_OVERFLOW_ENV, default("pg_max_overflow") if overflow is None else overflow, 0),
        env.get(PGBOUNCER_ENV, "").strip() == "1",
    )


def parse_url(url: str) -> URL:
    """Parse and normalise a database URL; PostgreSQL always goes through psycopg 3."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise InvalidDatabaseUrl(url, "format non reconnu") from exc
    backend = parsed.get_backend_name()
    if backend == "postgres":
        parsed = parsed.set(drivername="postgresql+psycopg")
        backend = "postgresql"
    if backend not in SUPPORTED_BACKENDS:
        raise InvalidDatabaseUrl(url, "seuls sqlite:/// et postgresql+psycopg:// sont pris en charge")
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and parsed.database in (None, ""):
        raise InvalidDatabaseUrl(url, "chemin du fichier SQLite manquant")
    if backend == "postgresql" and not parsed.host and not parsed.query.get("host"):
        parsed = parsed.set(host="127.0.0.1")
    return parsed


VERIFYING_SSL_MODES = ("verify-ca", "verify-full")


def default_root_cert() -> Path:
    """libpq's certificate authority file when ``sslrootcert`` is not given: ``%APPDATA%\\postgresql\\root.crt``
    on Windows, ``~/.postgresql/root.crt`` elsewhere."""
    if os.name == "nt":
        return Path(os.environ.get("APPDATA", "")) / "postgresql" / "root.crt"
    return Path(os.path.expanduser("~")) / ".postgresql" / "root.crt"


def missing_root_cert(sslmode: str | None, sslrootcert: str | None) -> str | None:
    """In French, why the server's certificate cannot be checked (the authority's file is missing) with a
    ``verify-ca`` / ``verify-full`` mode; None when it can (or is not checked). ``system``: the system's
    authorities (libpq 16), no file; without ``sslrootcert``, ``PGSSLROOTCERT`` or libpq's default file."""
    sslrootcert = sslrootcert or os.environ.get("PGSSLROOTCERT", "").strip() or None  # libpq reads it too
    if sslmode not in VERIFYING_SSL_MODES or sslrootcert == "system":
        return None
    path = Path(sslrootcert).expanduser() if sslrootcert else default_root_cert()
    if path.is_file():
        return None
    given = "" if sslrootcert else " (le fichier par défaut de PostgreSQL)"
    return (
        f"Mode SSL {sslmode} : certificat de l'autorité du serveur introuvable : {path}{given}. Indiquez le "
        "fichier .crt remis par l'informaticien de la mairie dans « Certificat du serveur (CA) » des paramètres "
        "de connexion, ou choisissez le mode require."
    )


def describe(url: URL) -> str:
    """A short, password-free description of where the data is, for messages."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite « {cut(url.database or '')} »"
    return f"PostgreSQL « {cut(url.database or '')} » sur {cut(str(url.host), 80)}:{url.port or 5432}"


def make_engine(
    url: str | URL, *, echo: bool = False, create: bool = True, pool: PoolSettings | None = None
) -> Engine:
    """An engine for the URL (nothing is connected yet). A local SQLite file that does not exist is created only
    with ``create`` (the commands that read or repair an existing base never create one: ``DatabaseMissing``); one
    on a network share, a mapped network drive or in OneDrive is refused (``NetworkDatabase``). On PostgreSQL,
    ``pool`` sizes the connections (default: ``pool_settings()``, a counter's unless the environment says)."""
    parsed = parse_url(url) if isinstance(url, str) else url
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        db = parsed.database or ""
        if db != ":memory:" and not db.startswith("file:"):
            where = network_location(db)
            if where:  # refused before anything is created or opened there
                raise NetworkDatabase(db, where)
            path = Path(db).expanduser()
            if not create and not path.is_file():
                raise DatabaseMissing(describe(parsed))
            try:
                if not path.parent.exists():
                    private_dir(path.parent)
            except OSError as exc:
                raise DatabaseUnreachable(describe(parsed), "dossier impossible à créer") from exc
        engine = create_engine(
            parsed,
            echo=echo,
            connect_args={"timeout": DEFAULTS["sqlite_busy_timeout_s"]},
        )
        _configure_sqlite(engine)
    else:
        query = parsed.query
        missing = missing_root_cert(_one(query.get("sslmode")), _one(query.get("sslrootcert")))
        if missing:  # said before libpq's own English message
            raise ConfigurationError(missing)
        # A counter that freezes must not hold the others: the server ends a session idle inside a transaction
        # after a few seconds (its locks go with it) and TCP keepalives detect a counter or a server gone away.
        options = (
            f"-c statement_timeout={DEFAULTS['pg_statement_timeout_ms']} "
            f"-c lock_timeout={DEFAULTS['pg_lock_timeout_ms']} "
            f"-c idle_in_transaction_session_timeout={DEFAULTS['pg_idle_in_transaction_ms']} "
            f"-c tcp_keepalives_idle={DEFAULTS['pg_keepalive_idle_s']} -c tcp_keepalives_interval=2 "
            "-c tcp_keepalives_count=3 -c TimeZone=UTC"
        )
        pool = pool or pool_settings()
        connect_args: dict[str, object] = {
            "connect_timeout": DEFAULTS["pg_connect_timeout_s"],
            "options": options,
            "application_name": "guichet-enfance",
            "keepalives": 1,
            "keepalives_idle": DEFAULTS["pg_keepalive_idle_s"],
            "keepalives_interval": 2,
            "keepalives_count": 3,
        }
        if pool.pgbouncer:
            # Transaction mode: each transaction may run on another server connection. psycopg's prepared
            # statements (prepared on one connection, used on another) are off; the settings above would be
            # refused or lost at PgBouncer: the services' role carries them on the server (README).
            del connect_args["options"]
            connect_args["prepare_threshold"] = None
        try:
            engine = create_engine(
                parsed,
                echo=echo,
                pool_pre_ping=True,
                pool_size=pool.size,
                max_overflow=pool.overflow,
                connect_args=connect_args,
            )
        except NoSuchModuleError as exc:  # pragma: no cover - psycopg is a dependency
            raise InvalidDatabaseUrl(str(url), "pilote PostgreSQL absent") from exc
    return engine


def _one(value: str | tuple[str, ...] | None) -> str | None:
    """A URL's query value (a key given twice holds a tuple: its last)."""
    return value[-1] if isinstance(value, tuple) else value


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, explicit transactions (BEGIN, or BEGIN IMMEDIATE for write units), and the file and
    its WAL/SHM companions readable by their owner only."""
    database = engine.url.database if engine.url.database not in (None, "", ":memory:") else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        if database:
            private_database(Path(database))

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        if conn.get_execution_options().get("sqlite_immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def write_bind(engine: Engine) -> Engine:
    """The engine to bind a writing unit of work to: on SQLite it takes the write lock at BEGIN."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_immediate=True)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def ping(engine: Engine) -> None:
    """Open one connection, or raise DatabaseUnreachable with a French reason."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:
        raise DatabaseUnreachable(describe(engine.url), _reason(exc)) from exc


def _reason(exc: DBAPIError) -> str:
    text = str(exc.orig or exc).strip().splitlines()[0] if (exc.orig or exc) else ""
    lowered = text.lower()
    if "does not exist" in lowered or "n'existe pas" in lowered:
        return "la base n'existe pas"
    if "password authentication failed" in lowered or "authentification" in lowered:
        return "identifiant ou mot de passe refusé"
    # libpq's own words are English, the system's part is in the PC's language (« Connexion refusée », « Aucune
    # connexion n'a pu être établie… » on a French Windows): the connection's failure is told by libpq's words.
    failed_to_connect = "connection to server" in lowered and "failed" in lowered
    if failed_to_connect or any(w in lowered for w in ("connection refused", "could not connect", "timeout")):
        return "serveur injoignable"
    if "unable to open database file" in lowered:
        return "fichier impossible à ouvrir"
    return text[:160]


# --- migrations -----------------------------------------------------------------------------------


SCHEMA_HEAD = "0013"
"""The newest migration; checked against the migration scripts by a test, so that starting the application
does not need to load Alembic (it is imported only to migrate)."""


def alembic_config(engine: Engine | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    return SCHEMA_HEAD


def script_heads() -> list[str]:
    """The heads of the migration scripts themselves (loads Alembic)."""
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revision(engine: Engine) -> str | None:
    """The schema version recorded in the database (None when it was never migrated)."""
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as exc:
        raise DatabaseUnreachable(describe(engine.url), _reason(exc)) from exc


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
    return not names


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    try:
        command.upgrade(alembic_config(engine), revision)
    except DBAPIError as exc:
        raise DatabaseUnreachable(describe(engine.url), _reason(exc)) from exc


def check_schema(engine: Engine) -> None:
    """Raise SchemaBehind / SchemaUnknown unless the database is exactly at head."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    from alembic.script import ScriptDirectory

    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        raise SchemaUnknown(current)
    raise SchemaBehind(current, head)


# --- what Alembic compares ---------------------------------------------------------------------------------


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """The shared server's own security tables (``guichet_*``, ``pg_security``) are not the models'."""
    return not (type_ == "table" and (name or "").startswith("guichet_"))
