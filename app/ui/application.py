"""Starting the Qt application (one QApplication per process)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QLocale, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from .. import APP_NAME, __version__
from ..config import resources_dir
from ..services.uow import Database


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


def start_database(cli_url: str | None, *, interactive: bool) -> Database | None:
    """Open the database for the GUI: the saved choice (asking the server password when there is no keyring),
    the first-run choice on a new counter, and a supervisor's confirmation before migrating a shared server."""
    from PySide6.QtWidgets import QInputDialog, QLineEdit

    from ..bootstrap import migrate_shared_server, open_database, saved_database_url
    from ..config import choose_database
    from ..db import make_engine
    from ..services.errors import SchemaBehind
    from ..settings import Settings
    from .settings_dialog import FirstRunDialog, MigrationDialog, SettingsDialog

    settings = Settings()
    saved = None
    if choose_database(cli_url).is_default_local and interactive:
        if settings.mode == "":
            first = FirstRunDialog()
            if not first.exec():
                return None
            if first.choice == "local":
                settings.use_local("")
            elif not SettingsDialog(None, settings).exec():
                return None

        def ask(account: str) -> str | None:
            text, ok = QInputDialog.getText(None, "Mot de passe du serveur", f"Mot de passe de {account} :",
                                            QLineEdit.EchoMode.Password)  # fmt: skip
            return text if ok else None

        saved = saved_database_url(settings, ask)
    try:
        return open_database(cli_url, first_run_demo=True, saved_url=saved)
    except SchemaBehind:
        if not interactive:
            raise
        engine = make_engine(saved or choose_database(cli_url).url)
        dialog = MigrationDialog(None, lambda login, secret: migrate_shared_server(engine, login, secret))
        if not dialog.exec():
            return None
        return open_database(cli_url, saved_url=saved)


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
    from .main_window import MainWindow

    app = prepare_application()
    _install_crash_handler()
    _backup_local(db)
    session = None
    if not selftest:  # agents log in; the self-test opens the window with the default counter session
        from .login_dialog import LoginDialog

        dialog = LoginDialog(None, db)
        if not dialog.exec():
            return 0
        session = dialog.session
    window = MainWindow(db, session)
    window.require_login = not selftest
    window.show()
    if selftest:

        def finish() -> None:
            if screenshot:
                window.grab().save(screenshot)
            n = window.families.model.rowCount()
            print(f"OK : fenêtre principale affichée, {n} familles.")
            app.quit()

        QTimer.singleShot(0, finish)  # as soon as the event loop runs: the window is shown
    return app.exec()
