"""Starting the Qt application (one QApplication per process)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QWidget

from .. import APP_NAME, __version__
from ..config import resources_dir
from ..services.uow import Database

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..services.counter import CounterSession
    from ..services.setup.install import InstallReport
    from ..settings import Settings
    from .main_window import MainWindow
    from .setup_wizard import SetupWizard


def prepare_application() -> QApplication:
    QLocale.setDefault(QLocale(QLocale.Language.French, QLocale.Country.France))
    if QApplication.instance() is None:  # high-DPI screens: exact scale factors (125 %, 150 %…)
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    style = resources_dir() / "style.qss"
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resources_dir() / "icon.png")))
    return app


def start_database(
    cli_url: str | None, *, interactive: bool, settings: Settings | None = None
) -> Database | None:
    """Open the database for the GUI: the saved choice (asking the server password when there is no keyring),
    the first-run choice on a new counter, and a supervisor's confirmation before migrating a shared server.

    The demonstration fills the default local file only when it is created after the « démonstration » choice;
    after « Nouvelle installation » the settings remember that this counter's file stays without it, and the
    set-up assistant opens on the empty database (``run``)."""
    from PySide6.QtWidgets import QInputDialog, QLineEdit

    from ..bootstrap import open_database, saved_database_url
    from ..config import choose_database
    from ..db import make_engine
    from ..services.errors import SchemaBehind
    from ..settings import Settings
    from .settings_dialog import FirstRunDialog, SettingsDialog

    settings = settings or Settings()
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
            elif not SettingsDialog(None, settings).exec():
                return None

        def ask(account: str) -> str | None:
            text, ok = QInputDialog.getText(None, "Mot de passe du serveur", f"Mot de passe de {account} :",
                                            QLineEdit.EchoMode.Password)  # fmt: skip
            return text if ok else None

        saved = saved_database_url(settings, ask)
    try:
        db = open_database(cli_url, first_run_demo=settings.demo, saved_url=saved)
    except SchemaBehind:
        if not interactive:
            raise
        engine = make_engine(saved or choose_database(cli_url).url)
        try:
            if not bring_server_schema_up(engine):
                return None
        finally:
            engine.dispose()
        db = open_database(cli_url, saved_url=saved)
    if chosen == "local":
        _demo_into_empty_file(db)
    elif chosen == "install":
        _explain_if_not_empty(db)
    return db


def bring_server_schema_up(engine: Engine) -> bool:
    """A shared server behind this version: a brand-new empty database is prepared on a plain confirmation (no
    agent exists yet; the set-up assistant follows), otherwise a supervisor confirms (MigrationDialog)."""
    from PySide6.QtWidgets import QMessageBox

    from ..bootstrap import migrate_shared_server
    from ..db import current_revision, describe, is_empty
    from ..services.errors import DomainError
    from .operations import message_for
    from .settings_dialog import MigrationDialog
    from .setup_wizard import fr

    if current_revision(engine) is not None or not is_empty(engine):
        dialog = MigrationDialog(None, lambda login, secret: migrate_shared_server(engine, login, secret))
        return bool(dialog.exec())
    box = QMessageBox(QMessageBox.Icon.Question, "Nouveau serveur partagé",
                      fr(f"La base {describe(engine.url)} est vide.\n\nLa préparer pour Guichet Enfance ? "
                         "L'assistant de mise en service s'ouvrira ensuite pour créer les structures et le "
                         "premier administrateur."))  # fmt: skip
    prepare = box.addButton("Préparer la base", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Annuler", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(prepare)
    box.exec()
    if box.clickedButton() is not prepare:
        return False
    try:
        migrate_shared_server(engine, "", "")  # an empty database: no supervisor to ask
    except DomainError as exc:
        QMessageBox.warning(None, "Nouveau serveur partagé", message_for(exc))
        return False
    return True


def _explain_if_not_empty(db: Database) -> None:
    """« Nouvelle installation » on a local file that already holds data: nothing is replaced, the agent logs in."""
    from PySide6.QtWidgets import QMessageBox

    from ..services.setup.install import installed

    what = installed(db)
    if what is not None:
        QMessageBox.information(None, "Nouvelle installation",
                                f"La base locale de ce poste contient déjà des données ({what}) : l'assistant de "
                                "mise en service ne s'ouvre que sur une base vide, rien n'est remplacé. "
                                f"Connectez-vous avec un compte existant.\n\nFichier : {db.engine.url.database}")  # fmt: skip


def _demo_into_empty_file(db: Database) -> None:
    """The demonstration chosen on a local file that exists but is empty (an installation cancelled earlier)."""
    import contextlib

    from ..clock import local_today
    from ..services.demo import load_demo
    from ..services.errors import DomainError
    from ..services.setup.install import installed

    if installed(db) is None:
        with contextlib.suppress(DomainError):  # the file holds something else (families…): left as it is
            load_demo(db, local_today(db.clock))


def forget_unfinished_installation(settings: Settings, db: Database) -> bool:
    """The set-up assistant was cancelled on this counter's new local file: the next start asks the first-run
    question again (the demonstration stays reachable). Nothing is forgotten once the town is installed."""
    from pathlib import Path

    from ..bootstrap import saved_database_url
    from ..services.setup.install import installed

    if settings.mode != "local" or settings.demo or db.dialect != "sqlite" or not db.engine.url.database:
        return False
    local = saved_database_url(settings) or ""
    if Path(local.removeprefix("sqlite:///")).resolve() != Path(db.engine.url.database).resolve():
        return False
    if installed(db) is not None:
        return False
    settings.set("database/mode", "")
    return True


def setup_wizard_for(db: Database, parent: QWidget | None = None) -> SetupWizard:
    """The set-up assistant bound to this database: « Terminer » installs the town on it."""
    from ..clock import local_today
    from ..services.setup.install import install
    from .setup_wizard import SetupWizard

    return SetupWizard(parent, lambda data: install(db, data), local_today(db.clock))


def first_session(
    db: Database, parent: QWidget | None = None
) -> tuple[CounterSession, InstallReport | None] | None:
    """Who opens the counter: on an empty database the set-up assistant, then its administrator is logged in
    (no second login); otherwise the login dialog. Returns ``(session, install report or None)``, or None when
    the agent cancelled."""
    from ..services.auth import login
    from ..services.setup.install import installed
    from .login_dialog import LoginDialog

    if installed(db) is None:
        wizard = setup_wizard_for(db, parent)
        if not wizard.exec():
            return None
        return login(db, wizard.admin_login, wizard.admin_password), wizard.report
    dialog = LoginDialog(parent, db)
    if not dialog.exec():
        return None
    return dialog.session, None


NEXT_STEPS = (
    "Prochaines étapes, depuis « Administration… » : créer les comptes des agents, vérifier les tarifs des "
    "activités, importer les familles déjà connues de la commune."
)


def installed_text(report: InstallReport) -> str:
    """What the installation did, in a few lines (the detail of each activity is in the journal)."""
    from .setup_wizard import fr

    lines = report.lines()[:1]
    generation = report.generation
    if generation is not None:
        lines.append(f"Année scolaire {generation.school_year} préparée : {generation.created} journée(s) "
                     f"d'accueil créée(s) pour {len(generation.activities)} activité(s).")  # fmt: skip
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
) -> MainWindow:
    """The counter's main window for this session; after an installation, what was set up (non-blocking)."""
    from .main_window import MainWindow

    window = MainWindow(db, session)
    window.require_login = require_login
    window.show()
    if report is not None:
        window.ops.inform("Mise en service", installed_text(report))
    return window


