"""Opening the counter's database behind the login window: on the worker thread (nothing here touches a widget),
the saved choice read, the database opened and at head, the counter screen's modules imported; and a failure to
open it said in French with the exit code the start ends with."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from ...config import choose_database

if TYPE_CHECKING:
    from ...services.uow import Database

log = logging.getLogger("app.ui.shell.startup")  # the start's log lines, under the start's name


def first_start(cli_url: str | None) -> bool:
    """No database given (``--db``, environment) and none chosen yet on this counter: the first-run question."""
    if not choose_database(cli_url).is_default_local:
        return False
    from ...settings import Settings

    return Settings().mode == ""


def failure_text(exc: BaseException) -> tuple[str, int]:
    """A failure to open the database in French (as the command line says it) and the exit code it ends with."""
    from sqlalchemy.exc import SQLAlchemyError

    from ...services.errors import DomainError

    if isinstance(exc, DomainError):
        return f"Erreur : {exc}", 2
    if isinstance(exc, SQLAlchemyError):
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        return f"Erreur de base de données : {detail}", 3
    from ..operations import log_path

    return (
        f"Erreur inattendue à l'ouverture de la base de données ; le détail est dans le journal : {log_path()}",
        1,
    )


def say_failure(exc: BaseException) -> tuple[str, int]:
    """``failure_text``, logged (a defect with its traceback) and said on the standard error in one line, as from
    the command line."""
    from ...services.errors import DomainError

    message, code = failure_text(exc)
    if code == 1:  # not a refusal nor the database's answer: a defect, with its traceback
        log.error("ouverture de la base de données", exc_info=exc)
    else:
        log.info("ouverture de la base de données : %s", message, exc_info=not isinstance(exc, DomainError))
    print(message, file=sys.stderr, flush=True)
    return message, code


def open_counter_database(
    cli_url: str | None, saved: str | None, ask: Any
) -> tuple[Database, str | None, tuple[str, ...]]:
    """The database this counter works on, open and at head, the URL read from the settings, and the warnings to
    show in the login window (a local database file other accounts of the computer can read).

    The saved choice is read when no URL is given (``ask(account[, note])`` asks a server's password missing from
    the keyring or that the keyring could not give, unless ``saved`` already holds it); ``SchemaBehind`` for a
    shared server not migrated yet."""
    from ...bootstrap import open_database, saved_database_url
    from ...services import auth  # noqa: F401 - imported here, not on the GUI thread when « Se connecter » runs
    from ...services.setup import install  # noqa: F401 - ``installed`` is asked next, on the GUI thread
    from ...settings import Settings
    from . import application  # noqa: F401 - Operations and the dialogs the GUI thread opens next

    settings = Settings()
    if saved is None and choose_database(cli_url).is_default_local:
        saved = saved_database_url(settings, ask)
    notes: list[str] = []
    db = open_database(cli_url, first_run_demo=settings.demo, saved_url=saved, warn=notes.append)
    return db, saved, tuple(notes)


def warm_up() -> None:
    """The counter screen's modules imported, and the models' mappings set up, while the agent types: the GUI thread
    then imports nothing, and the login's first query does not pay for SQLAlchemy's set-up of the mappings."""
    from ...models import configure
    from . import main_window  # noqa: F401

    configure()
