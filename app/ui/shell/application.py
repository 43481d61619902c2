"""What comes before the main window: the first-run choice, the database settings, the migration of a shared
server, the set-up assistant and the login. ``startup`` shows the login window first and opens the database behind
it, then comes here; the first start of a counter, the self-test and the tests use ``start_database`` and ``run``.

Before the main window exists, an ``Operations`` of its own runs the service calls of these dialogs, the same way
the main window's does afterwards: the dialogs only collect values, the functions below run the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QWidget

from ...services.uow import Database
from ...text import count
from ..operations import Failure, Operations, succeeded
from .dialogs import login_dialog, settings_dialog, setup_wizard_for
from .qt_app import install_crash_handler, prepare_application

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ...services.counter import CounterSession
    from ...services.setup.install import InstallReport
    from ...settings import Settings
    from .main_window import MainWindow


def _warn(ops: Operations, title: str) -> Callable[[Failure], None]:
    """Show a failure in a message box (before the main window exists, nothing else is on screen); tests switch
    the boxes off with ``ops.show_messages`` and listen to ``ops.failed``."""
    from PySide6.QtWidgets import QMessageBox

    def warn(failure: Failure) -> None:
        if ops.show_messages:
            box = QMessageBox(QMessageBox.Icon.Warning, title, failure.message)
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.exec()

    return warn


# --- start-up ------------------------------------------------------------------------------------------------


def start_database(
    cli_url: str | None,
    *,
    interactive: bool,
    settings: Settings | None = None,
    ops: Operations | None = None,
) -> Database | None:
    """Open the database for the GUI: the saved choice (asking the server password when there is no keyring),
    the first-run choice on a new counter, and a supervisor's confirmation before migrating a shared server.

    The demonstration fills the default local file only when it is created after the « démonstration » choice;
    after « Nouvelle installation » the settings remember that this counter's file stays without it, and the
    set-up assistant opens on the empty database (``run``)."""
    from ...bootstrap import open_database, saved_database_url
    from ...config import choose_database
    from ...db import make_engine
    from ...services.errors import SchemaBehind
    from ...settings import Settings
    from .login_window import ask_server_password
    from .settings_dialog import FirstRunDialog

    settings = settings or Settings()
    ops = ops or Operations()
    saved = None
    chosen = ""
    if choose_database(cli_url).is_default_local and interactive:
        if settings.mode == "":
            first = FirstRunDialog()
            if not first.exec():
                return None
            chosen = first.choice
            if chosen in ("local", "install"):
                settings.use_local("", demo=chosen == "local")
            elif not settings_dialog(settings, ops).exec():
                return None

        def ask(account: str, note: str | None = None) -> str | None:
            return ask_server_password(None, account, note)

        saved = saved_database_url(settings, ask)
    warned: list[str] = []
    try:
        db = open_database(cli_url, first_run_demo=settings.demo, saved_url=saved, warn=warned.append)
    except SchemaBehind:
        if not interactive:
            raise
        engine = make_engine(saved or choose_database(cli_url).url)
        try:
            if not bring_server_schema_up(engine, ops):
                return None
        finally:
            engine.dispose()
        db = open_database(cli_url, saved_url=saved)
    if warned and interactive:  # a database file other accounts of the computer can read: said once
        _warn(ops, "Base de données")(Failure("\n".join(warned)))
    if chosen == "local":
        _demo_into_empty_file(db, ops)
    elif chosen == "install":
        _explain_if_not_empty(db, ops)
    return db


def bring_schema_up_at(url: str) -> bool:
    """``bring_server_schema_up`` for the database at ``url`` (the start behind the login window)."""
    from ...db import make_engine

    engine = make_engine(url)
    try:
        return bring_server_schema_up(engine, Operations())
    finally:
        engine.dispose()


def bring_server_schema_up(engine: Engine, ops: Operations | None = None) -> bool:
    """A shared server behind this version: a brand-new empty database is prepared on a plain confirmation (no
    agent exists yet; the set-up assistant follows), otherwise a supervisor confirms (MigrationDialog)."""
    from PySide6.QtWidgets import QMessageBox

    from ...bootstrap import migrate_shared_server
    from ...db import current_revision, describe, is_empty
    from ..setup.setup_wizard import fr
    from .settings_dialog import MigrationDialog

    ops = ops or Operations()
    title = "Nouveau serveur partagé"
    state = ops.run(lambda: (current_revision(engine), is_empty(engine)), on_error=_warn(ops, title))
    if state is None:
        return False
    revision, empty = state
    if revision is not None or not empty:
        dialog = MigrationDialog(None)
        dialog.submitted.connect(
            lambda: ops.form(dialog, lambda: migrate_shared_server(engine, *dialog.value()))
        )
        return bool(dialog.exec())
    box = QMessageBox(
        QMessageBox.Icon.Question,
        title,
        fr(
            f"La base {describe(engine.url)} est vide.\n\nLa préparer pour Guichet Enfance ? "
            "L'assistant de mise en service s'ouvrira ensuite pour créer les structures et le "
            "premier administrateur."
        ),
    )
    prepare = box.addButton("Préparer la base", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Annuler", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(prepare)
    box.exec()
    if box.clickedButton() is not prepare:
        return False
    # an empty database: no supervisor to ask
    return bool(
        ops.run(
            succeeded(lambda: migrate_shared_server(engine, "", "")), write=True, on_error=_warn(ops, title)
        )
    )


def _explain_if_not_empty(db: Database, ops: Operations) -> None:
    """« Nouvelle installation » on a local file that already holds data: nothing is replaced, the agent logs in."""
    from PySide6.QtWidgets import QMessageBox

    from ...services.setup.install import installed

    what = ops.run(lambda: installed(db), on_error=_warn(ops, "Nouvelle installation"))
    if what is not None:
        QMessageBox.information(
            None,
            "Nouvelle installation",
            f"La base locale de ce poste contient déjà des données ({what}) : l'assistant de "
            "mise en service ne s'ouvre que sur une base vide, rien n'est remplacé. "
            f"Connectez-vous avec un compte existant.\n\nFichier : {db.engine.url.database}",
        )


def _demo_into_empty_file(db: Database, ops: Operations) -> None:
    """The demonstration chosen on a local file that exists but is empty (an installation cancelled earlier)."""
    from ...clock import local_today
    from ...services.demo import load_demo
    from ...services.errors import DomainError
    from ...services.setup.install import installed

    def fill() -> None:
        if installed(db) is None:
            load_demo(db, local_today(db.clock))

    def failed(failure: Failure) -> None:
        if not isinstance(
            failure.error, DomainError
        ):  # a domain refusal: the file holds something else, kept
            _warn(ops, "Démonstration")(failure)

    ops.run(fill, write=True, on_error=failed)


def forget_unfinished_installation(settings: Settings, db: Database, ops: Operations | None = None) -> bool:
    """The set-up assistant was cancelled on this counter's new local file: the next start asks the first-run
    question again (the demonstration stays reachable). Nothing is forgotten once the town is installed."""
    from pathlib import Path

    from ...bootstrap import saved_database_url
    from ...services.setup.install import installed

    if settings.mode != "local" or settings.demo or db.dialect != "sqlite" or not db.engine.url.database:
        return False
    local = saved_database_url(settings) or ""
    if Path(local.removeprefix("sqlite:///")).resolve() != Path(db.engine.url.database).resolve():
        return False
    held = (ops or Operations()).run(lambda: installed(db), default="?")
    if held is not None:
        return False
    settings.set("database/mode", "")
    return True


def first_session(
    db: Database, parent: QWidget | None = None, ops: Operations | None = None
) -> tuple[CounterSession, InstallReport | None] | None:
    """Who opens the counter: on an empty database the set-up assistant, then its administrator is logged in
    (no second login); otherwise the login dialog. Returns ``(session, install report or None)``, or None when
    the agent cancelled."""
    from ...services.auth import login
    from ...services.setup.install import installed

    ops = ops or Operations(parent)
    state = ops.run(lambda: (installed(db),), on_error=_warn(ops, "Guichet Enfance"))
    if state is None:  # the database does not answer: said in a message box
        return None
    report = None
    if state[0] is None:
        wizard = setup_wizard_for(db, ops, parent)
        if not wizard.exec():
            return None
        report = wizard.report
        name, secret = wizard.admin_login, wizard.admin_password
        session = ops.run(lambda: login(db, name, secret), on_error=_warn(ops, "Mise en service"))
        if session is not None:
            return session, report
    dialog = login_dialog(db, ops, parent)  # installed but not logged in yet (the database did not answer)
    if not dialog.exec():
        return None
    return dialog.session, report


NEXT_STEPS = (
    "Prochaines étapes, depuis « Administration… » : créer les comptes des agents, vérifier les tarifs des "
    "activités, importer les familles déjà connues de la commune."
)


def installed_text(report: InstallReport) -> str:
    """What the installation did, in a few lines (the detail of each activity is in the journal)."""
    from ..setup.setup_wizard import fr

    lines = report.lines()[:1]
    generation = report.generation
    if generation is not None:
        days = count(generation.created, "journée d'accueil créée", "journées d'accueil créées")
        lines.append(
            f"Année scolaire {generation.school_year} préparée : {days} pour "
            f"{count(len(generation.activities), 'activité')}."
        )
        lines += [f"! {a.activity} : {c}" for a in generation.activities for c in a.conflicts]
    else:
        lines.append("Année scolaire à préparer depuis l'administration.")
    return fr("\n".join([*lines, "", NEXT_STEPS]))


def open_main_window(
    db: Database,
    session: CounterSession | None = None,
    report: InstallReport | None = None,
    *,
    require_login: bool = True,
    prepared: MainWindow | None = None,
) -> MainWindow:
    """The counter's main window for this session; after an installation, what was set up (non-blocking).
    ``prepared``: the window built while the agent typed the password (``MainWindow(db, prepared=True)``), given
    the session here and shown at once, its families' list read on a worker thread."""
    from .main_window import MainWindow

    if prepared is not None and session is not None:
        window = prepared
        window.require_login = require_login
        window.show()  # painted once the session is on it (``switch_session`` returns first)
        window.switch_session(session)  # a temporary password: its change is asked first
    else:
        window = MainWindow(db, session)
        window.require_login = require_login
        window.show()
        if session is not None and session.must_change_password:
            window.force_password_change()
    if report is not None:
        window.ops.inform("Mise en service", installed_text(report))
    return window


