"""Opening the database for a command: URL choice, connection check, schema check (and first run)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from .clock import Clock, SystemClock, local_today
from .config import DatabaseChoice, choose_database
from .db import (
    PoolSettings,
    check_schema,
    current_revision,
    head_revision,
    is_empty,
    make_engine,
    ping,
    upgrade,
)
from .files import database_privacy, owner_only_folder
from .services.uow import Database

log = logging.getLogger(__name__)


def open_database(
    cli_url: str | None = None,
    *,
    clock: Clock | None = None,
    first_run_demo: bool = False,
    demo_today: date | None = None,
    saved_url: str | None = None,
    create: bool = True,
    pool: PoolSettings | None = None,
    warn: Callable[[str], None] | None = None,
) -> Database:
    """Connect and make sure the schema is at head.

    A SQLite file is migrated automatically (it belongs to this counter); a shared PostgreSQL server is only
    migrated by ``python -m app migrate``. With ``first_run_demo``, the default local database is filled with
    the demonstration data the first time, so that a newcomer sees something real. Without ``create``, a local
    file that does not exist is not created (``DatabaseMissing``): commands that read or repair a base. ``pool``:
    the PostgreSQL connections of this process (``db.pool_settings``; a counter's by default).

    A local database's folder made by this program is its user's only (0700; on Windows an ACL,
    ``files.owner_only_folder``), and a database file other accounts of the computer can read is said once in the
    program's life: logged, and given to ``warn`` (by default written on the standard error, as from the command
    line; the counter shows it in its login window).
    """
    choice = choose_database(cli_url)
    if saved_url is not None and choice.is_default_local:  # no --db and no environment variable: the settings
        choice = DatabaseChoice(saved_url, saved_url == choice.url)
    database = _local_file(choice.url)
    new_folder = database is not None and not database.parent.exists()
    engine = make_engine(choice.url, create=create, pool=pool)
    if database is not None and new_folder and database.parent.is_dir() and sys.platform == "win32":
        owner_only_folder(database.parent)  # before the file is created in it: it inherits these rights
    ping(engine)
    if database is not None:
        _say_privacy(database, warn)
    clock = clock or SystemClock()
    if engine.dialect.name == "sqlite" and current_revision(engine) != head_revision():
        fresh = is_empty(engine)
        log.info("migrating local database %s", engine.url.database)
        upgrade(engine)
        if fresh and first_run_demo and choice.is_default_local:
            from .services.demo import load_demo

            log.info("first run: loading demonstration data")
            load_demo(Database(engine, clock), demo_today or local_today(clock))
    check_schema(engine)
    return Database(engine, clock)


WARNED: set[str] = set()
"""The database files whose privacy warning was already given in this program."""


def _local_file(url: str) -> Path | None:
    """The local SQLite file of a URL (None: a server, an in-memory base)."""
    from .db import parse_url

    parsed = parse_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name).expanduser().absolute()


def _say_privacy(database: Path, warn: Callable[[str], None] | None) -> None:
    if str(database) in WARNED:
        return
    warning = database_privacy(database)
    if warning is None:
        return
    WARNED.add(str(database))
    log.warning("%s", warning)
    if warn is not None:
        warn(warning)
    else:
        print(warning, file=sys.stderr, flush=True)


def saved_database_url(settings, ask_password: Callable[..., str | None] | None = None) -> str | None:
    """The URL the settings point at (None when no choice was ever made).

    For a server, the password comes from the keyring; without a keyring (or without a stored password),
    ``ask_password(account)`` is asked and the answer is kept in memory only. A keyring that cannot be read (the
    Windows credential manager refusing, ``KeyringUnavailable``) is no stored password: the password is asked as
    ``ask_password(account, note)``, ``note`` saying in French why.
    """
    from .config import default_database_url
    from .connection import NoKeyring, load_password
    from .keyring_store import KeyringUnavailable

    if settings.mode == "local":
        path = settings.get("database/path")
        return f"sqlite:///{path}" if path else default_database_url()
    if settings.mode != "server":
        return None
    server = settings.server()
    note = None
    try:
        password = load_password(server)
    except NoKeyring:
        password = None
    except KeyringUnavailable as exc:
        log.warning("trousseau illisible, mot de passe du serveur demandé : %s", exc)
        password, note = None, keyring_unreadable(exc)
    if password is None and ask_password is not None:
        password = ask_password(server.account, note) if note else ask_password(server.account)
    return server.url(password).render_as_string(hide_password=False)


def keyring_unreadable(exc: BaseException) -> str:
    """What the password question says when the keyring could not be read."""
    kind = type(exc.__cause__ or exc).__name__
    return (
        f"Le trousseau de mots de passe de ce poste n'a pas pu être lu ({kind}) : tapez le mot de passe du "
        "serveur, il est gardé pour cette session seulement."
    )


def migrate_shared_server(engine, login: str, password: str) -> None:
    """Bring a shared server's schema to head once a supervisor has confirmed with their own credentials.

    A server whose schema has no agents yet (a brand-new database) is initialised on the confirmation alone.
    """
    from sqlalchemy import select
    from sqlalchemy.exc import DBAPIError

    from .models import Agent, Role
    from .services.errors import DatabaseRefused, PermissionDenied
    from .services.security import verify_password

    if current_revision(engine) is not None:
        try:
            with engine.connect() as conn:
                row = conn.execute(
                    select(Agent.password_hash, Agent.role, Agent.active).where(Agent.login == login.strip())
                ).first()
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != "42501":
                raise
            # the counters' login of a shared server reads no password and changes no schema
            raise DatabaseRefused(
                "l'identifiant de connexion des guichets ne met pas la base à jour ; l'informaticien de la mairie "
                "lance « python -m app migrate » avec le compte propriétaire de la base."
            ) from exc
        if row is None or not row.active or row.role not in (Role.SUPERVISOR, Role.ADMIN):
            raise PermissionDenied("mettre à jour la base du serveur (identifiant de superviseur requis)")
        if not verify_password(row.password_hash, password):
            raise PermissionDenied("mettre à jour la base du serveur (mot de passe incorrect)")
    upgrade(engine)
    if engine.dialect.name == "postgresql":
        from .pg_security import grant_again_if_set_up

        grant_again_if_set_up(engine)  # the new tables' rights for the counters' and services' roles