def _install_crash_handler() -> None:
    from PySide6.QtWidgets import QMessageBox

    from ..logging_setup import install_excepthook, setup_logging

    path = setup_logging()

    def show(text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "Guichet Enfance – erreur", text)
        box.open()  # non-blocking: the counter keeps working

    install_excepthook(path, show)


def _backup_local(db: Database) -> None:
    """Once a day, a copy of a local SQLite database (SQLite's online backup), N copies kept."""
    if db.dialect != "sqlite" or not db.engine.url.database:
        return
    import logging
    from pathlib import Path

    from ..backup import daily_backup
    from ..clock import local_today
    from ..settings import Settings

    try:
        daily_backup(Path(db.engine.url.database), local_today(db.clock), Settings().get("backup/keep"))
    except OSError:
        logging.getLogger(__name__).exception("sauvegarde quotidienne impossible")


def run(db: Database, *, selftest: bool = False, screenshot: str | None = None) -> int:
    app = prepare_application()
    _install_crash_handler()
    session = report = None
    if not selftest:  # agents log in; the self-test opens the window with the default counter session
        started = first_session(db)
        if started is None:
            from ..settings import Settings

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
            print(f"OK : fenêtre principale affichée, {n} familles.")
            app.quit()

        QTimer.singleShot(0, finish)  # as soon as the event loop runs: the window is shown
    return app.exec()