def _backup_local(db: Database) -> None:
    """Once a day, a copy of a local SQLite database (SQLite's online backup), N copies kept."""
    if db.dialect != "sqlite" or not db.engine.url.database:
        return
    import logging
    from pathlib import Path

    from ...backup import daily_backup
    from ...clock import local_today
    from ...settings import Settings

    try:
        daily_backup(Path(db.engine.url.database), local_today(db.clock), Settings().get("backup/keep"))
    except OSError:
        logging.getLogger(__name__).exception("sauvegarde quotidienne impossible")


def run(db: Database, *, selftest: bool = False, screenshot: str | None = None) -> int:
    app = prepare_application()
    install_crash_handler()
    session = report = None
    if not selftest:  # agents log in; the self-test opens the window with the default counter session
        started = first_session(db)
        if started is None:
            from ...settings import Settings

            forget_unfinished_installation(Settings(), db)
            return 0
        session, report = started
    _backup_local(db)
    window = open_main_window(db, session, report, require_login=not selftest)
    if selftest:

        def finish() -> None:
            if screenshot:
                window.grab().save(screenshot)
            n = window.families.model.rowCount()
            print(f"OK : fenêtre principale affichée, {count(n, 'famille')}.")
            app.quit()

        QTimer.singleShot(0, finish)  # as soon as the event loop runs: the window is shown
    return app.exec()
